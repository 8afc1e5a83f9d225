// Pitstop's only script besides htmx and Bootstrap. No inline scripts anywhere (CSP).
(function () {
  "use strict";
  // A select marked data-autosubmit submits its form when changed (store switcher, filters).
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el.matches && el.matches("[data-autosubmit]") && el.form) {
      el.form.requestSubmit ? el.form.requestSubmit() : el.form.submit();
    }
  });
  // A suggestion button fills the field it names (customer look-up on the vehicle form).
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-fill-target]");
    if (!button) return;
    event.preventDefault();
    var input = document.getElementById(button.getAttribute("data-fill-target"));
    if (input) {
      input.value = button.getAttribute("data-fill-value");
      input.dispatchEvent(new Event("change", { bubbles: true }));
    }
    var list = button.closest("[data-suggestions]");
    if (list) list.innerHTML = "";
  });
  // A barcode scanner types the code and Enter: in a field marked data-enter-next, Enter moves
  // on to the next field instead of submitting a half-filled slip.
  document.addEventListener("keydown", function (event) {
    var el = event.target;
    if (event.key !== "Enter" || !el.matches || !el.matches("[data-enter-next]") || !el.form) return;
    event.preventDefault();
    var fields = Array.prototype.filter.call(el.form.elements, function (f) {
      return f.tagName === "INPUT" && f.type !== "hidden" && !f.disabled;
    });
    var next = fields[fields.indexOf(el) + 1];
    if (next) { next.focus(); next.select && next.select(); }
  });
  // Forms marked data-confirm ask first (cancelling or posting a stocktake). Without JS they
  // simply submit.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) { event.preventDefault(); event.stopImmediatePropagation(); }
  }, true);
  // Stocktake scanner (data-scan-form): a scanner types the code and Enter. Each scan is posted
  // in order; the field is cleared and keeps the focus at once, so the next scan can be read
  // while the previous one is on its way. The answer (the last-scan panel, with the line and the
  // progress out of band) is swapped by htmx. Without JS the form is a plain POST.
  var scans = Promise.resolve();
  function focusScan(root) {
    var field = (root || document).querySelector("[data-scan-focus]");
    if (field) { field.focus(); }
  }
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (event.defaultPrevented || !form.matches || !form.matches("[data-scan-form]") || !window.fetch || !window.htmx) return;
    event.preventDefault();
    var data = new FormData(form);
    var target = document.getElementById(form.getAttribute("data-scan-target"));
    if (!target || !String(data.get("code") || "").trim()) { focusScan(form); return; }
    Array.prototype.forEach.call(form.querySelectorAll("[data-scan-clear]"), function (f) { f.value = ""; });
    focusScan(form);
    var failed = form.getAttribute("data-scan-error") || "Error";
    scans = scans.then(function () {
      return fetch(form.action, {
        method: "POST", body: data, credentials: "same-origin",
        headers: { "HX-Request": "true", "HX-Target": target.id }
      }).then(function (response) {
        if (!response.ok) throw new Error(response.status);
        return response.text();
      }).then(function (html) {
        target = document.getElementById(target.id) || target;
        window.htmx.swap(target, html, { swapStyle: "outerHTML" });
      }).catch(function () {
        target = document.getElementById(target.id) || target;
        target.innerHTML = "";
        var alert = document.createElement("div");
        alert.className = "alert alert-danger mb-0";
        alert.setAttribute("role", "alert");
        alert.textContent = failed + " " + (data.get("code") || "");
        target.appendChild(alert);
      });
    });
  });
  // After a line's count is set (its row is swapped), the focus goes back to the scanner field.
  document.addEventListener("htmx:afterSettle", function () {
    var active = document.activeElement;
    if (!active || active === document.body) focusScan(document);
  });
  // Keyboard: "/" jumps to the search box, as in most tools people know.
  document.addEventListener("keydown", function (event) {
    if (event.key === "/" && !/^(INPUT|TEXTAREA|SELECT)$/.test(document.activeElement.tagName)) {
      var box = document.getElementById("global-search");
      if (box) { event.preventDefault(); box.focus(); }
    }
  });
  // Printing: buttons marked data-print open the print dialog.
  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-print]")) { window.print(); }
  });
})();
