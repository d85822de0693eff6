// Sorting and filtering of the services table (readiness-gate dashboard). Reads only data-*
// attributes the page already holds; builds no markup from data (textContent only). Loaded inline
// and allowed by its hash in the page's Content-Security-Policy.
(function () {
  "use strict";
  var table = document.getElementById("service-table");
  var form = document.getElementById("filters");
  if (!table || !form) { return; }
  var tbody = table.tBodies[0];
  var rows = Array.prototype.slice.call(tbody.rows);
  var gateCount = parseInt(table.getAttribute("data-gates"), 10) || 0;
  var fields = ["gate", "status", "team", "tier", "text"];
  var count = document.getElementById("shown-count");

  function field(name) { return document.getElementById("f-" + name); }

  function owners(row) {
    try { return JSON.parse(row.getAttribute("data-owners") || "[]"); } catch (e) { return []; }
  }

  function matches(row, f) {
    if (f.status) {
      if (f.gate !== "") {
        if (row.getAttribute("data-g" + f.gate) !== f.status) { return false; }
      } else {
        var any = false;
        for (var i = 0; i < gateCount; i++) {
          if (row.getAttribute("data-g" + i) === f.status) { any = true; break; }
        }
        if (!any) { return false; }
      }
    }
    if (f.team && owners(row).indexOf(f.team) < 0) { return false; }
    if (f.tier && row.getAttribute("data-tier") !== f.tier) { return false; }
    if (f.text && (row.getAttribute("data-search") || "").indexOf(f.text.toLowerCase()) < 0) { return false; }
    return true;
  }

  function apply() {
    var f = {};
    var state = new URLSearchParams();
    fields.forEach(function (name) {
      f[name] = field(name).value.trim();
      if (f[name]) { state.set(name, f[name]); }
    });
    var shown = 0;
    rows.forEach(function (row) {
      var ok = matches(row, f);
      row.hidden = !ok;
      if (ok) { shown++; }
    });
    count.textContent = shown + " of " + rows.length + " services shown";
    try { history.replaceState(null, "", state.toString() ? "#" + state.toString() : location.pathname); } catch (e) { /* file: URLs may refuse */ }
  }

  function sortBy(th) {
    var col = th.cellIndex;
    var numeric = th.getAttribute("data-type") === "number";
    var dir = th.getAttribute("aria-sort") === "ascending" ? -1 : 1;
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (c) { c.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", dir === 1 ? "ascending" : "descending");
    var keyed = rows.map(function (row, i) {
      var v = row.cells[col].getAttribute("data-sort");
      if (v === null) { v = row.cells[col].textContent; }
      return { row: row, i: i, v: numeric ? parseFloat(v) : v.toLowerCase() };
    });
    keyed.sort(function (a, b) {
      var x = a.v, y = b.v;
      if (numeric) {
        if (isNaN(x)) { x = -Infinity; }
        if (isNaN(y)) { y = -Infinity; }
      }
      if (x < y) { return -dir; }
      if (x > y) { return dir; }
      return a.i - b.i;
    });
    keyed.forEach(function (k) { tbody.appendChild(k.row); });
  }

  Array.prototype.forEach.call(table.querySelectorAll("th button"), function (button) {
    button.addEventListener("click", function () { sortBy(button.parentNode); });
  });
  var initial = new URLSearchParams(location.hash.replace(/^#/, ""));
  fields.forEach(function (name) {
    var el = field(name);
    var v = initial.get(name);
    if (v !== null) {
      if (el.tagName === "SELECT" && !Array.prototype.some.call(el.options, function (o) { return o.value === v; })) { v = ""; }
      el.value = v;
    }
    el.addEventListener(el.tagName === "SELECT" ? "change" : "input", apply);
  });
  document.getElementById("f-reset").addEventListener("click", function () {
    fields.forEach(function (name) { field(name).value = ""; });
    apply();
  });
  form.addEventListener("submit", function (ev) { ev.preventDefault(); });
  form.hidden = false;
  apply();
}());
