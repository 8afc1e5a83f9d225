// The technician's tablet: running clocks tick, chosen photos are previewed. No inline scripts (CSP).
(function () {
  "use strict";
  function pad(n) { return n < 10 ? "0" + n : String(n); }
  function tick() {
    var now = Date.now();
    Array.prototype.forEach.call(document.querySelectorAll("[data-clock-since]"), function (el) {
      var since = Date.parse(el.getAttribute("data-clock-since"));
      if (isNaN(since)) return;
      var s = Math.max(0, Math.floor((now - since) / 1000));
      el.textContent = Math.floor(s / 3600) + ":" + pad(Math.floor((s % 3600) / 60)) + ":" + pad(s % 60);
    });
  }
  document.addEventListener("DOMContentLoaded", function () { tick(); window.setInterval(tick, 1000); });
  document.addEventListener("htmx:afterSettle", tick);
  // <input type=file data-photo-preview="id">: thumbnails of the chosen pictures in that element.
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("[data-photo-preview]")) return;
    var box = document.getElementById(input.getAttribute("data-photo-preview"));
    if (!box) return;
    box.innerHTML = "";
    Array.prototype.forEach.call(input.files || [], function (file) {
      if (!/^image\//.test(file.type)) return;
      var img = document.createElement("img");
      img.alt = file.name;
      img.src = URL.createObjectURL(file);
      box.appendChild(img);
    });
  });
})();
