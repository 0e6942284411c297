// sopkit handbook: a flowchart at full size, with pan and zoom, by mouse, touch or keys.
// The page shows each chart at its natural size (its text never shrinks below what it
// was laid out at) and scrolls it inside its frame; this opens it over the whole window.
(function () {
  "use strict";
  var words = document.body.dataset;
  var charts = document.querySelectorAll("figure.flowchart");
  for (var i = 0; i < charts.length; i++) {
    var svg = charts[i].querySelector("svg");
    if (!svg) continue;
    var button = document.createElement("button");
    button.type = "button";
    button.className = "zoom";
    button.textContent = "⤢ " + (words.fullSize || "Full size");
    button.addEventListener("click", open.bind(null, svg, button));
    charts[i].insertBefore(button, charts[i].firstChild);
  }

  function open(svg, opener) {
    var dialog = document.createElement("dialog");
    dialog.className = "chart-viewer";
    dialog.setAttribute("aria-label", words.fullSize || "Full size");
    var bar = document.createElement("div");
    bar.className = "bar";
    var stage = document.createElement("div");
    stage.className = "stage";
    var copy = svg.cloneNode(true);
    copy.removeAttribute("id");  // ids stay unique on the page while the copy is open
    var named = copy.querySelectorAll("[id]");
    for (var n = 0; n < named.length; n++) named[n].removeAttribute("id");
    stage.appendChild(copy);
    var scale = 1, x = 0, y = 0;
    function apply() {
      copy.style.transform = "translate(" + x + "px," + y + "px) scale(" + scale + ")";
      dialog.dataset.scale = scale.toFixed(3);
    }
    function zoom(factor) { scale = Math.min(8, Math.max(0.2, scale * factor)); apply(); }
    function control(label, title, action) {
      var b = document.createElement("button");
      b.type = "button";
      b.textContent = label;
      b.title = title;
      b.addEventListener("click", action);
      bar.appendChild(b);
      return b;
    }
    var close = control("✕ " + (words.close || "Close"), words.close || "Close", function () {
      dialog.close();
    });
    control("+", "+", function () { zoom(1.25); });
    control("−", "−", function () { zoom(0.8); });
    control("1:1", "0", function () { scale = 1; x = 0; y = 0; apply(); });
    stage.addEventListener("wheel", function (event) {
      event.preventDefault();
      zoom(event.deltaY < 0 ? 1.15 : 1 / 1.15);
    }, { passive: false });
    var drag = null;
    stage.addEventListener("pointerdown", function (event) {
      if (event.target.closest && event.target.closest("a")) return;
      drag = { x: event.clientX - x, y: event.clientY - y };
      stage.setPointerCapture(event.pointerId);
    });
    stage.addEventListener("pointermove", function (event) {
      if (!drag) return;
      x = event.clientX - drag.x;
      y = event.clientY - drag.y;
      apply();
    });
    stage.addEventListener("pointerup", function () { drag = null; });
    stage.addEventListener("click", function (event) {
      if (event.target.closest && event.target.closest("a")) dialog.close();  // followed a link
    });
    dialog.addEventListener("keydown", function (event) {
      var step = 40;
      if (event.key === "+" || event.key === "=") zoom(1.25);
      else if (event.key === "-") zoom(0.8);
      else if (event.key === "0") { scale = 1; x = 0; y = 0; apply(); }
      else if (event.key === "ArrowLeft") { x += step; apply(); }
      else if (event.key === "ArrowRight") { x -= step; apply(); }
      else if (event.key === "ArrowUp") { y += step; apply(); }
      else if (event.key === "ArrowDown") { y -= step; apply(); }
      else return;
      event.preventDefault();
    });
    dialog.addEventListener("close", function () {
      dialog.remove();
      opener.focus();
    });
    dialog.appendChild(bar);
    dialog.appendChild(stage);
    document.body.appendChild(dialog);
    apply();
    dialog.showModal();
    close.focus();
  }
})();
