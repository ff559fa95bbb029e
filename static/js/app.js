// Postigo's own small behaviours. Everything works without it; this makes it nicer.
(function () {
  "use strict";

  // Apply a theme change at once; the form still posts it (htmx or plain POST) to be saved.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-theme-toggle]");
    if (!button) return;
    var root = document.documentElement;
    var current = root.dataset.theme;
    if (current === "system") {
      current = window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
    }
    var next = current === "dark" ? "light" : "dark";
    root.dataset.theme = next;
    button.value = next;  // read by the submit that follows this click
  });

  // Close any open menu when clicking elsewhere or pressing Escape.
  function closeMenus(except) {
    document.querySelectorAll("details.menu[open]").forEach(function (menu) {
      if (menu !== except) menu.removeAttribute("open");
    });
  }
  document.addEventListener("click", function (event) {
    closeMenus(event.target.closest("details.menu"));
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") closeMenus(null);
  });

  // Copy buttons: <button data-copy="#element-id"> copies that element's text.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button || !navigator.clipboard) return;
    var source = document.querySelector(button.dataset.copy);
    if (!source) return;
    navigator.clipboard.writeText(source.textContent.trim()).then(function () {
      var label = button.textContent;
      button.textContent = button.dataset.copied || "Copied";
      setTimeout(function () { button.textContent = label; }, 1500);
    });
  });

  // The email editor: a contenteditable body mirrored into its form's textarea (the server
  // sanitises it), with formatting buttons and merge-field / spintax insertion.
  document.addEventListener("input", function (event) {
    var editor = event.target.closest && event.target.closest("[data-editor]");
    if (!editor) return;
    var field = document.getElementById(editor.dataset.editor);
    if (field) field.value = editor.innerHTML;
  }, true);  // capture: before htmx reads the form on the same event

  var lastTarget = null;
  document.addEventListener("focusin", function (event) {
    if (event.target.closest("[data-insert-target]")) lastTarget = event.target.closest("[data-insert-target]");
  });

  function insertText(form, text) {
    var target = lastTarget && form.contains(lastTarget) ? lastTarget : form.querySelector("[data-editor]");
    if (!target) return;
    if (target.isContentEditable) {
      target.focus();
      document.execCommand("insertText", false, text);
    } else {
      var start = target.selectionStart || target.value.length, end = target.selectionEnd || start;
      target.setRangeText(text, start, end, "end");
      target.focus();
      target.dispatchEvent(new Event("input", { bubbles: true }));
    }
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-command], [data-insert-spintax]");
    if (!button) return;
    var form = button.closest("form");
    if (button.dataset.insertSpintax) return insertText(form, button.dataset.insertSpintax);
    var editor = form.querySelector("[data-editor]");
    editor.focus();
    var value = null;
    if (button.dataset.prompt) {
      value = window.prompt(button.dataset.prompt, "https://");
      if (!value) return;
    }
    document.execCommand(button.dataset.command, false, value);
    editor.dispatchEvent(new Event("input", { bubbles: true }));
  });

  document.addEventListener("change", function (event) {
    var select = event.target.closest("[data-insert-field]");
    if (!select || !select.value) return;
    insertText(select.closest("form"), "{{" + select.value + "}}");
    select.value = "";
  });

  // Flash messages fade after a while (errors stay until dismissed by navigation).
  setTimeout(function () {
    document.querySelectorAll(".flash-stack .flash-success, .flash-stack .flash-info").forEach(function (el) {
      el.classList.add("is-fading");
    });
  }, 6000);
})();
