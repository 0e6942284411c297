// sopkit handbook search: offline, over assets/search-index.js; accent- and case-blind.
// Ranked: a query word that is a whole word of an entry beats one that starts a word,
// which beats one found inside a word ("IC" finds the Incident Commander before "klic");
// then titles before terms, roles and steps. Results are grouped per SOP, each with the
// words around the match; "20 of 57 results" says when the list is cut.
// The index (a few MB for a thousand SOPs) is loaded when the search box is first
// used, not with every page: a page opens without parsing it. A <script> element,
// not fetch(), so that the handbook searches when opened from disk (file://) too.
(function () {
  "use strict";
  var script = document.currentScript;
  var root = (script && script.getAttribute("data-root")) || "";
  var input = document.getElementById("search");
  var list = document.getElementById("results");
  var words = document.body.dataset;
  var LIMIT = 20;
  var KIND = { title: 3, term: 2, role: 1, step: 0 };
  if (!input || !list) { return; }

  function fold(text) {
    return text.toLowerCase().replace(/ς/g, "σ").normalize("NFD").replace(/[\u0300-\u036f]/g, "");
  }
  var SPLIT = /[^\p{L}\p{N}]+/u;
  var prepared = null;
  var loading = false;

  function prepare(index) {
    prepared = index.map(function (entry) {
      return { entry: entry, text: entry.f, words: entry.f.split(SPLIT).filter(Boolean) };
    });
  }

  // The index, loaded once; then the latest query is shown. A page whose own template
  // still loads search-index.js itself has it already.
  function load() {
    if (prepared || loading) { return; }
    if (window.SOPKIT_INDEX) { prepare(window.SOPKIT_INDEX); return; }
    loading = true;
    var element = document.createElement("script");
    element.src = root + "assets/search-index.js";
    element.onload = function () { prepare(window.SOPKIT_INDEX || []); show(input.value); };
    document.body.appendChild(element);
  }

  // 3: a whole word, 2: the start of a word, 1: inside a word, 0: absent.
  function quality(item, word) {
    var best = 0;
    for (var i = 0; i < item.words.length && best < 3; i++) {
      var candidate = item.words[i];
      if (candidate === word) { best = 3; }
      else if (candidate.indexOf(word) === 0) { best = Math.max(best, 2); }
    }
    if (!best && item.text.indexOf(word) !== -1) { best = 1; }
    return best;
  }

  function snippet(text, word) {
    // The words around the first match, the match marked; text nodes only, never HTML.
    var folded = fold(text);
    var at = folded.indexOf(word);
    var start = Math.max(0, at - 30), end = Math.min(text.length, at + word.length + 50);
    var span = document.createElement("span");
    if (at < 0) { span.textContent = text.slice(0, 80); return span; }
    span.appendChild(document.createTextNode((start ? "…" : "") + text.slice(start, at)));
    var mark = document.createElement("mark");
    mark.textContent = text.slice(at, at + word.length);
    span.appendChild(mark);
    span.appendChild(document.createTextNode(text.slice(at + word.length, end) + (end < text.length ? "…" : "")));
    return span;
  }

  function show(query) {
    var terms = fold(query).split(SPLIT).filter(Boolean);
    while (list.firstChild) { list.removeChild(list.firstChild); }
    if (!terms.length || !prepared) { list.hidden = true; return; }
    var found = [];
    prepared.forEach(function (item, order) {
      var weakest = 3;
      for (var i = 0; i < terms.length; i++) {
        weakest = Math.min(weakest, quality(item, terms[i]));
        if (!weakest) { return; }
      }
      found.push({ item: item, score: weakest * 10 + (KIND[item.entry.y] || 0), order: order });
    });
    found.sort(function (a, b) { return b.score - a.score || a.order - b.order; });
    var shown = found.slice(0, LIMIT);
    var groups = [], byGroup = {};
    shown.forEach(function (hit) {
      var key = hit.item.entry.g;
      if (!byGroup[key]) { byGroup[key] = { title: hit.item.entry.k, url: hit.item.entry.p, hits: [] }; groups.push(byGroup[key]); }
      byGroup[key].hits.push(hit);
    });
    groups.forEach(function (group) {
      var head = document.createElement("li");
      head.className = "group";
      var title = document.createElement("a");
      title.href = root + group.url;
      title.textContent = group.title;
      head.appendChild(title);
      var items = document.createElement("ol");
      group.hits.forEach(function (hit) {
        var entry = hit.item.entry;
        var item = document.createElement("li");
        var link = document.createElement("a");
        link.href = root + entry.u;
        link.className = entry.y;
        link.appendChild(snippet(entry.t, terms[0]));
        item.appendChild(link);
        items.appendChild(item);
      });
      head.appendChild(items);
      list.appendChild(head);
    });
    if (found.length > shown.length) {
      var more = document.createElement("li");
      more.className = "count";
      more.textContent = (words.resultsOf || "{} of {} results")
        .replace("{}", String(shown.length)).replace("{}", String(found.length));
      list.appendChild(more);
    }
    list.hidden = found.length === 0;
  }

  input.addEventListener("focus", load);
  input.addEventListener("input", function () { load(); show(input.value); });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter") {
      var first = list.querySelector("ol a");
      if (first) { window.location.href = first.href; }
    }
    if (event.key === "Escape") { input.value = ""; show(""); }
  });
})();
