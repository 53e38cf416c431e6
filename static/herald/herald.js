// The little that htmx does not cover: copy buttons. Loaded as a file so the CSP needs no
// 'unsafe-inline'.
(function () {
  "use strict";

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "visually-hidden";
    document.body.appendChild(area);
    area.select();
    var ok = document.execCommand("copy");
    document.body.removeChild(area);
    return ok ? Promise.resolve() : Promise.reject(new Error("copy failed"));
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy-target]");
    if (!button) return;
    var source = document.getElementById(button.getAttribute("data-copy-target"));
    if (!source) return;
    var label = button.textContent;
    copyText(source.textContent.trim()).then(
      function () { button.textContent = "Copied"; },
      function () { button.textContent = "Select and copy"; }
    ).finally(function () {
      setTimeout(function () { button.textContent = label; }, 1600);
    });
  });

  // Close an open menu (a <details>) with Escape or a click outside it.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    document.querySelectorAll("details.menu[open]").forEach(function (menu) {
      menu.removeAttribute("open");
      menu.querySelector("summary").focus();
    });
  });
  document.addEventListener("click", function (event) {
    document.querySelectorAll("details.menu[open]").forEach(function (menu) {
      if (!menu.contains(event.target)) menu.removeAttribute("open");
    });
  });
})();

// Workflows area: fill an identifier from its name (slugified) until the operator edits the
// identifier themselves. The server derives it the same way when it is left empty.
(function () {
  "use strict";

  function slugify(text) {
    return text
      .normalize("NFKD")
      .replace(/[\u0300-\u036f]/g, "")
      .toLowerCase()
      .replace(/[^a-z0-9\s-]/g, "")
      .trim()
      .replace(/[\s-]+/g, "-");
  }

  document.addEventListener("input", function (event) {
    var source = event.target.closest("[data-slug-source]");
    if (source) {
      var form = source.form;
      var target = form && form.querySelector(
        '[data-slug-target="' + source.getAttribute("data-slug-source") + '"]'
      );
      if (target && target.dataset.slugEdited !== "true" && !target.defaultValue) {
        target.value = slugify(source.value);
      }
      return;
    }
    if (event.target.matches("[data-slug-target]")) {
      event.target.dataset.slugEdited = "true";
    }
  });
})();

// Workflows area: moving a step re-renders the step list. htmx puts focus back on the button
// with the same id; when that button is now disabled (the step reached an end), focus the
// step's other move button instead of losing focus to the page.
(function () {
  "use strict";

  var pendingFocus = null;

  document.addEventListener("htmx:beforeRequest", function (event) {
    var form = event.target.closest && event.target.closest(".step-card__order");
    var submitter = event.detail.requestConfig && event.detail.requestConfig.triggeringEvent &&
      event.detail.requestConfig.triggeringEvent.submitter;
    if (!form || !submitter) return;
    pendingFocus = {
      xhr: event.detail.xhr,
      step: form.closest(".step-card").id,
      direction: submitter.value
    };
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    // Only the settle of this very request: other requests (the Changes count, an earlier
    // move still settling) settle too.
    if (!pendingFocus || event.detail.xhr !== pendingFocus.xhr) return;
    var wanted = pendingFocus;
    pendingFocus = null;
    var active = document.activeElement;
    if (active && active !== document.body && !active.disabled) return;
    var card = document.getElementById(wanted.step);
    if (!card) return;
    var buttons = Array.prototype.slice.call(card.querySelectorAll(".step-card__order button"));
    var usable = buttons.filter(function (button) { return !button.disabled; });
    var same = usable.filter(function (button) { return button.value === wanted.direction; });
    var target = same[0] || usable[0];
    if (target) target.focus();
  });
})();
