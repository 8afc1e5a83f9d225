// The owner's signature on the tablet (work order, F-3.5): a canvas marked data-signature-pad
// inside a form marked data-signature-form. Drawn with a finger, a pen or the mouse (pointer
// events); on submit the drawing goes into the hidden input "signature" as a PNG data URL,
// unless nothing was drawn. A button marked data-signature-clear wipes it. No inline script
// or style (CSP): the canvas's touch-action is set here.
(function () {
  "use strict";

  function setUp(form) {
    var canvas = form.querySelector("[data-signature-pad]");
    var input = form.querySelector("input[name=signature]");
    if (!canvas || !input || !canvas.getContext) return;
    var ctx = canvas.getContext("2d");
    var drawing = false;
    var drawn = false;
    var last = null;

    canvas.style.touchAction = "none";
    canvas.style.cursor = "crosshair";

    function reset() {
      ctx.fillStyle = "#fff";
      ctx.fillRect(0, 0, canvas.width, canvas.height);
      ctx.strokeStyle = "#dee2e6";
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.moveTo(30, canvas.height - 60);
      ctx.lineTo(canvas.width - 30, canvas.height - 60);
      ctx.stroke();
      drawn = false;
      input.value = "";
    }

    function point(event) {
      var rect = canvas.getBoundingClientRect();
      return {
        x: (event.clientX - rect.left) * (canvas.width / rect.width),
        y: (event.clientY - rect.top) * (canvas.height / rect.height),
      };
    }

    function line(from, to, pressure) {
      ctx.strokeStyle = "#111";
      ctx.lineCap = "round";
      ctx.lineJoin = "round";
      ctx.lineWidth = 2.5 + 2.5 * (pressure || 0.5);
      ctx.beginPath();
      ctx.moveTo(from.x, from.y);
      ctx.lineTo(to.x, to.y);
      ctx.stroke();
    }

    canvas.addEventListener("pointerdown", function (event) {
      event.preventDefault();
      drawing = true;
      last = point(event);
      if (canvas.setPointerCapture) canvas.setPointerCapture(event.pointerId);
      line(last, { x: last.x + 0.1, y: last.y + 0.1 }, event.pressure);
      drawn = true;
    });
    canvas.addEventListener("pointermove", function (event) {
      if (!drawing) return;
      event.preventDefault();
      var next = point(event);
      line(last, next, event.pressure);
      last = next;
    });
    function stop() {
      drawing = false;
      last = null;
    }
    canvas.addEventListener("pointerup", stop);
    canvas.addEventListener("pointercancel", stop);
    canvas.addEventListener("pointerleave", stop);

    var clear = form.querySelector("[data-signature-clear]");
    if (clear) clear.addEventListener("click", reset);

    var paper = form.querySelector("input[name=on_paper]");
    form.addEventListener("submit", function () {
      input.value = drawn && !(paper && paper.checked) ? canvas.toDataURL("image/png") : "";
    });

    reset();
  }

  function init() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-signature-form]"), setUp);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
