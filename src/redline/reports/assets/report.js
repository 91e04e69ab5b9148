/* redline report: figures, the trial router, filters, sorting, search and the labels index.
   Reads its data from <script type="application/json"> elements (never fetched: the report
   opens from disk). Every string from a transcript is put in the page with textContent,
   never as HTML. */
(function () {
  "use strict";
  var body = document.body;
  var single = body.getAttribute("data-mode") === "single";
  var page = body.getAttribute("data-page");
  var CONFIG = { displaylogo: false, responsive: true, modeBarButtonsToRemove: ["sendDataToCloud"] };

  function readJson(el) { return el ? JSON.parse(el.textContent) : null; }
  var data = readJson(document.getElementById("report-data")) || { trials: [], names: [], labels: [], figures: {} };

  function link(ti, anchor) {
    var slug = data.trials[ti];
    var frag = anchor ? slug + "/" + anchor : slug;
    return single ? "#" + frag : "trials/" + slug + ".html#" + frag;
  }

  function plot(el, spec) {
    if (!spec || !window.Plotly) { return; }
    if (spec.layout && spec.layout.height) { el.style.height = spec.layout.height + "px"; }
    if (!spec.data.length) { el.textContent = (spec.layout.title && spec.layout.title.text) || "nothing to show"; el.classList.add("note"); return; }
    window.Plotly.newPlot(el, spec.data, spec.layout, CONFIG);
    el.setAttribute("data-drawn", "1");
  }

  function drawOverview() {
    var figs = document.querySelectorAll("[data-figure]");
    for (var i = 0; i < figs.length; i++) {
      if (!figs[i].getAttribute("data-drawn")) { plot(figs[i], data.figures[figs[i].getAttribute("data-figure")]); }
    }
  }

  function drawTimeline(section) {
    var el = section.querySelector("[data-timeline]");
    if (!el || el.getAttribute("data-drawn")) { return; }
    var slug = el.getAttribute("data-timeline");
    plot(el, readJson(section.querySelector(".timeline-data")));
    if (el.on) {
      el.on("plotly_click", function (ev) {
        var p = ev.points && ev.points[0];
        if (p && p.customdata) { location.hash = slug + "/step-" + p.customdata; }
      });
    }
  }

  var marked = null;
  function scrollToId(id) {
    var el = id ? document.getElementById(id) : null;
    if (marked) { marked.classList.remove("target"); marked = null; }
    if (!el) { if (!id) { window.scrollTo(0, 0); } return; }
    if (el.classList.contains("step")) { el.classList.add("target"); marked = el; }
    el.scrollIntoView({ block: "start" });
  }

  function route() {
    var hash = "";
    try { hash = decodeURIComponent(location.hash.slice(1)); } catch (e) { hash = location.hash.slice(1); }
    var slug = hash.split("/")[0];
    var isTrial = slug && data.trials.indexOf(slug) >= 0;
    if (page === "index" && !single && isTrial) {
      location.replace("trials/" + encodeURIComponent(slug) + ".html#" + hash);
      return;
    }
    if (single) {
      var main = document.getElementById("main");
      var sections = document.querySelectorAll("section.trial-page");
      for (var i = 0; i < sections.length; i++) {
        if (!isTrial || sections[i].id !== slug) { sections[i].hidden = true; }
      }
      if (isTrial) {
        var section = document.getElementById(slug);
        main.hidden = true;
        section.hidden = false;
        drawTimeline(section);
        scrollToId(hash === slug ? null : hash);
        if (hash === slug) { section.scrollIntoView({ block: "start" }); }
        return;
      }
      main.hidden = false;
    }
    if (page === "index") { drawOverview(); }
    if (page === "trial") { drawTimeline(document.querySelector("section.trial-page")); }
    scrollToId(hash);
  }

  /* ---- trials table: filters and sorting ---- */
  function setupTable() {
    var table = document.getElementById("trial-table");
    if (!table) { return; }
    var tbody = table.tBodies[0];
    var selects = document.querySelectorAll("select[data-filter]");
    var count = document.getElementById("trial-count");
    var multi = { labels: 1, strategies: 1, verdict: 1 };
    function apply() {
      var rows = tbody.rows, shown = 0;
      for (var i = 0; i < rows.length; i++) {
        var ok = true;
        for (var j = 0; j < selects.length && ok; j++) {
          var key = selects[j].getAttribute("data-filter"), want = selects[j].value;
          if (!want) { continue; }
          var have = rows[i].getAttribute("data-" + key) || "";
          ok = multi[key] ? have.split("|").indexOf(want) >= 0 : have === want;
        }
        rows[i].hidden = !ok;
        if (ok) { shown++; }
      }
      count.textContent = shown + " of " + rows.length + " trials";
    }
    for (var i = 0; i < selects.length; i++) { selects[i].addEventListener("change", apply); }
    document.getElementById("clear-filters").addEventListener("click", function () {
      for (var i = 0; i < selects.length; i++) { selects[i].value = ""; }
      apply();
    });
    var heads = table.tHead.rows[0].cells;
    for (var c = 0; c < heads.length; c++) {
      (function (col, th) {
        th.addEventListener("click", function () {
          var asc = !th.classList.contains("asc");
          for (var k = 0; k < heads.length; k++) { heads[k].classList.remove("asc", "desc"); }
          th.classList.add(asc ? "asc" : "desc");
          var num = th.getAttribute("data-sort") === "num";
          var rows = Array.prototype.slice.call(tbody.rows);
          var key = function (r) {
            var cell = r.cells[col];
            var v = cell.getAttribute("data-value");
            if (v === null) { v = cell.textContent.trim(); }
            return num ? parseFloat(v) || 0 : v.toLowerCase();
          };
          rows.sort(function (a, b) {
            var x = key(a), y = key(b);
            return (x < y ? -1 : x > y ? 1 : 0) * (asc ? 1 : -1);
          });
          var frag = document.createDocumentFragment();
          rows.forEach(function (r) { frag.appendChild(r); });
          tbody.appendChild(frag);
        });
      })(c, heads[c]);
    }
  }

  /* ---- search over commands and outputs ---- */
  var searchRows = null, lowered = null, waiting = [];
  window.redlineSearch = {
    chunks: 0,
    add: function (rows) {
      searchRows = (searchRows || []).concat(rows);
      this.chunks++;
      if (this.chunks === data.searchChunks) { ready(); }
    }
  };
  function ready() {
    lowered = searchRows.map(function (r) { return [r[2].toLowerCase(), r[3].toLowerCase()]; });
    var w = waiting; waiting = [];
    w.forEach(function (f) { f(); });
  }
  function whenLoaded(f) {
    if (lowered) { f(); return; }
    waiting.push(f);
    if (waiting.length > 1) { return; }
    if (single || !data.searchChunks) {
      searchRows = readJson(document.getElementById("search-data")) || [];
      ready();
      return;
    }
    for (var i = 1; i <= data.searchChunks; i++) {
      var s = document.createElement("script");
      s.src = "search/" + ("000" + i).slice(-4) + ".js";
      document.body.appendChild(s);
    }
  }
  function snippet(li, text, at, len) {
    var from = Math.max(0, at - 60), to = Math.min(text.length, at + len + 100);
    var div = document.createElement("div");
    div.className = "hit";
    div.appendChild(document.createTextNode((from ? "…" : "") + text.slice(from, at)));
    var m = document.createElement("mark");
    m.textContent = text.slice(at, at + len);
    div.appendChild(m);
    div.appendChild(document.createTextNode(text.slice(at + len, to) + (to < text.length ? "…" : "")));
    li.appendChild(div);
  }
  function setupSearch() {
    var box = document.getElementById("search-box");
    if (!box) { return; }
    var list = document.getElementById("search-results"), count = document.getElementById("search-count");
    var timer = null;
    function run() {
      var q = box.value.trim().toLowerCase();
      list.textContent = "";
      if (!q) { count.textContent = ""; return; }
      count.textContent = "searching…";
      whenLoaded(function () {
        var found = 0, shown = 0, LIMIT = 200;
        for (var i = 0; i < lowered.length; i++) {
          var inCmd = lowered[i][0].indexOf(q), inOut = inCmd < 0 ? lowered[i][1].indexOf(q) : -1;
          if (inCmd < 0 && inOut < 0) { continue; }
          found++;
          if (shown >= LIMIT) { continue; }
          shown++;
          var r = searchRows[i];
          var li = document.createElement("li");
          var a = document.createElement("a");
          a.href = link(r[0], r[1]);
          a.textContent = data.names[r[0]] + " · " + r[1].replace("-", " ") + (inCmd >= 0 ? " · command" : " · output");
          li.appendChild(a);
          snippet(li, inCmd >= 0 ? r[2] : r[3], inCmd >= 0 ? inCmd : inOut, q.length);
          list.appendChild(li);
        }
        count.textContent = found + " steps match" + (found > shown ? " (the first " + shown + " shown; narrow the search)" : "");
      });
    }
    box.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(run, 150); });
  }

  /* ---- labels index ---- */
  var labelWaiting = [];
  window.redlineLabels = function (places) {
    data.labels = places;
    var w = labelWaiting; labelWaiting = [];
    w.forEach(function (f) { f(); });
  };
  function withLabels(f) {
    if (data.labels) { f(); return; }
    labelWaiting.push(f);
    if (labelWaiting.length > 1) { return; }
    var s = document.createElement("script");
    s.src = "search/labels.js";
    document.body.appendChild(s);
  }
  function setupLabels() {
    var items = document.querySelectorAll("#label-index details");
    for (var i = 0; i < items.length; i++) {
      items[i].addEventListener("toggle", function (ev) {
        var d = ev.target;
        if (d.open) { withLabels(function () { fillLabel(d); }); }
      });
    }
  }
  function fillLabel(d) {
    var ul = d.querySelector("ul.places");
    if (ul.childNodes.length) { return; }
    var places = data.labels[parseInt(d.getAttribute("data-label"), 10)] || [];
    var frag = document.createDocumentFragment();
    places.forEach(function (p) {
      var li = document.createElement("li"), a = document.createElement("a");
      a.href = link(p[0], p[1]);
      a.textContent = data.names[p[0]] + " · " + (p[1] ? p[1].replace("-", " ") : "whole trial");
      li.appendChild(a);
      frag.appendChild(li);
    });
    ul.appendChild(frag);
  }

  setupTable();
  setupSearch();
  setupLabels();
  window.addEventListener("hashchange", route);
  route();
})();
