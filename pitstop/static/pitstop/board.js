// The workshop board's TV clock and the dispatch form's planned end.
(function () {
  "use strict";
  function pad(n) { return (n < 10 ? "0" : "") + n; }

  // [data-clock]: the wall clock, between the board's 30-second refreshes.
  function tick() {
    var now = new Date();
    document.querySelectorAll("[data-clock]").forEach(function (el) {
      el.textContent = pad(now.getHours()) + ":" + pad(now.getMinutes());
    });
  }
  setInterval(tick, 5000);

  // The dispatch form (data-dispatch-form): the planned end follows the start and the hours
  // until the dispatcher types an end of their own.
  function parseLocal(value) {
    var m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(value || "");
    return m ? new Date(+m[1], +m[2] - 1, +m[3], +m[4], +m[5]) : null;
  }
  function formatLocal(d) {
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + "T" + pad(d.getHours()) + ":" + pad(d.getMinutes());
  }
  document.addEventListener("input", function (event) {
    var form = event.target.closest && event.target.closest("[data-dispatch-form]");
    if (!form) return;
    var end = form.querySelector("[name=planned_end]");
    if (!end) return;
    if (event.target === end) { end.setAttribute("data-touched", "1"); return; }
    if (end.getAttribute("data-touched")) return;
    if (event.target.name !== "planned_start" && event.target.name !== "hours") return;
    var start = parseLocal(form.querySelector("[name=planned_start]").value);
    var hours = parseFloat((form.querySelector("[name=hours]") || {}).value || "1");
    if (!start || !(hours > 0)) return;
    end.value = formatLocal(new Date(start.getTime() + Math.ceil(hours * 60) * 60000));
  });
})();
