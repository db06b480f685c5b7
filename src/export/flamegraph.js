// SPDX-License-Identifier: MIT
/*
 * The flame graph's script, embedded by the build in every SVG leakscope
 * writes (src/export/svg.c puts `var L, W, CW` before it: the graph's
 * left edge, its width and the width of a character). Plain ES5, so any
 * browser runs it. C wrote every frame's geometry; this recomputes it
 * for zoom and never builds frames itself. Under node (where `module`
 * exists) it only hands its pure helpers to tests/export/flamegraph_test.js.
 */
(function () {
'use strict';

/* ---- pure helpers ---- */

function human(v) {
  var u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'], i = 0;
  while (v >= 1024 && i < u.length - 1) { v /= 1024; i++; }
  return i ? v.toFixed(1) + ' ' + u[i] : v + ' B';
}
function pct(v, of) { return (of ? 100 * v / of : 0).toFixed(2) + '%'; }
/* name cut to what fits in w pixels, '..' marking the cut */
function label(name, w) {
  var n = Math.floor((w - 6) / CW);
  if (n < 3) return '';
  return name.length <= n ? name : name.slice(0, n - 2) + '..';
}
/* A search: a regular expression, or plain text if it is not one; all
   lower case means any case. */
function matcher(t) {
  var fold = t === t.toLowerCase(), re = null;
  try { re = new RegExp(t, fold ? 'i' : ''); } catch (e) { re = null; }
  if (re) return function (s) { return re.test(s); };
  t = fold ? t.toLowerCase() : t;
  return function (s) { return (fold ? s.toLowerCase() : s).indexOf(t) >= 0; };
}
/* The length [start, end) spans cover together: a span inside another
   (a match inside a match) is not counted twice. */
function covered(spans) {
  var sum = 0, end = -1;
  spans = spans.slice().sort(function (a, b) { return a[0] - b[0] || b[1] - a[1]; });
  spans.forEach(function (s) {
    if (s[1] <= end) return;
    sum += s[1] - Math.max(s[0], end);
    end = s[1];
  });
  return sum;
}

if (typeof module === 'object' && module && module.exports) {
  module.exports = { human: human, pct: pct, label: label, matcher: matcher, covered: covered };
  return;
}

/* ---- the page ---- */

var doc = document, svg = doc.documentElement;
var graphs = [].slice.call(doc.querySelectorAll('g.graph'));
var tabs = [].slice.call(doc.querySelectorAll('text.tab'));
var details = doc.getElementById('details');
var matched = doc.getElementById('matched');
var resetBtn = doc.getElementById('reset');
var searchBtn = doc.getElementById('search');
var cur = null, frames = [], root = null, zoomed = null, pattern = null;

function data(el, k) { return el.getAttribute('data-' + k); }
function load(i) {
  cur = graphs[i];
  frames = [].slice.call(cur.querySelectorAll('g.f')).map(function (g) {
    var f = { g: g, rect: g.querySelector('rect'), text: g.querySelector('text'),
      name: data(g, 'n'), src: data(g, 's'), x: +data(g, 'x'), v: +data(g, 'v'),
      c: +data(g, 'c'), d: +data(g, 'd') };
    g.lsFrame = f;
    return f;
  });
  root = frames.filter(function (f) { return f.d === 0; })[0] || null;
}
function items(n) { return n + ' ' + data(cur, n === 1 ? 'one' : 'many'); }
function describe(f) {
  var s = f.name + (f.src ? ' (' + f.src + ')' : '') + ': ';
  s += data(cur, 'unit') === 'bytes' ? human(f.v) + ' in ' + items(f.c) : items(f.v);
  s += ', ' + pct(f.v, root.v) + ' of all';
  if (zoomed && zoomed !== root && f !== zoomed)
    s += ', ' + pct(f.v, zoomed.v) + ' of ' + zoomed.name;
  return s;
}
function place(f, x, w) {
  f.rect.setAttribute('x', x.toFixed(2));
  f.rect.setAttribute('width', w.toFixed(2));
  f.text.setAttribute('x', (x + 3).toFixed(2));
  f.text.textContent = label(f.name, w);
}
/* Frames are nested intervals: below z (deeper) and inside its span
   means z's own subtree; above it and around its span, its callers. */
function zoom(z) {
  if (!z) return;
  zoomed = z;
  frames.forEach(function (f) {
    var inside = f.d >= z.d && f.x >= z.x && f.x + f.v <= z.x + z.v;
    var caller = f.d < z.d && f.x <= z.x && f.x + f.v >= z.x + z.v;
    var w = inside ? f.v / z.v * W : W;
    var visible = caller || (inside && w >= 0.3);
    f.g.style.display = visible ? '' : 'none';
    f.g.classList.toggle('caller', caller);
    if (visible) place(f, inside ? L + (f.x - z.x) / z.v * W : L, w);
  });
  resetBtn.style.display = z === root ? 'none' : '';
}
function clearSearch() {
  frames.forEach(function (f) { f.g.classList.remove('hl'); });
  pattern = null;
  matched.textContent = '';
  searchBtn.textContent = 'Search';
}
/* Matched share: what the matched frames' spans cover together. */
function search(t) {
  var test, spans = [];
  clearSearch();
  if (!t) return;
  test = matcher(t);
  frames.forEach(function (f) {
    if (!test(f.name)) return;
    f.g.classList.add('hl');
    spans.push([f.x, f.x + f.v]);
  });
  pattern = t;
  matched.textContent = 'Matched: ' + pct(covered(spans), root ? root.v : 0) +
    ' (' + spans.length + (spans.length === 1 ? ' frame)' : ' frames)');
  searchBtn.textContent = 'Clear search';
}
function ask() {
  var t = window.prompt('Search frames (a regular expression, or plain text):',
    pattern || '');
  if (t !== null) search(t);
}
function show(i) {
  if (cur) clearSearch();
  graphs.forEach(function (g, j) { g.style.display = j === i ? '' : 'none'; });
  tabs.forEach(function (t, j) { t.classList.toggle('on', j === i); });
  load(i);
  zoom(root);
  details.textContent = '';
}
svg.addEventListener('click', function (e) {
  var t = e.target, g = t.closest ? t.closest('g.f') : null;
  if (g && g.lsFrame) zoom(g.lsFrame);
  else if (t === resetBtn) zoom(root);
  else if (t === searchBtn) { if (pattern !== null) clearSearch(); else ask(); }
  else if (t.classList && t.classList.contains('tab')) show(+data(t, 'i'));
});
svg.addEventListener('mouseover', function (e) {
  var g = e.target.closest ? e.target.closest('g.f') : null;
  details.textContent = g && g.lsFrame ? describe(g.lsFrame) : '';
});
svg.addEventListener('mouseleave', function () { details.textContent = ''; });
window.addEventListener('keydown', function (e) {
  if (((e.ctrlKey || e.metaKey) && e.key === 'f') || e.key === '/') {
    e.preventDefault();
    ask();
  } else if (e.key === 'Escape') {
    clearSearch();
    zoom(root);
  }
});
if (graphs.length) show(0);
})();
