# SPDX-License-Identifier: MIT
"""Exports of a real trace (pprof, folded, SVG, JSON in one run), leak
verdicts, and convert's errors."""
import collections
import json
import os
import subprocess
import xml.etree.ElementTree as ET

from lib import LEAKSCOPE, ROOT, check, eq, load_report, run, tmpfile, workload

DEMO = workload("demo_leaky")


def trace_demo(*outputs):
    code, out, err = run([LEAKSCOPE, "-q", *sum((["-o", o] for o in outputs), []),
                          "--", DEMO], timeout=90)
    eq(code, 0, f"exit status; stderr {err}")


_demo = {}


def demo_json():
    """One trace of the demo shared by the tests that only read it."""
    if "path" not in _demo:
        path = tmpfile("demo-shared.json")
        trace_demo(path)
        _demo["path"] = path
    return _demo["path"]


def test_several_outputs_in_one_run():
    paths = [tmpfile(n) for n in ("r.json", "r.pb.gz", "r.folded", "r.svg", "r.txt")]
    trace_demo(*paths)
    for p in paths:
        check(os.path.getsize(p) > 100, f"{p} written")
    with open(paths[1], "rb") as f:
        eq(f.read(2), b"\x1f\x8b", "pprof is gzip")
    root = ET.parse(paths[3]).getroot()
    check(root.tag.endswith("svg"), "SVG parses as XML")
    text = open(paths[3]).read()
    check("demo_leaky" in text and "handle_request" in text, "SVG names target and frames")
    check("leakscope:" in open(paths[4]).read(), "text report")


def test_pprof_of_a_real_trace_equals_json():
    out = demo_json()
    p = subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "tests/export/check_pprof.py"),
                        out, "real"], capture_output=True, text=True, timeout=300)
    bad = [l for l in p.stdout.splitlines() if l.startswith("not ok")]
    eq(bad, [], "go tool pprof disagrees with the JSON report")
    check(p.returncode == 0 and p.stdout.count("ok - ") >= 10, p.stdout[-500:])


def json_paths(report, kind):
    """{folded path: weight} the JSON report's stacks of kind make: the
    process "comm (pid)", the frames root first (or what stands in for
    none), an fd's kind as leaf."""
    comm = {t["pid"]: t["comm"] for t in report["targets"]}
    paths = collections.Counter()
    for s in report["stacks"]:
        if s["kind"] != kind:
            continue
        # what was held before tracing began has no stack of its own
        empty = "[held before attach]" if s.get("preexisting") else "[no stack]"
        frames = [f.replace(";", ":") for f in reversed(s["frames"])] or [empty]
        leaf = [f"[{s['fd_kind']}]"] if kind == "fd" and s.get("fd_kind") else []
        path = ";".join([f"{comm[s['pid']]} ({s['pid']})", *frames, *leaf])
        paths[path] += s["count"] if kind == "fd" else s["bytes"]
    return +paths


def test_folded_sums_to_json_totals():
    out = demo_json()
    report = load_report(out)
    for kind in ("mmap", "brk", "fd"):
        folded = tmpfile(f"{kind}.folded")
        code, _, err = run([LEAKSCOPE, "convert", "-q", out, "--kind", kind, "-o", folded])
        eq(code, 0, f"convert: {err}")
        total, lines = 0, collections.Counter()
        for line in open(folded):
            stack, weight = line.rsplit(" ", 1)
            frames = stack.split(";")
            check(len(frames) >= 2 and all(frames),
                  f"{kind}: a process frame and the stack's frames joined by ';': {stack!r}")
            lines[stack] += int(weight)
            total += int(weight)
        eq(lines, json_paths(report, kind), f"folded {kind} lines vs the JSON report's stacks")
        t = report["totals"][kind]
        want = (t["bytes"] - t["hidden_bytes"]) if kind != "fd" else (t["count"] - t["hidden_count"])
        eq(total, want, f"folded {kind} weights vs JSON totals")


def test_verdicts_flag_the_leak_not_the_cache():
    out = demo_json()
    report = load_report(out)
    leak = [s for s in report["stacks"] if "handle_request" in s["frames"]
            and "cache_put" not in s["frames"]]
    cache = [s for s in report["stacks"] if "cache_put" in s["frames"]]
    check(leak and all(s["suspect"] for s in leak), f"leaking stacks flagged: {leak}")
    check(all(s["growth_per_min"] > 0 for s in leak), "with a positive growth rate")
    check(cache and not any(s["suspect"] for s in cache), "the bounded cache is not flagged")
    eq(report["duration_s"] < 60, True, "within a minute")
    others = [s for s in report["stacks"] if s["suspect"] and s not in leak]
    eq(others, [], "nothing else flagged")


def test_text_lists_suspects_first():
    code, out, err = run([LEAKSCOPE, "-q", "--top", "3", "--", DEMO], timeout=90)
    eq(code, 0, f"exit status; {err}")
    mmap = out.split("\nmmap:")[1].split("\nbrk:")[0]
    # after the headline and the line of file mappings kept apart
    first = [line for line in mmap.strip().splitlines()[1:]
             if not line.strip().startswith("apart:")][0]
    check(first.strip().startswith("SUSPECT") and "growing" in first, f"first mmap stack: {first}")


def test_convert_rejects_malformed_json_with_its_line():
    bad = tmpfile("bad.json")
    with open(bad, "w") as f:
        f.write('{\n  "version": 1,\n  "stacks": [\n    {"kind": "fd",, }\n  ]\n}\n')
    code, out, err = run([LEAKSCOPE, "convert", bad, "-o", tmpfile("x.folded")])
    check(code != 0, "non-zero exit")
    check(f"{bad}:4:" in err, f"error names file and line 4: {err!r}")
    eq(len(err.strip().splitlines()), 1, "one line")
    code, out, err = run([LEAKSCOPE, "convert", tmpfile("missing.json"), "-o", tmpfile("y.svg")])
    check(code != 0 and "missing.json" in err, f"missing file: {err!r}")
    code, _, err = run([LEAKSCOPE, "convert"])
    eq(code, 2, f"usage error: {err!r}")


def test_convert_round_trips_json():
    out = demo_json()
    again = tmpfile("rt2.json")
    code, _, err = run([LEAKSCOPE, "convert", "-q", out, "-o", again])
    eq(code, 0, err)
    eq(json.load(open(again)), json.load(open(out)), "JSON -> model -> JSON is identical")
