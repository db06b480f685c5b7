#!/usr/bin/env node
// SPDX-License-Identifier: MIT
//
// src/export/flamegraph.js as JavaScript: it parses (node --check), it
// lints clean as plain ES5 for a browser (Debian's eslint), its pure
// helpers compute what they should, and every SVG leakscope writes
// carries it byte for byte. (tests/export/check_svg.js drives the whole
// graph in Chromium.)
//
// Usage: node tests/export/flamegraph_test.js   (LEAKSCOPE=path/to/leakscope)
// Prints "ok - name" / "not ok - name: why" lines; exits 1 on failure.
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const vm = require('vm');
const { execFileSync, spawnSync } = require('child_process');

const ROOT = path.resolve(__dirname, '..', '..');
const SCRIPT = path.join(ROOT, 'src', 'export', 'flamegraph.js');
const LEAKSCOPE = process.env.LEAKSCOPE || path.join(ROOT, 'leakscope');
const SAMPLE = path.join(__dirname, 'sample_report.json');
const CW = 7;	// what svg.c sets before the script (CHAR_W): 12px monospace

let failed = 0;
function result(name, why) {
  if (why) { failed++; console.log(`not ok - ${name}: ${why}`); } else console.log(`ok - ${name}`);
}
function same(name, got, want) {
  const g = JSON.stringify(got), w = JSON.stringify(want);
  result(name, g === w ? null : `expected ${w}, got ${g}`);
}

const text = fs.readFileSync(SCRIPT, 'utf8');

{
  const r = spawnSync(process.execPath, ['--check', SCRIPT], { encoding: 'utf8' });
  result('flamegraph.js parses', r.status === 0 ? null : r.stderr);
}

// Debian's eslint (6.x) finds its modules in Debian's node path; the
// rules: ES5 only, every name declared, nothing unused, strict.
{
  const env = Object.assign({}, process.env, {
    NODE_PATH: ['/usr/share/nodejs', '/usr/lib/nodejs', process.env.NODE_PATH || '']
      .filter(Boolean).join(':'),
  });
  const r = spawnSync('eslint', ['--no-eslintrc', '--env', 'browser',
    '--format', 'unix', '--parser-options', 'ecmaVersion:5', '--global', 'L,W,CW,module',
    '--rule', '{"no-undef": 2, "no-unused-vars": 2, "strict": [2, "function"], ' +
      '"no-redeclare": 2, "eqeqeq": 2, "no-shadow": 2}',
    SCRIPT], { encoding: 'utf8', env });
  if (r.error) result('flamegraph.js lints clean', `eslint: ${r.error.message} ` +
    '(scripts/install-deps.sh test installs it)');
  else result('flamegraph.js lints clean', r.status === 0 ? null : r.stdout + r.stderr);
}

// Inside <![CDATA[...]]> the text "]]>" would end the script early.
result('flamegraph.js has no CDATA end', text.includes(']]>') ? 'it contains "]]>"' : null);

// The pure helpers, run as node runs them (module defined: no page).
const sandbox = { module: { exports: {} }, CW };
vm.runInNewContext(text, sandbox, { filename: SCRIPT });
const h = sandbox.module.exports;

same('human: bytes below 1 KiB', [h.human(0), h.human(1023)], ['0 B', '1023 B']);
same('human: binary units, one decimal', [h.human(1024), h.human(1536), h.human(5 * 1048576),
  h.human(3 * 1073741824), h.human(2 * 1099511627776), h.human(4096 * 1099511627776)],
['1.0 KiB', '1.5 KiB', '5.0 MiB', '3.0 GiB', '2.0 TiB', '4096.0 TiB']);
same('pct: two decimals, 0 of nothing', [h.pct(1, 3), h.pct(5, 5), h.pct(7, 0)],
  ['33.33%', '100.00%', '0.00%']);
// floor((w - 6) / CW) characters fit; fewer than 3: no label at all
same('label: what fits', [h.label('main', 6 + 4 * CW), h.label('handle_request', 6 + 10 * CW),
  h.label('abc', 6 + 3 * CW), h.label('abcd', 6 + 2.9 * CW)],
['main', 'handle_r..', 'abc', '']);
{
  const any = h.matcher('leak'), exact = h.matcher('Leak'), re = h.matcher('^main\\.leak(Recv|Send)$');
  const plain = h.matcher('a[b');	// not a regular expression: plain text
  same('matcher: lower case matches any case', [any('main.LeakRecv'), any('main.recv')], [true, false]);
  same('matcher: mixed case is exact', [exact('main.LeakRecv'), exact('main.leakRecv')], [true, false]);
  same('matcher: regular expressions', [re('main.leakRecv'), re('main.leakSelect')], [true, false]);
  same('matcher: plain text when not a regexp', [plain('xa[by'), plain('ab')], [true, false]);
}
same('covered: overlaps and nesting count once',
  [h.covered([]), h.covered([[0, 10]]), h.covered([[0, 10], [5, 15]]),
    h.covered([[0, 10], [2, 3]]), h.covered([[20, 30], [0, 10], [5, 15]]),
    h.covered([[0, 10], [10, 20]])],
  [0, 10, 15, 10, 25, 20]);

// The SVG carries the file as it is (the build embeds it with .incbin).
{
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leakscope-flame-'));
  const svg = path.join(dir, 'g.svg');
  try {
    execFileSync(LEAKSCOPE, ['convert', '-q', SAMPLE, '-o', svg], { stdio: 'inherit' });
    const body = fs.readFileSync(svg, 'utf8');
    const m = body.match(/<!\[CDATA\[\nvar L = [\d.]+, W = [\d.]+, CW = ([\d.]+);\n([\s\S]*)\]\]><\/script>/);
    result('the SVG embeds flamegraph.js byte for byte',
      !m ? 'no script block in the SVG' : m[2] === text ? null : 'the embedded script differs');
    same('svg.c sets the character width the helpers assume', m ? +m[1] : null, CW);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

process.exit(failed ? 1 : 0);
