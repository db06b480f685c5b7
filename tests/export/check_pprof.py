#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""pprof export checked by the reader that matters: `go tool pprof`.

Converts tests/export/sample_report.json with `leakscope convert`, one
profile per kind and one with every kind, then asserts with
`go tool pprof` (Debian's Go 1.19) that:
  -raw     holds exactly the report's stacks: values, frames leaf first
           (inlined ones folded into their caller's location), labels;
  -top     gives each function the flat and cumulative values the report
           implies, for every sample type;
  -traces  lists every stack with its value;
  -svg     renders (graphviz's dot).
Prints "ok - name" / "not ok - name: why"; exits 1 on any failure.
Usage: tests/export/check_pprof.py   (LEAKSCOPE=path/to/leakscope, GO=go)
"""
import collections
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.realpath(os.path.join(os.path.dirname(__file__), "..", ".."))
LEAKSCOPE = os.environ.get("LEAKSCOPE", os.path.join(ROOT, "leakscope"))
GO = os.environ.get("GO", "/usr/lib/go-1.19/bin/go")
SAMPLE = os.path.join(ROOT, "tests", "export", "sample_report.json")

failed = 0


def check(name, cond, why=""):
    global failed
    if cond:
        print(f"ok - {name}")
    else:
        failed += 1
        print(f"not ok - {name}: {why}")
    sys.stdout.flush()


# What each kind's profile holds: (type, function of a stack -> value).
def columns(kind):
    if kind in ("go_alloc", "malloc"):
        return [("alloc_objects", lambda s: max(s.get("alloc_count", 0), s["count"])),
                ("alloc_space", lambda s: max(s.get("alloc_bytes", 0), s["bytes"])),
                ("inuse_objects", lambda s: s["count"]),
                ("inuse_space", lambda s: s["bytes"])]
    if kind == "fd":
        return [("open_fds", lambda s: s["count"])]
    if kind == "goroutine":
        return [("goroutine", lambda s: s["count"])]
    return [("inuse_objects", lambda s: s["count"]), ("inuse_space", lambda s: s["bytes"])]


def names(stack):
    if stack["frames"]:
        return tuple(stack["frames"])
    return ("[held before attach]",) if stack.get("preexisting") else ("[no stack]",)


def pprof(*args):
    env = dict(os.environ, HOME=os.environ.get("HOME", "/tmp"), PPROF_TMPDIR=TMP)
    p = subprocess.run([GO, "tool", "pprof", *args], capture_output=True, text=True,
                       env=env, timeout=120)
    if p.returncode:
        raise RuntimeError(f"go tool pprof {' '.join(args)}: {p.stderr.strip()}")
    return p.stdout


def parse_raw(text):
    """-raw -> (sample types, samples [(values, names, labels)], mappings)."""
    lines = text.splitlines()
    i = lines.index("Samples:") + 1
    types = [t.split("/")[0] for t in lines[i].replace("[dflt]", "").split()]
    i += 1
    samples = []
    while lines[i] != "Locations":
        m = re.match(r"^\s+([-\d ]+): ([\d ]+)$", lines[i])
        if m:
            samples.append([[int(v) for v in m.group(1).split()],
                            [int(x) for x in m.group(2).split()], {}])
        else:  # labels: "key:[value] key:[value]"
            for k, v in re.findall(r"(\w+):\[([^\]]*)\]", lines[i]):
                samples[-1][2][k] = v
        i += 1
    locs, cur = {}, None
    i += 1
    while lines[i] != "Mappings":
        m = re.match(r"^\s*(\d+): 0x[0-9a-f]+ (?:M=\d+ )?(.*?) \S*:\d+ s=\d+$", lines[i])
        if m:
            cur = int(m.group(1))
            locs[cur] = [m.group(2)]
        else:  # an inlined caller of the line above
            m = re.match(r"^\s+(.*?) \S*:\d+ s=\d+$", lines[i])
            locs[cur].append(m.group(1))
        i += 1
    mappings = lines[i + 1:]
    out = [(tuple(v), tuple(n for loc in ids for n in locs[loc]), lab)
           for v, ids, lab in samples]
    return types, out, mappings


def parse_top(text):
    """-top -> {function: (flat, cum)}, values as integers (-unit=B)."""
    rows, seen = {}, False
    for line in text.splitlines():
        if line.strip().startswith("flat"):
            seen = True
            continue
        m = re.match(r"^\s*(\d+)B?\s+\S+%\s+\S+%\s+(\d+)B?\s+\S+%\s+(.*)$", line)
        if seen and m:
            rows[re.sub(r" \(inline\)$", "", m.group(3))] = (int(m.group(1)), int(m.group(2)))
    return rows


def parse_traces(text):
    """-traces -> sorted [(value, names)] (values as -unit=B gives them)."""
    out = []
    for block in text.split("-----------+-------------------------------------------------------")[1:]:
        frames, value = [], None
        for line in block.splitlines():
            m = re.match(r"^\s*(\d+)B?\s{3}(\S.*)$", line)
            if value is None and m:
                value, frames = int(m.group(1)), [m.group(2)]
            elif value is not None and line.strip():
                frames.append(line.strip())
        if value is not None:
            out.append((value, tuple(re.sub(r" \(inline\)$", "", f) for f in frames)))
    return sorted(out)


def check_kind(report, kind, source=None, prefix=""):
    stacks = [s for s in report["stacks"] if s["kind"] == kind]
    cols = columns(kind)
    out = os.path.join(TMP, f"{kind}.pb.gz")
    subprocess.run([LEAKSCOPE, "convert", "-q", source or SAMPLE, "--kind", kind, "-o", out],
                   check=True)

    types, samples, mappings = parse_raw(pprof("-raw", out))
    check(f"{kind}: sample types", types == [c[0] for c in cols], f"{types}")
    # pprof keeps one sample per stack (locations) and label set: stacks
    # with the same ones (pre-existing items of several paths) add up
    merged = {}
    for s in stacks:
        where = tuple(loc.get("address") for loc in s.get("locations", []))
        key = (names(s), str(s["pid"]), s.get("fd_kind", ""), where)
        vals = tuple(f(s) for _, f in cols)
        merged[key] = tuple(a + b for a, b in zip(merged.get(key, (0,) * len(cols)), vals))
    want = sorted((v, *key[:3]) for key, v in merged.items())
    got = sorted((v, n, lab.get("pid"), lab.get("fd_kind", "")) for v, n, lab in samples)
    check(f"{kind}: -raw samples equal the report's stacks", got == want and want,
          f"\n  got  {got}\n  want {want}")
    builds = {s["locations"][i].get("module"): s["locations"][i].get("build_id")
              for s in stacks for i in range(len(s["frames"]))}
    builds.pop(None, None)
    check(f"{kind}: mappings carry module and build id",
          all(any(f" {mod} {bid} [FN]" in m for m in mappings) for mod, bid in builds.items()),
          f"{mappings} vs {builds}")

    for ctype, f in cols:
        flat, cum = collections.Counter(), collections.Counter()
        for s in stacks:
            n = names(s)
            flat[n[0]] += f(s)
            for fn in set(n):
                cum[fn] += f(s)
        want = {fn: (flat[fn], cum[fn]) for fn in cum}
        got = parse_top(pprof("-top", "-unit=B", "-nodecount=1000", "-nodefraction=0",
                              f"-sample_index={ctype}", out))
        check(f"{kind}: -top {ctype} per function", got == want and want,
              f"\n  got  {sorted(got.items())}\n  want {sorted(want.items())}")

    # -traces shows the default type: the last column.
    want = sorted((v[-1], key[0]) for key, v in merged.items() if v[-1])
    got = parse_traces(pprof("-traces", "-unit=B", out))
    check(f"{kind}: -traces lists every stack", got == want and want, f"\n  got  {got}\n  want {want}")


def main():
    global TMP, check
    if not os.access(GO, os.X_OK):
        check("go tool pprof", False, f"{GO} missing: apt-get install golang-1.19-go")
        return
    if len(sys.argv) > 1:
        # A report from a real trace: every kind it holds, names prefixed.
        source = sys.argv[1]
        prefix = sys.argv[2] if len(sys.argv) > 2 else "trace"
        report = json.load(open(source))
        TMP = tempfile.mkdtemp(prefix="leakscope-pprof-")
        plain = check
        check = lambda name, cond, why="": plain(f"{prefix}: {name}", cond, why)  # noqa: E731
        try:
            for kind in sorted({s["kind"] for s in report["stacks"]}):
                check_kind(report, kind, source)
        finally:
            shutil.rmtree(TMP, ignore_errors=True)
        return
    report = json.load(open(SAMPLE))
    TMP = tempfile.mkdtemp(prefix="leakscope-pprof-")
    try:
        for kind in ("mmap", "fd", "goroutine", "go_alloc"):
            check_kind(report, kind)

        # Every kind in one profile: a column set per kind.
        allp = os.path.join(TMP, "all.pb.gz")
        subprocess.run([LEAKSCOPE, "convert", "-q", SAMPLE, "-o", allp], check=True)
        types, samples, _ = parse_raw(pprof("-raw", allp))
        check("mixed: one column set per kind", types == [
            "mmap_objects", "mmap_space", "open_fds", "goroutine", "alloc_objects",
            "alloc_space", "inuse_objects", "inuse_space"], f"{types}")
        check("mixed: every stack, labelled with its kind",
              sorted(lab.get("kind") for _, _, lab in samples) ==
              sorted(s["kind"] for s in report["stacks"]), "kind labels differ")
        for ctype, kind in (("open_fds", "fd"), ("goroutine", "goroutine"),
                            ("mmap_space", "mmap")):
            total = sum(s["bytes" if ctype.endswith("space") else "count"]
                        for s in report["stacks"] if s["kind"] == kind)
            top = pprof("-top", "-unit=B", f"-sample_index={ctype}", allp)
            m = re.search(r"Total samples = (\d+)B? ", top)
            check(f"mixed: -sample_index={ctype} total", m and int(m.group(1)) == total,
                  f"{m and m.group(0)} vs {total}")

        # Graphviz rendering.
        if shutil.which("dot"):
            svg = os.path.join(TMP, "graph.svg")
            pprof("-svg", f"-output={svg}", os.path.join(TMP, "go_alloc.pb.gz"))
            text = open(svg).read() if os.path.exists(svg) else ""
            check("-svg renders", "<svg" in text and "main.(*Cache).Put" in text and
                  "encoding/json.Marshal" in text, f"{len(text)} bytes")
        else:
            check("-svg renders", False, "dot missing: apt-get install graphviz")
    finally:
        shutil.rmtree(TMP, ignore_errors=True)


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # one failure line rather than a traceback alone
        check("check_pprof", False, repr(e))
    sys.exit(1 if failed else 0)
