# SPDX-License-Identifier: MIT
"""Goroutines the way Go developers read them, against the Go runtime's
own views: where each goroutine is now and what it waits for (the
SIGQUIT dump with GOTRACEBACK=system, a real server's
/debug/pprof/goroutine?debug=2), who created it through library code
(GODEBUG=tracebackancestors), both --go-goroutines modes (the kernel's
list of attached uprobes), and how long goroutines have waited
(g.waitsince against the runtime's own clock)."""
import collections
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import threading
import time

from lib import (LEAKSCOPE, ROOT, TMP, Failure, attach_during_leak, check, eq, load_report,
                 read_until, spawn, stop, tmpfile, wait_stderr)
from test_go import (FIXTURES, LEAKS, compare_with_dump, fixture, goroutines_by_site,
                     sigquit_goroutines)


def marked_line(source, marker):
    with open(source) as f:
        for n, line in enumerate(f, 1):
            if line.rstrip().endswith(marker):
                return n
    raise Failure(f"no line marked {marker!r} in {source}")


def http_chains(report, pid):
    """For each group whose goroutines wait in readLoop or writeLoop: the
    user function at the end of its chain of creators and that frame's
    line, with the count: {(loop, function, line): n}."""
    out = collections.Counter()
    for s in report["stacks"]:
        if s["kind"] != "goroutine" or s["pid"] != pid:
            continue
        loop = next((f for n in s.get("now", []) for f in n["frames"]
                     if f.endswith(").readLoop") or f.endswith(").writeLoop")), None)
        if not loop:
            continue
        last = (s.get("ancestors") or [{"frames": [], "locations": []}])[-1]
        user = [(f, loc.get("line")) for f, loc in zip(last["frames"], last["locations"])
                if f.startswith("main.leak")]
        out[(loop.rsplit(".", 1)[1], *(user[0] if user else (None, None)))] += s["count"]
    return out


def test_http_body_leak_chain_reaches_the_request_line():
    """An HTTP client that never closes response bodies leaves readLoop
    and writeLoop goroutines that net/http started on a goroutine it
    started for the dial: their chain of creators (trace mode) reaches the
    line that made the request. Truth: the source's marked lines, and the
    runtime's own ancestry (GODEBUG=tracebackancestors) in its dump."""
    src = os.path.join(ROOT, "tests", "workloads", "go", "httpleak", "main.go")
    lines = {"main.leakA": marked_line(src, "// request A"),
             "main.leakB": marked_line(src, "// request B")}
    fx = spawn([os.path.join(FIXTURES, "httpleak")],
               env=dict(os.environ, GOTRACEBACK="system", GODEBUG="tracebackancestors=10"))
    pid = int(read_until(fx, "ready")[-1].split()[1])
    out = tmpfile("httpleak.json")
    attach_during_leak(fx, pid, out)
    os.kill(pid, signal.SIGQUIT)
    _, dump = fx.communicate(timeout=30)
    report = load_report(out)
    compare_with_dump(report, pid, dump, "httpleak")
    want = {(loop, fn, lines[fn]): n for loop in ("readLoop", "writeLoop")
            for fn, n in (("main.leakA", 5), ("main.leakB", 3))}
    eq(dict(http_chains(report, pid)), want, "readLoop/writeLoop goroutines per request line")
    # the runtime's view: the same chains, as many levels deep
    theirs = collections.Counter()
    for g in sigquit_goroutines(dump):
        loop = next((f.rsplit(".", 1)[1] for f in g["frames"]
                     if f.endswith(").readLoop") or f.endswith(").writeLoop")), None)
        if not loop:
            continue
        depth = next(i for i, o in enumerate(g["origins"])
                     if any(f.startswith("main.leak") for f in o["frames"]))
        fn = next(f for f in g["origins"][depth]["frames"] if f.startswith("main.leak"))
        theirs[(loop, fn, depth)] += 1
    ours = collections.Counter()
    for s in report["stacks"]:
        if s["kind"] == "goroutine" and s["pid"] == pid and s.get("ancestors"):
            loop = next((f.rsplit(".", 1)[1] for n in s["now"] for f in n["frames"]
                         if f.endswith(").readLoop") or f.endswith(").writeLoop")), None)
            fn = next((f for f in s["ancestors"][-1]["frames"] if f.startswith("main.leak")), None)
            if loop:
                ours[(loop, fn, len(s["ancestors"]))] += s["count"]
    eq(dict(ours), dict(theirs), "(loop, request function, ancestors) against the runtime's own")


def uprobe_programs(pid):
    """BPF programs process pid has on uprobes, by name: the kernel's view
    (bpftool perf show)."""
    def bpftool(*args):
        # it walks every process's fds: one exiting meanwhile can fail it
        for _ in range(10):
            r = subprocess.run(["bpftool", "-j", *args], capture_output=True, text=True)
            if r.returncode == 0:
                return json.loads(r.stdout or "[]")
            time.sleep(0.1)
        raise Failure(f"bpftool {' '.join(args)} failed: {r.stderr.strip()}")
    perf = bpftool("perf", "show")
    names = {p["id"]: p.get("name") for p in bpftool("prog", "show")}
    return collections.Counter(names.get(e["prog_id"]) for e in perf
                               if e.get("pid") == pid and e.get("fd_type") == "uprobe")


def check_goroutines_mode(mode, stripped):
    """goleaks under one --go-goroutines mode, attached before the leak:
    the probes the kernel holds, and the goroutines against the dump."""
    what = f"{mode}{' stripped' if stripped else ''}"
    fx = spawn([fixture(stripped)], env=dict(os.environ, GOTRACEBACK="system"))
    pid = int(read_until(fx, "ready")[-1].split()[1])
    out = tmpfile(f"go-{mode}.json")
    lk = spawn([LEAKSCOPE, "-p", str(pid), "-o", out, "--go-goroutines", mode])
    wait_stderr(lk, "Ctrl-C to stop")
    probes = uprobe_programs(lk.pid)
    os.kill(pid, signal.SIGUSR1)
    read_until(fx, "leaked")
    time.sleep(1.0)
    code, _, err = stop(lk)
    eq(code, 0, f"{what}: leakscope exit status; stderr {err}")
    os.kill(pid, signal.SIGQUIT)
    _, dump = fx.communicate(timeout=30)
    per_goroutine = probes["go_create"] + probes["go_exit"]
    eq(per_goroutine, 0 if mode == "snapshot" else 2, f"{what}: goroutine probes attached ({probes})")
    eq(probes["go_alloc_sampled"], 1, f"{what}: the sampled allocation probe ({probes})")
    report = load_report(out)
    go = report["targets"][0]["go"]
    eq(go["goroutine_mode"], mode, f"{what}: mode in the report")
    compare_with_dump(report, pid, dump, what)
    counts, states = goroutines_by_site(report, pid)
    for site, (n, state) in LEAKS.items():
        eq(counts[site], n, f"{what}: goroutines at {site}")
        eq(dict(states[site]), {state: n}, f"{what}: what {site}'s goroutines do")
    if mode == "snapshot":
        check(go["walks"]["count"] >= 2 and go["walks"]["interval_s"] >= 1,
              f"{what}: walks of allgs ({go['walks']})")


def test_snapshot_mode_attaches_no_goroutine_probe_and_matches_dump():
    check_goroutines_mode("snapshot", stripped=False)


def test_snapshot_mode_stripped():
    check_goroutines_mode("snapshot", stripped=True)


def test_trace_mode_has_both_goroutine_probes():
    check_goroutines_mode("trace", stripped=False)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(conn, path):
    conn.request("GET", path)
    r = conn.getresponse()
    body = r.read()
    eq(r.status, 200, f"GET {path}")
    return body


def test_prometheus_under_http_load_matches_its_own_goroutine_profile():
    """Debian's prometheus (a Go 1.19 server) serving HTTP requests on
    many connections while both modes are attached; once the load stops
    (its keep-alive connections left open), the goroutines of each report,
    per creation site and by current stack, equal the server's own
    /debug/pprof/goroutine?debug=2 fetched right after (GOTRACEBACK=system:
    every frame and the runtime's own goroutines too), but for the two
    goroutines serving that very fetch."""
    port = free_port()
    d = os.path.join(TMP, f"prometheus-goroutines-{port}")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    cfg = os.path.join(d, "prometheus.yml")
    with open(cfg, "w") as f:
        f.write("global:\n  scrape_interval: 1h\nscrape_configs: []\n")
    log = open(os.path.join(d, "log"), "w")
    prom = spawn(["prometheus", f"--config.file={cfg}", f"--storage.tsdb.path={d}/data",
                  f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"],
                 stdout=log, stderr=log, env=dict(os.environ, GOTRACEBACK="system"))
    deadline = time.time() + 30
    while True:
        try:
            get(http.client.HTTPConnection("127.0.0.1", port, timeout=5), "/-/ready")
            break
        except (OSError, Failure):
            check(prom.poll() is None and time.time() < deadline,
                  f"prometheus never became ready: see {d}/log")
            time.sleep(0.2)
    outs = {m: tmpfile(f"prometheus-{m}.json") for m in ("trace", "snapshot")}
    lks = {m: spawn([LEAKSCOPE, "-p", str(prom.pid), "-o", out, "--go-goroutines", m])
           for m, out in outs.items()}
    for lk in lks.values():
        wait_stderr(lk, "Ctrl-C to stop")
    # HTTP load: 8 clients on keep-alive connections, each left open
    conns, errors = [], []

    def client(i):
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            for k in range(40):
                get(c, ["/api/v1/query?query=up", "/metrics", "/-/healthy",
                        "/api/v1/labels", "/api/v1/status/buildinfo"][(i + k) % 5])
            conns.append(c)
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(repr(e))
    threads = [threading.Thread(target=client, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    eq(errors, [], "HTTP load")
    time.sleep(1.0)  # every request answered; the connections idle
    for m, lk in lks.items():
        code, _, err = stop(lk)
        eq(code, 0, f"leakscope ({m}) exit status; stderr {err}")
    profile = get(http.client.HTTPConnection("127.0.0.1", port, timeout=30),
                  "/debug/pprof/goroutine?debug=2").decode()
    theirs = [g for g in sigquit_goroutines(profile)]
    check(len(theirs) > 20, f"goroutines in the profile: {len(theirs)}")
    # The fetch's own: the goroutine writing the profile (running) and the
    # background reader net/http starts for the request it serves.
    fetch = [g for g in theirs if g["state"] == "running"]
    eq(len(fetch), 1, "one goroutine running (the profile's writer)")
    bg = [g for g in theirs if g["created_by"] == "net/http.(*connReader).startBackgroundRead"]
    check(len(bg) <= 1, f"background readers: {len(bg)}")
    theirs = [g for g in theirs if g not in fetch and g not in bg]
    text = "\n\n".join(
        f"goroutine {g['goid']} [{g['state']}]:\n" +
        "".join(f"{f}(...)\n" for f in g["frames"]) + "runtime.goexit(...)\n" +
        (f"created by {g['created_by']}\n" if g["created_by"] else "") for g in theirs)
    # The runtime's own goroutines, which runtime.Stack leaves out: from
    # its SIGQUIT dump (GOTRACEBACK=system) after the fetch.
    prom.send_signal(signal.SIGQUIT)
    prom.wait(timeout=30)
    log.close()
    with open(os.path.join(d, "log")) as f:
        dump = f.read()
    for m, out in outs.items():
        report = load_report(out)
        eq(report["targets"][0]["go"]["version"], "go1.19.8", "Debian's prometheus")
        compare_with_dump(report, prom.pid, text, f"prometheus ({m})", level1=True,
                          runtime_dump=dump)


def test_wait_time_is_the_runtimes_waitsince():
    """How long goroutines have waited is g.waitsince, which the runtime
    sets at the first garbage collection that finds them blocked: the
    fixture reads the runtime's own clock (CLOCK_MONOTONIC, as Python's
    time.monotonic) before its first leak and after its explicit GCs, so
    each wait lies between (report time - after) and (report time -
    before), with the report made between Ctrl-C and leakscope's exit."""
    fx = spawn([fixture(False), "-heapprofile", tmpfile("wait-heap.pb.gz")])
    pid = int(read_until(fx, "ready")[-1].split()[1])
    out = tmpfile("go-wait.json")
    lk = spawn([LEAKSCOPE, "-p", str(pid), "-o", out])
    wait_stderr(lk, "Ctrl-C to stop")
    os.kill(pid, signal.SIGUSR1)
    lines = read_until(fx, "leaked")
    t0, t1 = (int(x) for x in next(l for l in lines if l.startswith("clock")).split()[1:])
    time.sleep(1.0)
    asked = time.monotonic_ns()
    code, _, err = stop(lk)
    done = time.monotonic_ns()
    eq(code, 0, f"leakscope exit status; stderr {err}")
    report = load_report(out)
    lo, hi = (asked - t1) / 1e9, (done - t0) / 1e9
    seen = 0
    for s in report["stacks"]:
        if s["kind"] != "goroutine" or not s["frames"] or s["frames"][0] not in LEAKS:
            continue
        for n in s["now"]:
            check("wait_min_s" in n, f"{s['frames'][0]}: a wait time ({n['states']})")
            check(lo <= n["wait_min_s"] <= n["wait_max_s"] <= hi,
                  f"{s['frames'][0]}: waited {n['wait_min_s']}-{n['wait_max_s']} s, "
                  f"the runtime's clock says between {lo:.3f} and {hi:.3f} s")
            seen += n["count"]
    eq(seen, sum(n for n, _ in LEAKS.values()), "leaked goroutines with a wait time")
    os.kill(pid, signal.SIGTERM)
    fx.wait(timeout=30)


def creation_stacks(report):
    return collections.Counter((tuple(s["frames"]), tuple(a for anc in s.get("ancestors", [])
                                                          for a in anc["frames"]))
                               for s in report["stacks"] if s["kind"] == "goroutine"
                               for _ in range(s["count"]))


def test_copied_creation_stacks_equal_the_kernels_walk():
    """Creation stacks are captured by copying the creator's live stack
    (cheaper than bpf_get_stack here: make bench) and walking it in
    userspace by the binary's pcsp tables; the kernel's frame-pointer walk
    (LEAKSCOPE_GO_STACK=walk) must give the same stacks, frame by frame,
    ancestors included (the HTTP fixture: stacks through net/http)."""
    reports = {}
    for how in ("copy", "walk"):
        out = tmpfile(f"creation-{how}.json")
        env = dict(os.environ)
        if how == "walk":
            env["LEAKSCOPE_GO_STACK"] = "walk"
        lk = spawn([LEAKSCOPE, "-q", "-o", out, "--", os.path.join(FIXTURES, "httpleak"),
                    "-now"], env=env)
        read_until(lk, "leaked")
        time.sleep(0.7)
        code, _, err = stop(lk)
        eq(code, 0, f"{how}: exit status; stderr {err}")
        reports[how] = load_report(out)
        check(not [n for n in reports[how]["notes"] if "creation stacks" in n],
              f"{how}: no creation stack lost ({reports[how]['notes']})")
    created = reports["copy"]["targets"][0]["go"]["goroutines_created"]
    # all but the main goroutine's: the runtime's start-up code makes it
    # with no goroutine running, and the kernel's walk stands in
    eq(reports["copy"]["stats"]["go_stacks_copied"], created - 1, "creation stacks copied")
    eq(reports["walk"]["stats"]["go_stacks_copied"], 0, "none copied when walked")
    copy, walk = creation_stacks(reports["copy"]), creation_stacks(reports["walk"])
    check(sum(copy.values()) >= 20, f"goroutines compared: {sum(copy.values())}")
    eq((dict(copy - walk), dict(walk - copy)), ({}, {}),
       "creation stacks (copied's not walked's, walked's not copied's)")


def test_agent_defaults_to_snapshot_without_goroutine_probes():
    """The fleet agent follows goroutines by walks of the runtime's list:
    for a Go process it traces, the kernel holds its sampled-allocation
    probe and no goroutine probe, and its goroutine gauge still equals
    the runtime's own count (SIGQUIT dump, every goroutine)."""
    from test_agent import Agent
    agent = Agent("--comm", "goleaks", name="agent-snapshot")
    fx = spawn([fixture(False), "-now"], env=dict(os.environ, GOTRACEBACK="system"))
    pid = int(read_until(fx, "ready")[-1].split()[1])
    read_until(fx, "leaked")
    try:
        agent.wait_value("leakscope_process_goroutines", lambda v: v >= 66, pid=pid)
        probes = uprobe_programs(agent.p.pid)
        eq(probes["go_create"] + probes["go_exit"], 0, f"goroutine probes ({probes})")
        check(probes["go_alloc_sampled"] >= 1, f"the sampled allocation probe ({probes})")
        gauge = agent.value("leakscope_process_goroutines", pid=pid)
        os.kill(pid, signal.SIGQUIT)
        _, dump = fx.communicate(timeout=30)
        eq(int(gauge), len([g for g in sigquit_goroutines(dump) if g["goid"] != 0]),
           "goroutines the agent counts vs the dump")
    finally:
        agent.stop()
