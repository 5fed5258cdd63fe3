/* Progressive enhancement only: every page works without this file. No inline handlers (strict CSP). */
(function () {
  "use strict";

  // Copy buttons: shown only when the clipboard API is there.
  function wireCopy(root) {
    root.querySelectorAll("button.copy[data-copy]").forEach(function (button) {
      if (!navigator.clipboard) return;
      button.hidden = false;
      button.addEventListener("click", function () {
        var source = document.getElementById(button.getAttribute("data-copy"));
        if (!source) return;
        var text = source.value !== undefined ? source.value : source.textContent;
        navigator.clipboard.writeText(text).then(function () {
          button.textContent = "Copied";
          setTimeout(function () { button.textContent = "Copy"; }, 1500);
        });
      });
    });
  }

  // Auto refresh of a region (data-refresh = seconds): fetch this page again and swap the region, unless the
  // user is interacting with it (a checkbox ticked or focus inside).
  function wireRefresh() {
    var region = document.querySelector("[data-refresh]");
    if (!region || !window.fetch || !window.DOMParser) return;
    var seconds = parseInt(region.getAttribute("data-refresh"), 10) || 15;
    setInterval(function () {
      if (document.hidden) return;
      if (region.contains(document.activeElement) || region.querySelector("input:checked")) return;
      fetch(window.location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) {
          if (!html) return;
          var fresh = new DOMParser().parseFromString(html, "text/html").getElementById(region.id);
          if (fresh) region.replaceChildren.apply(region, Array.prototype.slice.call(fresh.childNodes));
        })
        .catch(function () {});
    }, seconds * 1000);
  }

  // Live template preview: POST the form's template and payload to its data-preview URL while typing.
  function wirePreview() {
    document.querySelectorAll("form[data-preview]").forEach(function (form) {
      var output = document.getElementById(form.getAttribute("data-output"));
      var timer = null;
      function run() {
        var body = new URLSearchParams(new FormData(form));
        fetch(form.getAttribute("data-preview"), {
          method: "POST", credentials: "same-origin", body: body,
          headers: { "Accept": "application/json" }
        }).then(function (r) { return r.json(); }).then(function (result) {
          output.replaceChildren();
          var line = document.createElement("pre");
          var problem = result.error || result.detail;
          if (problem) { line.className = "error"; line.textContent = problem; }
          else { line.textContent = result.text === null || result.text === undefined ? "(empty)" : result.text; }
          output.appendChild(line);
        }).catch(function () {});
      }
      form.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(run, 300); });
    });
  }

  // Confirmations for destructive buttons (data-confirm); without JavaScript the server asks on a page.
  function wireConfirm() {
    document.querySelectorAll("[data-confirm]").forEach(function (el) {
      el.addEventListener("click", function (event) {
        if (!window.confirm(el.getAttribute("data-confirm"))) event.preventDefault();
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    wireCopy(document);
    wireRefresh();
    wirePreview();
    wireConfirm();
  });
})();
