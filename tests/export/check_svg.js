#!/usr/bin/env node
// SPDX-License-Identifier: MIT
//
// The SVG flame graph in a real browser (Debian's chromium, driven by
// playwright-core from npm, installed on first use into tests/.cache):
// frames render with the right widths, hover shows details, click zooms,
// search highlights and reports the matched share, reset restores, tabs
// switch kinds, a report with thousands of stacks stays light, markup in
// names is escaped, and a screenshot is not blank.
//
// Usage: node tests/export/check_svg.js   (LEAKSCOPE=path/to/leakscope)
// Prints "ok - name" / "not ok - name: why" lines; exits 1 on failure.
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const zlib = require('zlib');
const { execFileSync } = require('child_process');

const ROOT = path.resolve(__dirname, '..', '..');
const LEAKSCOPE = process.env.LEAKSCOPE || path.join(ROOT, 'leakscope');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const CACHE = path.join(ROOT, 'tests', '.cache', 'node');
const PLAYWRIGHT = 'playwright-core@1.60.0';	// Node >= 18: Debian's nodejs too
const SAMPLE = path.join(__dirname, 'sample_report.json');
const GRAPH_W = 1180, MARGIN = 10;

let failed = 0;
function ok(name) { console.log(`ok - ${name}`); }
function notOk(name, why) { failed++; console.log(`not ok - ${name}: ${why}`); }
function check(name, cond, why) { cond ? ok(name) : notOk(name, why); }
function near(a, b, eps = 0.02) { return Math.abs(a - b) <= eps; }

function loadPlaywright() {
  const mod = path.join(CACHE, 'node_modules', 'playwright-core');
  const have = () => {
    try { return 'playwright-core@' + require(path.join(mod, 'package.json')).version; } catch (e) { return null; }
  };
  if (have() !== PLAYWRIGHT) {
    fs.mkdirSync(CACHE, { recursive: true });
    execFileSync('npm', ['install', '--no-save', '--no-audit', '--no-fund',
      '--loglevel=error', '--prefix', CACHE, PLAYWRIGHT], { stdio: ['ignore', 'ignore', 'inherit'] });
  }
  return require(mod);
}

function convert(input, output, extra = []) {
  execFileSync(LEAKSCOPE, ['convert', '-q', input, '-o', output, ...extra],
    { stdio: ['ignore', 'inherit', 'inherit'] });
}

// A report with thousands of stacks: 60 "services", each with 50 call
// paths of depth 6-25, weights spread over five orders of magnitude, and
// a name full of markup.
function bigReport() {
  const stacks = [];
  let seed = 12345, total = 0;
  const rnd = n => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; };
  for (let s = 0; s < 60; s++) {
    for (let p = 0; p < 50; p++) {
      const depth = 6 + rnd(20), frames = [];
      for (let d = 0; d < depth; d++) frames.push(`svc${s}::layer${d}_fn${rnd(d < 3 ? 2 : 40)}`);
      if (s === 0 && p === 0) frames[depth - 1] = 'operator<<(std::ostream&, "T" const&) \'x\'';
      frames.reverse(); // innermost first
      const bytes = s === 0 && p === 0 ? 1e9 : (1 + rnd(1000)) * Math.pow(10, rnd(5));
      total += bytes;
      stacks.push({ kind: 'malloc', pid: 7, count: 1 + rnd(9), bytes, oldest_s: 1.0,
        growth_per_min: 0.0, suspect: false, preexisting: false, truncated: false,
        frames, locations: frames.map(() => ({ address: 0 })) });
    }
  }
  return { report: { version: 1, tool: 'leakscope', start_unix_s: 0, duration_s: 10, min_age_s: 0.5,
    targets: [{ pid: 7, comm: 'big', exe: '/bin/big', exited: false }], lost_events: 0,
    drops: {}, unresolved_frames: 0,
    totals: { malloc: { count: 0, bytes: total, hidden_count: 0, hidden_bytes: 0 } },
    notes: [], stacks }, total };
}

// PNG (8-bit RGB or RGBA, not interlaced) -> number of distinct colors
// and the share of pixels that differ from the most common one.
function pngStats(buf) {
  let pos = 8, width = 0, height = 0, type = 0;
  const idat = [];
  while (pos < buf.length) {
    const len = buf.readUInt32BE(pos), kind = buf.toString('ascii', pos + 4, pos + 8);
    const data = buf.subarray(pos + 8, pos + 8 + len);
    if (kind === 'IHDR') { width = data.readUInt32BE(0); height = data.readUInt32BE(4); type = data[9]; }
    if (kind === 'IDAT') idat.push(data);
    pos += 12 + len;
  }
  const bpp = type === 6 ? 4 : 3, stride = width * bpp;
  const raw = zlib.inflateSync(Buffer.concat(idat));
  const out = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const f = raw[y * (stride + 1)], line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const a = x >= bpp ? out[y * stride + x - bpp] : 0;
      const b = y ? out[(y - 1) * stride + x] : 0;
      const c = x >= bpp && y ? out[(y - 1) * stride + x - bpp] : 0;
      let v = line[x];
      if (f === 1) v += a;
      else if (f === 2) v += b;
      else if (f === 3) v += (a + b) >> 1;
      else if (f === 4) {
        const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
        v += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      out[y * stride + x] = v & 255;
    }
  }
  const counts = new Map();
  for (let i = 0; i < out.length; i += bpp) {
    const key = (out[i] << 16) | (out[i + 1] << 8) | out[i + 2];
    counts.set(key, (counts.get(key) || 0) + 1);
  }
  const top = Math.max(...counts.values());
  return { colors: counts.size, busy: 1 - top / (width * height) };
}

// Frame geometry and state in the visible graph, by frame name.
async function frames(page) {
  return page.evaluate(() => {
    const graph = [...document.querySelectorAll('g.graph')].find(g => g.style.display !== 'none');
    return [...graph.querySelectorAll('g.f')].map(g => {
      const r = g.querySelector('rect');
      return { name: g.getAttribute('data-n'), x: +r.getAttribute('x'), w: +r.getAttribute('width'),
        shown: g.style.display !== 'none', hl: g.classList.contains('hl'),
        caller: g.classList.contains('caller'), label: g.querySelector('text').textContent };
    });
  });
}
const byName = (fs_, n) => fs_.filter(f => f.name === n);
const text = (page, sel) => page.$eval(sel, e => e.textContent);
const visibleTitle = page => page.evaluate(() =>
  [...document.querySelectorAll('g.graph')].find(g => g.style.display !== 'none')
    .querySelector('text.title').textContent);
const frameSel = n => `g.graph:not([style*="none"]) g.f[data-n="${n}"]:not([style*="none"]) rect`;

async function main() {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'leakscope-svg-'));
  const out = path.join(ROOT, 'tests', '.cache', 'out');
  fs.mkdirSync(out, { recursive: true });
  if (!fs.existsSync(CHROMIUM)) {
    notOk('chromium', `${CHROMIUM} missing: apt-get install chromium (scripts/install-deps.sh test)`);
    return;
  }
  let pw;
  try { pw = loadPlaywright(); } catch (e) { notOk('playwright-core', `cannot install ${PLAYWRIGHT}: ${e.message}`); return; }

  const svg = path.join(tmp, 'sample.svg');
  convert(SAMPLE, svg);
  const big = bigReport();
  const bigJson = path.join(tmp, 'big.json'), bigSvg = path.join(tmp, 'big.svg');
  fs.writeFileSync(bigJson, JSON.stringify(big.report));
  convert(bigJson, bigSvg);

  const ctx = await pw.chromium.launchPersistentContext(path.join(tmp, 'profile'), {
    executablePath: CHROMIUM, headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1200, height: 500 },
  });
  try {
    const page = ctx.pages()[0] || await ctx.newPage();
    const errors = [];
    page.on('pageerror', e => errors.push(e.message));
    let answer = null;
    page.on('dialog', d => d.accept(answer));
    await page.goto('file://' + svg);

    // Render: the mmap graph first, widths in proportion to bytes.
    let f = await frames(page);
    const title = await visibleTitle(page);
    check('renders frames', f.length >= 8 && f.every(x => x.shown), `${f.length} frames`);
    check('title names kind, units, target, duration',
      title === 'leakscope: mmap (mapped memory), bytes, logshipper (4250), 42.5 s', title);
    const total = 8388608 + 1048576 + 65536;
    const ring = byName(f, 'ring_alloc')[0];
    check('root spans the width', near(byName(f, 'all')[0].w, GRAPH_W), JSON.stringify(byName(f, 'all')));
    check('width by weight', ring && near(ring.w, 8388608 / total * GRAPH_W),
      `ring_alloc ${ring && ring.w}, expected ${8388608 / total * GRAPH_W}`);
    check('labels fit', ring.label === 'ring_alloc' && byName(f, '[held before attach]')[0].label === '',
      JSON.stringify(f.map(x => x.label)));
    const initial = f.map(x => [x.name, x.x, x.w]);

    // Hover.
    await page.hover(frameSel('ring_alloc'));
    let d = await text(page, '#details');
    check('hover shows details', d === 'ring_alloc (ring.c:88): 8.0 MiB in 2 mappings, 88.28% of all', d);

    // Click zooms: the frame takes the full width, its callers too
    // (dimmed), the rest hides.
    await page.click(frameSel('ring_alloc'));
    f = await frames(page);
    const z = byName(f, 'ring_alloc')[0], mainF = byName(f, 'main')[0];
    check('click zooms to full width', near(z.w, GRAPH_W) && near(z.x, MARGIN), JSON.stringify(z));
    check('zoom keeps callers, hides the rest', mainF.caller && near(mainF.w, GRAPH_W) &&
      !byName(f, 'arena_grow')[0].shown && byName(f, '__mmap').filter(x => x.shown).length === 1,
      JSON.stringify(f.filter(x => x.shown).map(x => x.name)));
    check('reset button shows when zoomed', await page.isVisible('#reset'), 'hidden');
    await page.hover(frameSel('__mmap'));
    d = await text(page, '#details');
    check('hover in zoom gives share of zoomed frame',
      d === '__mmap: 8.0 MiB in 2 mappings, 88.28% of all, 100.00% of ring_alloc', d);

    // Reset restores every frame.
    await page.click('#reset');
    f = await frames(page);
    check('reset restores', JSON.stringify(f.map(x => [x.name, x.x, x.w])) === JSON.stringify(initial) &&
      f.every(x => x.shown && !x.caller) && !(await page.isVisible('#reset')), 'geometry differs');

    // Search: text, then a regular expression with nested matches.
    answer = 'MMAP';	// an upper-case letter: case matters ("smart case")
    await page.click('#search');
    let m = await text(page, '#matched');
    check('search with capitals is case-sensitive', m === 'Matched: 0.00% (0 frames)', m);
    answer = 'mmap';	// all lower case: any case
    await page.click('#search');	// "Clear search"
    await page.click('#search');
    f = await frames(page);
    m = await text(page, '#matched');
    check('search highlights matches', f.filter(x => x.hl).map(x => x.name).join() === '__mmap,__mmap',
      f.filter(x => x.hl).map(x => x.name).join());
    check('search reports matched share', m === 'Matched: 99.31% (2 frames)', m);
    check('search button clears', await text(page, '#search') === 'Clear search', await text(page, '#search'));
    await page.click('#search');
    f = await frames(page);
    check('clear search', !f.some(x => x.hl) && await text(page, '#matched') === '', 'still highlighted');
    answer = '^(arena|parse)_';
    await page.click('#search');
    m = await text(page, '#matched');
    check('regex search counts nested matches once', m === 'Matched: 11.03% (2 frames)', m);
    await page.click(frameSel('main'));
    await page.keyboard.press('Escape');
    f = await frames(page);
    check('Escape resets zoom and search', !f.some(x => x.hl) && JSON.stringify(f.map(x => [x.name, x.x, x.w])) === JSON.stringify(initial),
      'not reset');

    // Tabs: the fd graph counts.
    await page.click('text.tab[data-i="1"]');
    const fdTitle = await visibleTitle(page);
    check('tab switches kind', fdTitle === 'leakscope: fd (open file descriptors), count, apiserver (4242), logshipper (4250), 42.5 s', fdTitle);
    await page.hover(frameSel('syscall.socket'));
    d = await text(page, '#details');
    check('counted kinds show counts', d === 'syscall.socket (zsyscall_linux_amd64.go:1597): 5 fds, 45.45% of all', d);

    // Screenshot: not blank.
    await page.click('text.tab[data-i="0"]');
    await page.mouse.move(1, 1);
    const png = await page.screenshot({ path: path.join(out, 'flamegraph.png') });
    const st = pngStats(png);
    check('screenshot is not blank', st.colors >= 12 && st.busy > 0.1,
      `${st.colors} colors, ${(st.busy * 100).toFixed(1)}% non-background`);

    // Thousands of stacks.
    const size = fs.statSync(bigSvg).size;
    const t0 = Date.now();
    await page.goto('file://' + bigSvg);
    f = await frames(page);
    const loadMs = Date.now() - t0;
    const sub = await page.$eval('g.graph text.sub', e => e.textContent);
    console.log(`# big report: ${big.report.stacks.length} stacks, ${f.length} frames drawn, ` +
      `${size} bytes of SVG, loaded in ${loadMs} ms; ${sub.split(';')[1] || ''}`);
    check('big report: narrow frames skipped', /\d+ frames under 0\.1% not drawn/.test(sub) && f.length < 20000,
      `${f.length} frames drawn; ${sub}`);
    check('big report: light', size < 8 * 1024 * 1024 && loadMs < 10000, `${size} bytes, ${loadMs} ms`);
    const markup = 'operator<<(std::ostream&, "T" const&) \'x\'';
    check('markup in names escaped', byName(f, markup).length === 1, 'frame with markup missing');
    const target = f.filter(x => /^svc\d+::layer0_/.test(x.name)).sort((a, b) => b.w - a.w)[1];
    const t1 = Date.now();
    await page.click(frameSel(target.name));
    const zoomMs = Date.now() - t1;
    f = await frames(page);
    const zf = byName(f, target.name)[0];
    check('big report: zoom', zf && near(zf.w, GRAPH_W) && zoomMs < 3000, `${zoomMs} ms, ${JSON.stringify(zf)}`);
    check('no script errors', errors.length === 0, errors.join('; '));
  } finally {
    await ctx.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch(e => { notOk('check_svg', e.stack || String(e)); }).finally(() => {
  process.exitCode = failed ? 1 : 0;
});
