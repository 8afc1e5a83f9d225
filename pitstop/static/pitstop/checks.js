// Quality checks, tools and PDI (workshop): small helpers; every form works without them.
(function () {
  "use strict";
  // The check form: the rework fields show only when the check fails.
  function syncFailFields(form) {
    var box = form.querySelector("[data-fail-fields]");
    if (!box) return;
    var chosen = form.querySelector("input[name=result]:checked");
    box.hidden = !chosen || chosen.value !== "fail";
  }
  function init() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-check-form]"), syncFailFields);
  }
  document.addEventListener("change", function (event) {
    var form = event.target.closest && event.target.closest("[data-check-form]");
    if (form && event.target.name === "result") syncFailFields(form);
  });
  // "Tick all": every checkbox (or every "ok" radio) inside the named container.
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-tick-all]");
    if (!button) return;
    event.preventDefault();
    var box = document.getElementById(button.getAttribute("data-tick-all"));
    if (!box) return;
    Array.prototype.forEach.call(box.querySelectorAll("input[type=checkbox], input[type=radio][value=ok]"), function (input) {
      input.checked = true;
      input.dispatchEvent(new Event("change", { bubbles: true }));
    });
  });
  // PDI: a "not ok" answer asks for its note.
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("[data-pdi-answer]")) return;
    var note = document.getElementById(input.getAttribute("data-pdi-answer"));
    if (note) {
      var bad = input.value === "not_ok" && input.checked;
      note.classList.toggle("border-danger", bad);
      if (bad) note.focus();
    }
  });
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init); else init();
})();
