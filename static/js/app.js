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

  // Flash messages fade after a while (errors stay until dismissed by navigation).
  setTimeout(function () {
    document.querySelectorAll(".flash-stack .flash-success, .flash-stack .flash-info").forEach(function (el) {
      el.classList.add("is-fading");
    });
  }, 6000);
})();
