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

  // Confirmations (core/confirm.py): a destructive link or form loads its server-rendered
  // confirmation into the layout's <dialog> over htmx; without JavaScript it is a page.
  function confirmDialog() { return document.getElementById("confirm-dialog"); }
  document.addEventListener("htmx:afterSwap", function (event) {
    var dialog = confirmDialog();
    if (!dialog || event.detail.target !== dialog) return;
    if (!dialog.open) dialog.showModal();
    var yes = dialog.querySelector("[data-confirm-yes]");
    if (yes) yes.focus();
  });
  document.addEventListener("htmx:responseError", function (event) {
    // A refusal (403) or a vanished object (404): show that page itself, as a link would.
    var dialog = confirmDialog();
    if (!dialog || event.detail.target !== dialog) return;
    var source = event.detail.elt;
    if (source && source.tagName === "A" && source.href) window.location.href = source.href;
    else if (source && source.tagName === "FORM") { source.removeAttribute("hx-post"); HTMLFormElement.prototype.submit.call(source); }
  });
  document.addEventListener("click", function (event) {
    var cancel = event.target.closest("#confirm-dialog [data-confirm-cancel]");
    var dialog = confirmDialog();
    if (cancel) { event.preventDefault(); dialog.close(); return; }
    if (dialog && event.target === dialog) dialog.close();  // a click on the backdrop
  });
  document.addEventListener("close", function (event) {
    if (event.target === confirmDialog()) event.target.innerHTML = "";
  }, true);

  // Bulk selection: [data-select-all] ticks every [data-select-row] of its form; the bar shows
  // how many are chosen, and the "all N matching" choice is offered once the page is ticked.
  function formBoxes(form, selector) {
    // Rows may sit outside their form (in a table beside it) and join it with form="…".
    return Array.prototype.filter.call(form.elements, function (el) { return el.matches(selector); });
  }
  function updateSelection(form) {
    var rows = formBoxes(form, "[data-select-row]");
    var ticked = rows.filter(function (row) { return row.checked; }).length;
    formBoxes(form, "[data-select-all]").forEach(function (all) {
      all.checked = rows.length > 0 && ticked === rows.length;
      all.indeterminate = ticked > 0 && ticked < rows.length;
    });
    var matching = form.querySelector("[data-select-matching]");
    if (matching && ticked < rows.length) matching.checked = false;
    var everyone = matching && matching.checked;
    var count = form.querySelector("[data-selected-count]");
    if (count) count.textContent = everyone ? matching.dataset.total : String(ticked);
    var offer = form.querySelector("[data-matching-offer]");
    if (offer) offer.hidden = !(rows.length && ticked === rows.length);
    var bar = form.querySelector("[data-bulk-bar]");
    if (bar) bar.classList.toggle("is-active", ticked > 0 || everyone);
  }
  document.addEventListener("change", function (event) {
    var box = event.target.closest("[data-select-all], [data-select-row], [data-select-matching]");
    if (!box || !box.form) return;
    if (box.matches("[data-select-all]")) {
      formBoxes(box.form, "[data-select-row]").forEach(function (row) { row.checked = box.checked; });
    }
    updateSelection(box.form);
  });

  // CSV upload: drop a file on the zone instead of choosing it (the file input still works).
  document.addEventListener("dragover", function (event) {
    var zone = event.target.closest && event.target.closest("[data-dropzone]");
    if (!zone) return;
    event.preventDefault();
    zone.classList.add("is-dragging");
  });
  document.addEventListener("dragleave", function (event) {
    var zone = event.target.closest && event.target.closest("[data-dropzone]");
    if (zone && !zone.contains(event.relatedTarget)) zone.classList.remove("is-dragging");
  });
  document.addEventListener("drop", function (event) {
    var zone = event.target.closest && event.target.closest("[data-dropzone]");
    if (!zone) return;
    event.preventDefault();
    zone.classList.remove("is-dragging");
    var input = zone.querySelector("input[type=file]");
    if (!input || !event.dataTransfer.files.length) return;
    input.files = event.dataTransfer.files;
    input.dispatchEvent(new Event("change", { bubbles: true }));
  });
  document.addEventListener("change", function (event) {
    var input = event.target.closest && event.target.closest("[data-dropzone] input[type=file]");
    if (!input) return;
    var name = input.closest("[data-dropzone]").querySelector("[data-dropzone-file]");
    if (name) name.textContent = input.files.length ? input.files[0].name : "";
  });

  // A time zone never chosen starts as the browser's (the field says so; autosave keeps it).
  window.addEventListener("load", function () {
    document.querySelectorAll("input[data-browser-timezone]").forEach(function (input) {
      var zone = window.Intl && Intl.DateTimeFormat().resolvedOptions().timeZone;
      if (!zone || zone === input.value) return;
      input.value = zone;
      var note = document.querySelector("[data-browser-zone-note]");
      if (note) note.hidden = false;
      input.dispatchEvent(new Event("change", { bubbles: true }));
    });
  });

  // Flash messages fade after a while (errors stay until dismissed by navigation).
  setTimeout(function () {
    document.querySelectorAll(".flash-stack .flash-success, .flash-stack .flash-info").forEach(function (el) {
      el.classList.add("is-fading");
    });
  }, 6000);
})();
