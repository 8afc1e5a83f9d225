// The owners' booking page: show "kind of work" only for a service described in words, and hide
// the no-JavaScript "show free times" button (HTMX refreshes the times by itself).
(function () {
  "use strict";
  function kind() {
    var select = document.getElementById("id_service");
    var box = document.getElementById("online-kind");
    if (!select || !box) return;
    box.classList.toggle("d-none", select.value !== box.dataset.other);
  }
  document.addEventListener("DOMContentLoaded", function () {
    kind();
    var select = document.getElementById("id_service");
    if (select) select.addEventListener("change", kind);
    document.querySelectorAll(".online-show").forEach(function (button) {
      button.classList.add("d-none");
    });
  });
})();
