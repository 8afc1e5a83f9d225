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
