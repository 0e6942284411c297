// sopkit handbook search: offline, over assets/search-index.js; accent- and case-blind.
(function () {
  "use strict";
  var script = document.currentScript;
  var root = (script && script.getAttribute("data-root")) || "";
  var index = window.SOPKIT_INDEX || [];
  var input = document.getElementById("search");
  var list = document.getElementById("results");
  if (!input || !list) { return; }

  function fold(text) {
    return text.toLowerCase().replace(/ς/g, "σ").normalize("NFD").replace(/[\u0300-\u036f]/g, "");
  }

  function show(query) {
    var words = fold(query).split(/\s+/).filter(Boolean);
    while (list.firstChild) { list.removeChild(list.firstChild); }
    if (!words.length) { list.hidden = true; return; }
    var shown = 0;
    for (var i = 0; i < index.length && shown < 20; i++) {
      var entry = index[i];
      if (!words.every(function (w) { return entry.f.indexOf(w) !== -1; })) { continue; }
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.href = root + entry.u;
      link.textContent = entry.t;          // text, never HTML
      var where = document.createElement("small");
      where.textContent = entry.k;
      link.appendChild(where);
      item.appendChild(link);
      list.appendChild(item);
      shown++;
    }
    list.hidden = shown === 0;
  }

  input.addEventListener("input", function () { show(input.value); });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter") {
      var first = list.querySelector("a");
      if (first) { window.location.href = first.href; }
    }
    if (event.key === "Escape") { input.value = ""; show(""); }
  });
})();
