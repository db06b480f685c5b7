# SPDX-License-Identifier: MIT
"""Go runtime kinds on tests/workloads/go/goleaks (Debian's Go 1.19,
normal and stripped) and on real stripped binaries from npm (Go 1.18 to
1.27): goroutines per creation site against the runtime's own SIGQUIT
dump, what they wait on, go_alloc against the runtime's records, go_heap
against the program's own heap profile."""
import collections
import json
import os
import re
import signal
import subprocess
import time

from lib import (LEAKSCOPE, ROOT, Failure, attach_during_leak, check, eq, load_report,
                 read_until, spawn, stop, tmpfile, wait_gone, wait_stderr)

FIXTURES = os.path.join(ROOT, "build", "go-fixtures")
GO = "/usr/lib/go-1.19/bin/go"
NPM_BINARIES = os.path.join(ROOT, "tests", ".cache", "go-binaries")

# What goleaks leaves blocked, and on what (Go 1.19's wait reasons).
LEAKS = {
    "main.leakRecv": (37, "chan receive"),
    "main.leakSend": (13, "chan send"),
    "main.leakSelect": (7, "select"),
    "main.leakSleep": (5, "sleep"),
    "main.leakLock": (4, "semacquire"),
}


def fixture(stripped):
    return os.path.join(FIXTURES, "goleaks.stripped" if stripped else "goleaks")


def creation_site(stack):
    """The function holding the go statement: the creation stack's leaf
    ("?" for the main goroutine, which nobody created)."""
    return stack["frames"][0] if stack["frames"] else "?"


def goroutines_by_site(report, pid):
    counts, states = collections.Counter(), collections.defaultdict(collections.Counter)
    for s in report["stacks"]:
        # the main goroutine has no creator ("created by" in no dump): "?"
        if s["kind"] == "goroutine" and s["pid"] == pid:
            site = "?" if s.get("main_goroutine") else creation_site(s)
            counts[site] += s["count"]
            states[site].update(s.get("states", {}))
    return counts, states


# The runtime's SIGQUIT dumps are taken with GOTRACEBACK=system: every
# goroutine (the runtime's own too) with every frame (runtime ones too),
# whatever the Go release prints by default.
def sigquit_created_by(text):
    """Goroutines per "created by F" in a GOTRACEBACK=system dump."""
    return collections.Counter(m.group(1) for m in
                               re.finditer(r"^created by (\S+?)(?: in goroutine \d+)?$",
                                           text, re.M))


def sigquit_goroutines(text):
    """Every goroutine of a GOTRACEBACK=system SIGQUIT dump, as dicts: goid,
    state (the wait reason or status, without ", N minutes" or ", locked to
    thread"), frames (function names, innermost first, runtime.goexit left
    out), created_by (None for the main goroutine)."""
    out = []
    for m in re.finditer(r"^goroutine (\d+)(?: gp=\S+ m=\S+(?: mp=\S+)?)? \[([^\]]*)\]:\n(.*?)(?=\n\n|\Z)", text, re.M | re.S):
        frames, creator = [], None
        # with GODEBUG=tracebackancestors=N: each ancestor's stack when it
        # made the next goroutine of the chain, and what created it
        origins = []
        for line in m.group(3).splitlines():
            if line.startswith("\t") or not line.strip():
                continue
            o = re.match(r"\[originating from goroutine (\d+)\]:", line)
            c = re.match(r"created by (\S+?)(?: in goroutine \d+)?$", line)
            if o:
                origins.append(dict(goid=int(o.group(1)), frames=[], created_by=None))
            elif c:
                (origins[-1] if origins else {}).update(created_by=c.group(1))
                creator = creator if origins else c.group(1)
            elif "(" in line:
                (origins[-1]["frames"] if origins else frames).append(line[:line.rindex("(")])
        if frames and frames[-1] == "runtime.goexit":
            frames.pop()
        out.append(dict(goid=int(m.group(1)), state=m.group(2).split(",")[0], frames=frames,
                        created_by=creator, origins=origins))
    return out


def runtime_goroutine(g):
    """What runtime.Stack(all) hides (the runtime's isSystemGoroutine): a
    goroutine whose function, the outermost frame, is a runtime function
    other than runtime.main. One running on another thread when the dump
    was made has no frames in it ("stack unavailable"), only its creator:
    the runtime starts no goroutine of the program's but runtime.main (which
    has no creator)."""
    if not g["frames"]:
        return bool(g["created_by"]) and g["created_by"].startswith("runtime.")
    return g["frames"][-1].startswith("runtime.") and g["frames"][-1] != "runtime.main"


def shown_by_runtime_stack(frames, locations):
    """The frames runtime.Stack prints (a traceback at level 1, as in
    /debug/pprof/goroutine?debug=2): the runtime's showfuncinfo leaves out
    its own unexported functions and wrappers the compiler made (unless
    they call a panic)."""
    out = []
    for i, (name, loc) in enumerate(zip(frames, locations)):
        callee = frames[i - 1] if i else ""
        if loc.get("wrapper") and callee not in ("runtime.gopanic", "runtime.sigpanic",
                                                  "runtime.panicwrap"):
            continue
        if "." in name and (not name.startswith("runtime.") or name[8:9].isupper()):
            out.append(name)
    return out


def now_groups(report, pid, level1=False):
    """Our goroutines by (creation site, state, current stack): counts.
    level1: frames as runtime.Stack shows them."""
    out = collections.Counter()
    for s in report["stacks"]:
        if s["kind"] != "goroutine" or s["pid"] != pid:
            continue
        site = creation_site(s) if s["frames"] else None
        for n in s.get("now", []):
            frames = shown_by_runtime_stack(n["frames"], n["locations"]) if level1 else n["frames"]
            for state, k in n["states"].items():
                out[(site, state, tuple(frames))] += k
    return out


def compare_with_dump(report, pid, dump, what, stacks=True, level1=False, runtime_dump=None):
    """Goroutines per creation site against the dump's "created by" lines;
    with stacks (the report was made while the process ran), also every
    goroutine's state and current stack frame by frame, and the runtime's
    own goroutines counted apart. level1: the dump is runtime.Stack's
    (no runtime frames, none of the runtime's goroutines), so the
    runtime's goroutines are counted in runtime_dump instead."""
    ours, _ = goroutines_by_site(report, pid)
    check(sigquit_created_by(dump), f"{what}: the SIGQUIT dump has 'created by' lines")
    gs = [g for g in sigquit_goroutines(dump) if g["goid"] != 0]  # 0: the signal's thread
    users = [g for g in gs if not runtime_goroutine(g)]
    # the main goroutine has no creator: "?" on both sides
    theirs = collections.Counter(g["created_by"] or "?" for g in users)
    eq(dict(ours), dict(theirs), f"{what}: goroutines per creation site (the runtime's own apart)")
    if not stacks:
        return
    target = next(t for t in report["targets"] if t["pid"] == pid)
    whole = [g for g in sigquit_goroutines(runtime_dump or dump) if g["goid"] != 0]
    runtime_gs = [g for g in whole if runtime_goroutine(g)]
    eq(target["go"]["runtime_goroutines"], len(runtime_gs),
       f"{what}: the runtime's own goroutines (the dump's: "
       f"{[(g['frames'] or ['?'])[-1] + ' by ' + str(g['created_by']) for g in runtime_gs]})")
    eq(report["totals"]["goroutine"]["count"], len(users),
       f"{what}: goroutines outstanding (the main one included)")
    # A goroutine running when the dump was taken shows where it ran, not
    # where it stopped: its stack is compared by count only.
    want = collections.Counter((g["created_by"], g["state"], tuple(g["frames"]))
                               for g in users if g["state"] != "running")
    got = now_groups(report, pid, level1)
    got = collections.Counter({k: n for k, n in got.items() if k[1] != "running"})
    missing, unexpected = want - got, got - want
    eq((dict(missing), dict(unexpected)), ({}, {}),
       f"{what}: current stacks (dump's not ours, ours not the dump's)")


def pprof_cum(profile, index, func):
    """Cumulative value of func in a pprof file, via go tool pprof."""
    unit = ["-unit=B"] if index.endswith("space") else []
    out = subprocess.run([GO, "tool", "pprof", "-top", "-cum", "-nodecount=100000",
                          f"-sample_index={index}", *unit, profile],
                         capture_output=True, text=True, timeout=120).stdout
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 6 and parts[-1] == func:
            return int(float(parts[3].rstrip("B")))
    return 0


def ours_cum(report, kind, func, field):
    return sum(s[field] for s in report["stacks"] if s["kind"] == kind and func in s["frames"])


def ours_on_goroutine_stack(report, func, field):
    """go_alloc under func, counting only allocations made on the
    goroutine's own stack. The runtime records a stack only up to a
    switch to the system stack (runtime.systemstack): what the runtime
    allocates there on a goroutine's behalf (new Ms, GC workers) is in its
    profile without the goroutine's frames, while leakscope's stacks cross
    the switch and show who triggered it."""
    n = 0
    for s in report["stacks"]:
        if s["kind"] != "go_alloc" or func not in s["frames"]:
            continue
        if "runtime.systemstack" in s["frames"][:s["frames"].index(func)]:
            continue
        n += s[field]
    return n


def attach_and_leak(stripped, rate=None):
    """goleaks started alone, leakscope attached, then the leak: returns
    (fixture process, its pid, the report, its stderr after SIGQUIT)."""
    args = [fixture(stripped)]
    heap = tmpfile("goleaks-heap.pb.gz")
    args += ["-heapprofile", heap]
    if rate is not None:
        args += ["-rate", str(rate)]
    fx = spawn(args, env=dict(os.environ, GOTRACEBACK="system"))
    pid = int(read_until(fx, "ready")[-1].split()[1])
    out = tmpfile("go-attach.json")
    attach_during_leak(fx, pid, out)
    check(fx.poll() is None, "the Go program is unharmed by tracing")
    os.kill(pid, signal.SIGQUIT)
    _, dump = fx.communicate(timeout=30)
    return pid, load_report(out), dump, heap


def check_goroutines(stripped):
    pid, report, dump, _ = attach_and_leak(stripped)
    what = "stripped" if stripped else "normal"
    compare_with_dump(report, pid, dump, what)
    counts, states = goroutines_by_site(report, pid)
    for site, (n, state) in LEAKS.items():
        eq(counts[site], n, f"{what}: goroutines at {site}")
        eq(dict(states[site]), {state: n}, f"{what}: what {site}'s goroutines do")
    eq(counts.get("main.runAndFinish", 0), 0, f"{what}: finished goroutines are gone")
    t = report["targets"][0]
    eq(t["go"]["version"], "go1.19.8", "Go version")
    check(t["go"]["goroutines_exited"] >= 50, f"exits seen: {t['go']}")


def test_goroutines_per_site_match_sigquit_dump():
    check_goroutines(stripped=False)


def test_goroutines_per_site_match_sigquit_dump_stripped():
    check_goroutines(stripped=True)


def check_heap_and_allocs(stripped):
    """With MemProfileRate 1 the runtime records every allocation:
    go_alloc and go_heap per function equal its own heap profile."""
    what = "stripped" if stripped else "normal"
    heap = tmpfile("launch-heap.pb.gz")
    out = tmpfile("go-launch.json")
    lk = spawn([LEAKSCOPE, "-q", "-o", out, "--", fixture(stripped), "-now", "-rate", "1",
                "-heapprofile", heap])
    read_until(lk, "leaked")
    time.sleep(1.0)
    code, _, err = stop(lk)
    eq(code, 0, f"exit status; stderr {err}")
    report = load_report(out)
    go = report["targets"][0]["go"]
    eq(go["mem_profile_rate"], 1, f"{what}: MemProfileRate read from the process ({go})")
    for func in ("main.keepHeap", "main.churn"):
        eq(ours_on_goroutine_stack(report, func, "count"), pprof_cum(heap, "alloc_objects", func),
           f"{what}: go_alloc objects under {func} vs the runtime's record")
        eq(ours_on_goroutine_stack(report, func, "bytes"), pprof_cum(heap, "alloc_space", func),
           f"{what}: go_alloc bytes under {func}")
    for index, field in (("inuse_objects", "count"), ("inuse_space", "bytes")):
        eq(ours_cum(report, "go_heap", "main.keepHeap", field),
           pprof_cum(heap, index, "main.keepHeap"),
           f"{what}: go_heap {index} under main.keepHeap vs the program's heap profile")
    check(ours_cum(report, "go_heap", "main.keepHeap", "count") >= 2000, "the 2000 kept objects")
    check(any(s["kind"] == "mmap" for s in report["stacks"]), "native kinds in the same report")


def test_go_alloc_and_heap_equal_runtime_records():
    check_heap_and_allocs(stripped=False)


def test_go_alloc_and_heap_equal_runtime_records_stripped():
    check_heap_and_allocs(stripped=True)


def test_sampled_go_alloc_is_scaled_like_pprof():
    out = tmpfile("go-sampled.json")
    heap = tmpfile("sampled-heap.pb.gz")
    lk = spawn([LEAKSCOPE, "-q", "-o", out, "--", fixture(False), "-now", "-heapprofile", heap])
    read_until(lk, "leaked")
    time.sleep(1.0)
    stop(lk)
    report = load_report(out)
    eq(report["targets"][0]["go"]["mem_profile_rate"], 512 * 1024, "default rate")
    n = ours_cum(report, "go_alloc", "main.keepHeap", "bytes")
    # 16,384,000 bytes allocated; a 512 KiB sampler sees ~31 samples of
    # 8 KiB objects: the scaled estimate is within a factor of two.
    check(8_000_000 < n < 33_000_000, f"scaled go_alloc bytes under keepHeap: {n}")
    eq(ours_cum(report, "go_heap", "main.keepHeap", "bytes"),
       pprof_cum(heap, "inuse_space", "main.keepHeap"), "go_heap equals pprof's scaled view")


def test_profiling_disabled_binary_says_so():
    goleaky = os.path.join(FIXTURES, "goleaky")  # never links runtime.MemProfile
    out = tmpfile("go-off.json")
    lk = spawn([LEAKSCOPE, "-q", "-o", out, "--", goleaky])
    read_until(lk, "ready")
    time.sleep(1.2)
    code, _, err = stop(lk)
    report = load_report(out)
    eq(report["targets"][0]["go"]["mem_profile_rate"], 0, "MemProfileRate")
    notes = " ".join(report["notes"])
    check("memory profiling is off" in notes, f"the report says why go_heap is empty: {notes}")


def test_output_unchanged_under_tracing():
    plain = subprocess.run([fixture(False), "-now", "-exit"], capture_output=True, text=True,
                           timeout=60)
    traced = subprocess.run([LEAKSCOPE, "-q", "-o", tmpfile("unchanged.json"), "--",
                             fixture(False), "-now", "-exit"], capture_output=True, text=True,
                            timeout=60)
    eq(traced.returncode, plain.returncode, "exit status")
    strip = lambda s: re.sub(r"ready \d+", "ready PID", s)  # noqa: E731
    eq(strip(traced.stdout), strip(plain.stdout), "the program's output")


def npm_binary(name):
    """The program of an npm package fetched by scripts/fetch-go-binaries.sh:
    bin/esbuild or bin/buf."""
    path = os.path.join(NPM_BINARIES, name)
    for exe in ("esbuild", "buf"):
        full = os.path.join(path, "package", "bin", exe)
        if os.access(full, os.X_OK):
            return full
    return None


def report_exit(path):
    t = load_report(path)["targets"][0]
    return t.get("exit_status", 0) >> 8


def esbuild_serve_vs_sigquit(name):
    esbuild = npm_binary(name)
    if not esbuild:
        raise Failure(f"{name} not fetched (scripts/fetch-go-binaries.sh)")
    site = os.path.join(os.path.dirname(tmpfile("x")), f"site-{name}")
    os.makedirs(site, exist_ok=True)
    with open(os.path.join(site, "index.html"), "w") as f:
        f.write("<p>hello</p>\n")
    with open(os.path.join(site, "app.js"), "w") as f:
        f.write("export const answer = 42;\nconsole.log(answer);\n")
    out = tmpfile(f"{name}.json")
    # esbuild serves while its stdin stays open
    lk = spawn([LEAKSCOPE, "-q", "-o", out, "--", esbuild, os.path.join(site, "app.js"),
                f"--outdir={site}/out", "--serve=127.0.0.1:0", f"--servedir={site}",
                "--log-level=info"],
               env=dict(os.environ, GOTRACEBACK="system"), stdin=subprocess.PIPE)
    port = None
    deadline = time.time() + 20
    seen = []
    while time.time() < deadline and port is None:
        line = lk.stderr.readline()
        seen.append(line)
        m = re.search(r"127\.0\.0\.1:(\d+)", line)
        if m:
            port = int(m.group(1))
    check(port, f"esbuild serving: {seen[-5:]}")
    import urllib.request
    for path in ["/index.html", "/app.js"] * 10:
        urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10).read()
    time.sleep(0.5)
    pids = subprocess.run(["pgrep", "-f", f"servedir={site}"], capture_output=True,
                          text=True).stdout.split()
    child = [int(p) for p in pids if int(p) != lk.pid]
    check(child, "esbuild's pid")
    os.kill(child[0], signal.SIGQUIT)
    # wait for the dump before communicate() closes esbuild's stdin, on
    # which it would exit quietly instead
    wait_gone(child[0])
    _, err = lk.communicate(timeout=60)
    eq(report_exit(out), 2, f"{name} exited from SIGQUIT (status 2)")
    report = load_report(out)
    eq(report["targets"][0]["go"] is not None, True, "traced as Go")
    # reported after esbuild died of the dump: no current stacks
    compare_with_dump(report, child[0], "".join(seen) + err, name, stacks=False)
    return report


def test_esbuild_go126_serve_goroutines_match_sigquit():
    esbuild_serve_vs_sigquit("esbuild-linux-x64-0.28.2")


def test_every_supported_go_version_counts_goroutines_exactly():
    """esbuild builds from npm span Go 1.18 to 1.26."""
    versions = []
    for name in ("esbuild-linux-64-0.14.39", "esbuild-linux-x64-0.15.18",
                 "esbuild-linux-x64-0.17.19", "esbuild-linux-x64-0.23.1",
                 "esbuild-linux-x64-0.24.2", "esbuild-linux-x64-0.27.7"):
        report = esbuild_serve_vs_sigquit(name)
        versions.append(report["targets"][0]["go"]["version"])
    eq(sorted(versions), sorted(["go1.18.1", "go1.19.3", "go1.20.4", "go1.22.5", "go1.23.1",
                                 "go1.25.7"]), "versions covered")


def test_too_old_go_is_said_and_native_kinds_stay():
    esbuild = npm_binary("esbuild-linux-64-0.13.15")  # Go 1.17.2
    if not esbuild:
        raise Failure("esbuild 0.13.15 not fetched")
    out = tmpfile("oldgo.json")
    p = spawn([LEAKSCOPE, "-q", "-o", out, "--", esbuild, "--version"])
    stdout, err = p.communicate(timeout=60)
    eq(p.returncode, 0, "exit status")
    eq(stdout.strip(), "0.13.15", "the program ran normally")
    check("Go kinds off" in err and "older than 1.18" in err, f"message: {err!r}")
    report = load_report(out)
    check(report["totals"]["mmap"]["count"] > 0, "native kinds still reported")


def free_port():
    """A loopback port nobody listens on now (other test runs share the
    machine: a port made from our pid can be theirs)."""
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def running_exe(binary, timeout=30):
    """Pids whose program is binary (not leakscope's child still held
    before its exec, whose command line names binary too)."""
    real = os.path.realpath(binary)
    deadline = time.time() + timeout
    while time.time() < deadline:
        pids = []
        for p in subprocess.run(["pgrep", "-f", binary], capture_output=True,
                                text=True).stdout.split():
            try:
                if os.readlink(f"/proc/{p}/exe") == real:
                    pids.append(int(p))
            except OSError:
                pass
        if pids:
            return pids
        time.sleep(0.05)
    return []


def server_vs_sigquit(name, args):
    """Run a Go server from npm under leakscope for a moment, then compare
    goroutines per creation site with its SIGQUIT dump."""
    binary = npm_binary(name)
    if not binary:
        raise Failure(f"{name} not fetched (scripts/fetch-go-binaries.sh)")
    out = tmpfile(f"{name}.json")
    lk = spawn([LEAKSCOPE, "-q", "-o", out, "--", binary, *args],
               env=dict(os.environ, GOTRACEBACK="system"), stdin=subprocess.PIPE)
    # The launched child runs the server once leakscope has attached
    # (under load that takes a while): wait for the exec, not a guess.
    pids = running_exe(binary, timeout=60)
    check(pids, f"{name} running")
    time.sleep(2.0)  # its goroutines started; the dump is the ground truth either way
    os.kill(pids[0], signal.SIGQUIT)
    wait_gone(pids[0])
    _, err = lk.communicate(timeout=60)
    check(os.path.exists(out), f"{name}: no report (leakscope exit status {lk.returncode}, "
          f"stderr ends {err[-1500:]!r})")
    eq(report_exit(out), 2, f"{name} exited from SIGQUIT")
    report = load_report(out)
    compare_with_dump(report, pids[0], err, name, stacks=False)  # reported after it died
    return report["targets"][0]["go"]["version"]


def test_buf_go121_go124_go127_goroutines_match_sigquit():
    """buf from npm covers the Go releases esbuild does not: 1.21, 1.24, 1.27."""
    port = free_port()
    versions = [
        server_vs_sigquit("bufbuild-buf-linux-x64-1.28.1",
                          ["beta", "studio-agent", "--port", str(port)]),
        server_vs_sigquit("bufbuild-buf-linux-x64-1.55.1", ["beta", "lsp"]),
        server_vs_sigquit("bufbuild-buf-linux-x64-1.75.0", ["lsp", "serve"]),
    ]
    eq(versions, ["go1.21.4", "go1.24.4", "go1.27.3"], "versions covered")


def alloc_check(name, args, env, settle=4.0):
    """--go-alloc=check on a server: every allocation probe against the
    runtime's profiler at MemProfileRate 1, per allocation site."""
    binary = npm_binary(name) if not os.path.isabs(name) else name
    out = tmpfile(f"check-{os.path.basename(name)}.json")
    lk = spawn([LEAKSCOPE, "-q", "--go-alloc=check", "-o", out, "--", binary, *args],
               env=dict(os.environ, **env), stdin=subprocess.PIPE)
    time.sleep(settle)
    code, _, err = stop(lk)
    report = load_report(out)
    return report["targets"][0]["go"]


def test_every_allocation_counted_once_go127_size_specialized():
    """Go 1.27 (buf from npm): compiled code calls the size-specialized
    allocators directly; probing the leaves counts each object once, as
    the runtime's own profiler does at rate 1 (tiny objects aside)."""
    go = alloc_check("bufbuild-buf-linux-x64-1.75.0", ["lsp", "serve"],
                     {"GODEBUG": "memprofilerate=1"})
    eq(go["version"], "go1.27.3", "version")
    sites = go.get("alloc_check", [])
    check(len(sites) > 100 and go["alloc_probe_hits"]["every"] > 10000, f"hits: {go}")
    differ = [s for s in sites if s["every"] != s["sampled"]]
    eq(differ, [], "allocation sites where the two probes disagree")


def test_every_allocation_counted_once_go126_split_allocator():
    esbuild = npm_binary("esbuild-linux-x64-0.28.2")
    site = os.path.join(os.path.dirname(tmpfile("x")), "site-check")
    os.makedirs(site, exist_ok=True)
    with open(os.path.join(site, "app.js"), "w") as f:
        f.write("export const a = [1, 2, 3].map(x => x * 2);\n")
    go = alloc_check(esbuild, [os.path.join(site, "app.js"), "--bundle",
                               f"--outdir={site}/out", "--serve=127.0.0.1:0",
                               f"--servedir={site}"], {"GODEBUG": "memprofilerate=1"})
    eq(go["version"], "go1.26.5", "version")
    differ = [s for s in go.get("alloc_check", []) if s["every"] != s["sampled"]]
    check(go.get("alloc_check"), "sites compared")
    eq(differ, [], "allocation sites where the two probes disagree")


def check_attach_after_the_leak(stripped):
    """The leak happened before leakscope attached: 137 goroutines from
    allgs under their creation site, the heap from the runtime's buckets."""
    what = "stripped" if stripped else "normal"
    heap = tmpfile("before-heap.pb.gz")
    fx = spawn([fixture(stripped), "-now", "-recv", "137", "-heapprofile", heap],
               env=dict(os.environ, GOTRACEBACK="system"))
    read_until(fx, "leaked")
    pid = fx.pid
    out = tmpfile("go-before.json")
    lk = spawn([LEAKSCOPE, "-p", str(pid), "-o", out, "-d", "1.5"])
    _, err = lk.communicate(timeout=60)
    eq(lk.returncode, 0, f"exit status; stderr {err}")
    os.kill(pid, signal.SIGQUIT)
    _, dump = fx.communicate(timeout=30)
    report = load_report(out)
    compare_with_dump(report, pid, dump, what)
    counts, states = goroutines_by_site(report, pid)
    eq(counts["main.leakRecv"], 137, f"{what}: goroutines at main.leakRecv")
    eq(dict(states["main.leakRecv"]), {"chan receive": 137}, f"{what}: their state")
    pre = [s for s in report["stacks"] if s["kind"] == "goroutine" and s["preexisting"]]
    eq(sum(s["count"] for s in pre), sum(counts.values()), f"{what}: all found at attach")
    for index, field in (("inuse_objects", "count"), ("inuse_space", "bytes")):
        eq(ours_cum(report, "go_heap", "main.keepHeap", field),
           pprof_cum(heap, index, "main.keepHeap"),
           f"{what}: go_heap {index} under main.keepHeap vs the program's heap profile")


def test_attach_after_the_leak_finds_goroutines_and_heap():
    check_attach_after_the_leak(stripped=False)


def test_attach_after_the_leak_finds_goroutines_and_heap_stripped():
    check_attach_after_the_leak(stripped=True)


def attach_to_server_vs_sigquit(name, args):
    """A Go server from npm started alone; two leakscopes attach while it
    serves, one per --go-goroutines mode; the goroutines each reports (all
    pre-existing) per creation site, with their current stacks, equal the
    SIGQUIT dump taken right after."""
    binary = npm_binary(name)
    if not binary:
        raise Failure(f"{name} not fetched (scripts/fetch-go-binaries.sh)")
    srv = spawn([binary, *args], env=dict(os.environ, GOTRACEBACK="system"),
                stdin=subprocess.PIPE)
    time.sleep(1.5)
    outs = {m: tmpfile(f"attach-{name}-{m}.json") for m in ("trace", "snapshot")}
    lks = {m: spawn([LEAKSCOPE, "-p", str(srv.pid), "-o", out, "-d", "1", "--go-goroutines", m])
           for m, out in outs.items()}
    for m, lk in lks.items():
        _, err = lk.communicate(timeout=60)
        eq(lk.returncode, 0, f"{name} ({m}): exit status; stderr {err}")
    os.kill(srv.pid, signal.SIGQUIT)
    wait_gone(srv.pid)
    _, dump = srv.communicate(timeout=30)
    for m, out in outs.items():
        report = load_report(out)
        eq(report["targets"][0]["go"]["goroutine_mode"], m, f"{name}: mode")
        compare_with_dump(report, srv.pid, dump, f"{name} ({m})")
    return report["targets"][0]["go"]["version"]


def test_attach_to_running_servers_every_go_version():
    """allgs and every goroutine's stack read from every release 1.18-1.27
    (stripped npm binaries), in both modes."""
    site = os.path.join(os.path.dirname(tmpfile("x")), "site-attach")
    os.makedirs(site, exist_ok=True)
    with open(os.path.join(site, "app.js"), "w") as f:
        f.write("export const x = 1;\n")
    versions = []
    for name in ("esbuild-linux-64-0.14.39", "esbuild-linux-x64-0.15.18",
                 "esbuild-linux-x64-0.17.19", "esbuild-linux-x64-0.23.1",
                 "esbuild-linux-x64-0.24.2", "esbuild-linux-x64-0.27.7",
                 "esbuild-linux-x64-0.28.2"):
        versions.append(attach_to_server_vs_sigquit(
            name, [os.path.join(site, "app.js"), f"--outdir={site}/out",
                   "--serve=127.0.0.1:0", f"--servedir={site}"]))
    port = free_port()
    versions.append(attach_to_server_vs_sigquit("bufbuild-buf-linux-x64-1.28.1",
                                                ["beta", "studio-agent", "--port", str(port)]))
    versions.append(attach_to_server_vs_sigquit("bufbuild-buf-linux-x64-1.55.1", ["beta", "lsp"]))
    versions.append(attach_to_server_vs_sigquit("bufbuild-buf-linux-x64-1.75.0", ["lsp", "serve"]))
    eq(sorted(v.rsplit(".", 1)[0] if v.count(".") > 1 else v for v in versions),
       [f"go1.{m}" for m in range(18, 28)], "one of every release 1.18-1.27")

