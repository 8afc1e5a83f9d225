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
