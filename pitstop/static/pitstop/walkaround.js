// The walk-around check's car diagram (reception). Tapping a zone of the car opens a picker of
// mark kinds; choosing one adds a row to the list of marks (hidden inputs that the form posts)
// and draws the zone as marked. Ticking "remove" on a row takes it away at once. Without this
// script the same form works with the lists under the diagram and the remove boxes.
(function () {
  "use strict";
  var MARKED_FILL = "#f8d7da";
  var MARKED_STROKE = "#dc3545";
  var PLAIN_STROKE = "#8a94a6";
  var current = null; // the zone being marked

  function diagram() { return document.querySelector("[data-car-diagram]"); }
  function list() { return document.getElementById("mark-list"); }
  function picker() { return document.getElementById("mark-picker"); }

  function redraw() {
    var svg = diagram();
    var rows = list() ? list().querySelectorAll("[data-mark-row]") : [];
    var counts = {};
    Array.prototype.forEach.call(rows, function (row) {
      var zone = row.getAttribute("data-zone");
      counts[zone] = (counts[zone] || 0) + 1;
    });
    if (svg) {
      Array.prototype.forEach.call(svg.querySelectorAll("[data-zone]"), function (group) {
        var n = counts[group.getAttribute("data-zone")] || 0;
        var shape = group.querySelector("[data-zone-shape]");
        var marker = group.querySelector("[data-zone-marker]");
        var label = group.querySelector("[data-zone-count]");
        shape.setAttribute("fill", n ? MARKED_FILL : shape.getAttribute("data-base-fill"));
        shape.setAttribute("stroke", n ? MARKED_STROKE : PLAIN_STROKE);
        shape.setAttribute("stroke-width", n ? "2.5" : "1.2");
        marker.setAttribute("visibility", n ? "visible" : "hidden");
        label.textContent = String(n);
        group.setAttribute("data-count", String(n));
      });
    }
    var empty = document.getElementById("no-marks");
    if (empty) { empty.classList.toggle("d-none", rows.length > 0); }
  }

  function openPicker(group) {
    var box = picker();
    if (!box) return;
    current = group;
    box.querySelector("[data-picker-zone]").textContent = group.getAttribute("data-label");
    document.getElementById("mark-picker-note").value = "";
    box.hidden = false;
    var first = box.querySelector("[data-mark-kind]");
    if (first) first.focus({ preventScroll: true });
    if (box.scrollIntoView && window.innerWidth < 768) box.scrollIntoView({ block: "nearest" });
  }

  function closePicker() {
    var box = picker();
    if (box) box.hidden = true;
    if (current) current.focus && current.focus({ preventScroll: true });
    current = null;
  }

  function addMark(kindButton) {
    var template = document.getElementById("mark-row-template");
    if (!current || !template || !list()) return;
    var row = template.content.firstElementChild.cloneNode(true);
    var zone = current.getAttribute("data-zone");
    row.setAttribute("data-zone", zone);
    row.querySelector("[data-mark-zone-input]").value = zone;
    row.querySelector("[data-mark-kind-input]").value = kindButton.getAttribute("data-mark-kind");
    row.querySelector("[data-mark-zone-label]").textContent = current.getAttribute("data-label");
    row.querySelector("[data-mark-kind-label]").textContent = kindButton.textContent.trim();
    row.querySelector("[data-mark-note-input]").value = document.getElementById("mark-picker-note").value;
    list().appendChild(row);
    redraw();
    var box = picker();
    if (box) box.hidden = true;
    current = null;
  }

  document.addEventListener("click", function (event) {
    var target = event.target;
    if (!target.closest) return;
    var group = target.closest("[data-car-diagram] [data-zone]");
    if (group) { openPicker(group); return; }
    var kind = target.closest("#mark-picker [data-mark-kind]");
    if (kind) { event.preventDefault(); addMark(kind); return; }
    if (target.closest("#mark-picker [data-picker-cancel]")) { event.preventDefault(); closePicker(); }
  });

  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (!target.closest) return;
    var group = target.closest("[data-car-diagram] [data-zone]");
    if (group && (event.key === "Enter" || event.key === " ")) { event.preventDefault(); openPicker(group); }
    if (event.key === "Escape" && picker() && !picker().hidden) { closePicker(); }
    // Enter in the picker's note chooses nothing and must not submit the whole check.
    if (event.key === "Enter" && target.id === "mark-picker-note") { event.preventDefault(); }
  });

  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!box.matches || !box.matches("[data-mark-remove]") || !box.checked) return;
    var row = box.closest("[data-mark-row]");
    if (row) { row.parentNode.removeChild(row); redraw(); }
  });
})();
