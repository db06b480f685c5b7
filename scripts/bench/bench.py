#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""leakscope's benchmark suite; run it with scripts/bench.sh (which builds
the helpers and gives it a private tracefs mount).

    bench.py [--short] [-v] [PART...]
    PART: floor native go malloc redis esbuild memory bpftrace agent (default: all)

Every figure is a ratio or a per-event cost measured in this run: traced
and untraced runs alternate (the order rotates each round), and each
figure is the median over rounds with its spread (half the range, in
percent of the median). The floor (what an empty probe costs here) is
measured first in every run, and leakscope's per-event costs are given
as ratios to it.

Full mode prints the table and writes BENCHMARKS.md; --short runs each
part once, small, and prints "ok - bench_PART" or "not ok - bench_PART:
why": a check that the suite runs and gives sane numbers (positive,
finite, no lost events), never a timing threshold."""
import argparse
import datetime
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lib  # noqa: E402
from lib import BenchError, Leakscope, LineReader, median, sane  # noqa: E402


def spread_pct(xs):
    """Half the range over rounds in percent of the median; None for one."""
    xs = [x for x in xs if x is not None]
    return lib.spread_pct(xs) if len(xs) > 1 else None

ROOT, OUT = lib.ROOT, lib.OUT
GO_FIXTURES = os.path.join(ROOT, "build", "go-fixtures")
SYSCALL_LOOP = os.path.join(OUT, "syscall_loop")
MALLOC_CHURN = os.path.join(OUT, "malloc_churn")
BENCH_FLOOR = os.path.join(OUT, "bench_floor")
CHURN = os.path.join(GO_FIXTURES, "churn")
MANYG = os.path.join(GO_FIXTURES, "manyg")
ESBUILD = os.path.join(ROOT, "tests", ".cache", "go-binaries",
                       "esbuild-linux-x64-0.28.2", "package", "bin", "esbuild")
RESULT_RX = r"ns_per_(?:iter|op) ([0-9.]+)"

# Sizes per mode. Full: enough rounds for a median on a noisy 2-core VM;
# short: one small round of each, to check that everything still runs.
FULL = dict(rounds=5, floor_rounds=7, floor_ms=150, loop_n=200000, socket_n=100000,
            getppid_n=2000000, churn_n=300000, sampled_n=300000, every_n=1000000,
            redis_n=100000, redis_reconnect_n=20000, esbuild_modules=4000,
            esbuild_rounds=9, manyg_n=1000000, bpftrace_rounds=3, attribution=True,
            agent_rounds=3, agent_idle_s=20, redis_rounds=9, malloc_n=300000,
            malloc_leak_s=150)
SHORT = dict(rounds=1, floor_rounds=1, floor_ms=30, loop_n=20000, socket_n=10000,
             getppid_n=200000, churn_n=30000, sampled_n=20000, every_n=50000,
             redis_n=5000, redis_reconnect_n=2000, esbuild_modules=300,
             esbuild_rounds=1, manyg_n=20000, bpftrace_rounds=1, attribution=False,
             agent_rounds=1, agent_idle_s=3, redis_rounds=1, malloc_n=20000,
             malloc_leak_s=0)
SHORT_FLOOR_CASES = ["tp_snap_copy", "uprobe_push", "uprobe_jcc", "uprobe_call", "uprobe_mov",
                     "uretprobe_push", "session_push_ret", "session_push_noret",
                     "uprobe_push_stack", "uprobe_push_copy", "tp_empty", "tp_other", "tp_stack",
                     "tp_snap"]

RESULTS = {}       # part -> its measurements (saved to build/bench/results.json)
ROWS = []          # the table
TRACED = []        # every leakscope run: for the tracer's own CPU and losses
FLOOR = {}         # case -> per-hit ns (median)
FLOOR_PROG = {}    # case -> ns inside the program per hit
NOISE = []         # other tracers seen running
PROBLEMS = []      # what went wrong in the current part without stopping it


def row(section, name, value, spread=None, ref="", ratio=None, target="", met=None):
    ROWS.append(dict(section=section, name=name, value=value, spread=spread, ref=ref,
                     ratio=ratio, target=target, met=met))


def ns(x):
    if x is None:
        return "n/a"
    if abs(x) >= 10000:
        return f"{x / 1000:.1f} us"
    return f"{x:.0f} ns"


def pct(x):
    return "n/a" if x is None else f"{x:.1f}%"


VARIANT = {"snap16": "defaults", "snap0": "--stack-snapshot 0", "goroutines": "--go-alloc=off",
           "default": "defaults", "walk": "--go-alloc=off, creation stacks walked",
           "snapshot": "--go-goroutines=snapshot", "fallback": "LEAKSCOPE_FORCE_FALLBACK=all"}


def rotate(xs, r):
    r %= len(xs)
    return xs[r:] + xs[:r]


# --- runs ------------------------------------------------------------------

class Run:
    """One run of a workload: its own result and what the tracer did."""

    def __init__(self, **kw):
        self.__dict__.update(kw)


def run_waiting(cmd, tracer=None, stats=False, timeout=600, label="", variant=""):
    """Run a workload that prints "ready PID", waits for SIGUSR1 and then
    prints "ns_per_iter X" (or ns_per_op): untraced, or with a leakscope
    attached (-p) before the signal. With stats, BPF run statistics are on
    during the timed part (they slow every program a little: timing runs
    never have them)."""
    w = lib.spawn(cmd)
    out, err = LineReader(w.stdout), LineReader(w.stderr)
    m = out.wait_for(r"^ready (\d+)", 60)
    if not m:
        lib.stop(w)
        raise BenchError(f"{os.path.basename(cmd[0])} never got ready: {err.text()}")
    pid = int(m.group(1))
    ls = tracer.attach(pid) if tracer else None
    st = lib.BpfStats().__enter__() if stats else None
    try:
        c0 = ls.cpu_ns() if ls else 0
        p0 = ls.progs() if ls and stats else {}
        t0 = time.monotonic()
        os.kill(pid, signal.SIGUSR1)
        m = out.wait_for(RESULT_RX, timeout)
        t1 = time.monotonic()
        c1 = ls.cpu_ns() if ls else 0
        p1 = ls.progs() if ls and stats else {}
        names = lib.prog_names() if ls and stats else {}
    finally:
        if st:
            st.__exit__()
    if not m:
        lib.stop(w)
        if ls:
            ls.finish(interrupt=True)
        raise BenchError(f"{' '.join(cmd)}: no result: {out.text()} {err.text()}")
    try:
        w.wait(timeout=60)
    except Exception:
        lib.stop(w)
    run = Run(ns=float(m.group(1)), wall_s=t1 - t0, cpu_ns=c1 - c0, progs=None,
              report=None, probes=[], label=label)
    if ls:
        run.report = lib.report_summary(ls.finish())
        run.probes = ls.probe_lines()
        if stats:
            run.progs = lib.stats_delta(p0, p1, names)
        record_traced(label, variant or tracer.name, run)
    return run


def record_traced(label, variant, run, cpu_valid=True):
    rep = run.report or {}
    TRACED.append(dict(workload=label, variant=variant, wall_s=run.wall_s, cpu_valid=cpu_valid,
                       cpu_ns=run.cpu_ns, records=rep.get("records", 0),
                       lost=rep.get("lost_events", 0),
                       ringbuf_full=rep.get("drops", {}).get("ringbuf_full", 0),
                       bpf_ns=sum(t for t, _ in run.progs.values()) if run.progs else None,
                       progs=run.progs))


def run_bpftrace(name, script, cmd, timeout=600):
    """A workload launched by bpftrace -c (it starts the command once its
    probes are attached); the workload times itself."""
    path = os.path.join(OUT, f"{name}.bt")
    with open(path, "w") as f:
        f.write(script)
    p = lib.spawn(["bpftrace", "-c", " ".join(cmd), path])
    out, err = LineReader(p.stdout), LineReader(p.stderr)
    m = out.wait_for(RESULT_RX, timeout)
    if not m:
        lib.stop(p, signal.SIGINT)
        raise BenchError(f"bpftrace {name}: no result: {err.text()}")
    try:
        p.wait(timeout=120)
    except subprocess.TimeoutExpired:
        lib.stop(p, signal.SIGINT)
    out.join()
    if p.returncode != 0:
        raise BenchError(f"bpftrace {name} exited with {p.returncode}: {err.text()}")
    if not any(l.startswith("@") for l in out.lines):
        raise BenchError(f"bpftrace {name} recorded nothing: {out.text()}")
    return Run(ns=float(m.group(1)), report=None)


def alternate(cfg_rounds, variants, one):
    """Run every variant once per round, the order rotating each round;
    returns {variant: [result per round]}."""
    res = {v: [] for v in variants}
    for r in range(cfg_rounds):
        for v in rotate(list(variants), r):
            res[v].append(one(v))
    return res


def per_round(res, traced, untraced="untraced", f=lambda t, u: t.ns - u.ns):
    return [f(t, u) for t, u in zip(res[traced], res[untraced])]


def check_runs(runs, what):
    """Every traced run must lose nothing: a loss is reported (the part
    fails) but its figures are kept."""
    lost = sum(r.report["lost_events"] for r in runs if r.report)
    if lost:
        PROBLEMS.append(f"{what}: {lost} events lost")


# --- the floor ---------------------------------------------------------------

def part_floor(cfg, short):
    cmd = [BENCH_FLOOR, "--rounds", str(cfg["floor_rounds"]), "--ms", str(cfg["floor_ms"])]
    if short:
        cmd += SHORT_FLOOR_CASES
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    if p.returncode != 0:
        raise BenchError(f"bench_floor failed: {p.stderr.strip()[-500:]}")
    cases = [json.loads(l) for l in p.stdout.splitlines() if l.startswith("{")]
    for c in cases:
        if "unsupported" in c:
            row("floor", f"{c['case']}: not on this kernel", c["unsupported"])
    cases = [c for c in cases if "unsupported" not in c]
    RESULTS["floor"] = cases
    for c in cases:
        FLOOR[c["case"]] = c["per_hit_ns"]
        FLOOR_PROG[c["case"]] = c["prog_ns"]
        if c["case"] == "tp_other":
            continue
        if not sane(c["per_hit_ns"]):
            raise BenchError(f"floor {c['case']}: per-hit cost {c['per_hit_ns']} ns")
        if c["hits_checked"] < c["calls_checked"]:
            raise BenchError(f"floor {c['case']}: {c['hits_checked']} probe hits "
                             f"for {c['calls_checked']} calls")
    spread = {c["case"]: (c["max_ns"] - c["min_ns"]) / 2 / abs(c["per_hit_ns"]) * 100
              if c["per_hit_ns"] and c["rounds"] > 1 else None for c in cases}
    for c in cases:
        row("floor", f"uprobe: {c['insn']}" if c["case"].startswith(("uprobe", "uretprobe", "session"))
            else f"tracepoint: {c['insn']}", ns(c["per_hit_ns"]) + "/hit",
            spread[c["case"]], ref=f"in program {ns(c['prog_ns'])}" if c["prog_ns"] >= 0 else "")


def floor_of(insn):
    """Floor case for what leakscope -v says sits under a probe."""
    if insn.startswith("call"):
        return "uprobe_call"
    if insn.startswith("jbe") or insn.startswith("j"):
        return "uprobe_jcc"
    if insn.startswith("push"):
        return "uprobe_push"
    return "uprobe_mov"


def stack_cost_uprobe(f=None):
    f = f or FLOOR
    return f["uprobe_push_stack"] - f["uprobe_push"]


def copy_cost_uprobe(f=None):
    """The other creation-stack capture: the live stack copied into the
    record (walked in userspace), what leakscope does by default."""
    f = f or FLOOR
    return f["uprobe_push_copy"] - f["uprobe_push"]


def cheapest_capture(f=None):
    return min(stack_cost_uprobe(f), copy_cost_uprobe(f))


# The floor drifts with the machine's load (another VM's, here): each
# part measures the floor cases it compares against once per round, next
# to its own runs, and its ratios are per round.
NATIVE_FLOOR_CASES = ["tp_empty", "tp_stack", "tp_snap", "tp_snap_copy"]
GO_FLOOR_CASES = ["uprobe_push", "uprobe_jcc", "uprobe_call", "uprobe_push_stack",
                  "uprobe_push_copy"]


def floor_now(cfg, cases):
    cmd = [BENCH_FLOOR, "--rounds", "1", "--ms", str(cfg["floor_ms"]), *cases]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    if p.returncode != 0:
        raise BenchError(f"bench_floor failed: {p.stderr.strip()[-500:]}")
    f = dict(FLOOR)
    for c in (json.loads(l) for l in p.stdout.splitlines() if l.startswith("{")):
        if "per_hit_ns" in c:
            f[c["case"]] = c["per_hit_ns"]
    return Run(floor=f)


def ratio_summary(rr, what):
    """From ratio_rows: (added per round, its median, median ratio,
    median floor); an insane median is an error."""
    added = [a for a, _, _ in rr]
    m = median(added)
    if not sane(m):
        raise BenchError(f"{what}: added cost {m} ns")
    return added, m, median(r for _, _, r in rr), median(fl for _, fl, _ in rr)


def ratio_rows(res, traced, floor_of_round, f=None):
    """Per round: (added, floor of that round, added / floor)."""
    f = f or (lambda t, u: t.ns - u.ns)
    out = []
    for t, u, fl in zip(res[traced], res["untraced"], res["floor"]):
        fr = floor_of_round(fl.floor)
        out.append((f(t, u), fr, f(t, u) / fr if fr else float("nan")))
    return out


# --- native ----------------------------------------------------------------------

NATIVE_KINDS = [("mmap", "mmap+munmap", "loop_n", 1), ("open", "open+close", "loop_n", 1),
                ("socket", "socket+close", "socket_n", 1), ("brk", "brk grow+shrink", "loop_n", 2)]


def part_native(cfg, short):
    res_all = {}
    kinds = NATIVE_KINDS[1:2] if short else NATIVE_KINDS
    for kind, what, nkey, nacq in kinds:
        n = cfg[nkey]
        cmd = [SYSCALL_LOOP, kind, str(n), "--wait"]
        # fallback: the paths of a kernel without the newer BPF features
        # (Debian 12's 6.1 takes them all), forced on this one
        variants = ["untraced", "snap16", "snap0", "fallback"] if not short else \
            ["untraced", "snap16", "fallback"]
        tracers = {"untraced": None,
                   "snap16": lambda: Leakscope(f"native_{kind}_snap16"),
                   "snap0": lambda: Leakscope(f"native_{kind}_snap0", ["--stack-snapshot", "0"]),
                   "fallback": lambda: Leakscope(f"native_{kind}_fallback",
                                                 env={"LEAKSCOPE_FORCE_FALLBACK": "all"})}

        def one(v, kind=kind, cmd=cmd, tracers=tracers, what=what):
            if v == "floor":
                return floor_now(cfg, NATIVE_FLOOR_CASES)
            t = tracers[v]() if tracers[v] else None
            return run_waiting(cmd, t, label=f"native {what}", variant=VARIANT.get(v, v))
        res = alternate(cfg["rounds"], variants + ["floor"], one)
        check_runs(res["snap16"] + res.get("snap0", []) + res["fallback"], f"native {kind}")
        attrib = {}
        if cfg["attribution"]:
            for v in variants[1:]:
                attrib[v] = run_waiting(cmd, tracers[v](), stats=True, label=f"native {what}",
                                        variant=VARIANT.get(v, v))
        # floor per iteration: acquire (stack, snapshot) + release; brk is
        # two acquiring exits plus two sys_enter_brk hits
        floors = {"snap16": lambda f, nacq=nacq: nacq * (f["tp_snap"] + f["tp_empty"]),
                  "snap0": lambda f, nacq=nacq: nacq * (f["tp_stack"] + f["tp_empty"]),
                  "fallback": lambda f, nacq=nacq: nacq * (f["tp_snap_copy"] + f["tp_empty"])}
        untraced = median(r.ns for r in res["untraced"])
        row("native", f"{what}, untraced", ns(untraced) + "/pair",
            spread_pct([r.ns for r in res["untraced"]]))
        out = {"untraced_ns": untraced}
        for v in variants[1:]:
            rr = ratio_rows(res, v, floors[v])
            added, m, ratio, fl = ratio_summary(rr, f"native {kind} {v} per pair")
            label = {"snap16": "CFI snapshot (defaults)", "snap0": "--stack-snapshot 0",
                     "fallback": "every kernel fallback (as on 6.1)"}[v]
            row("native", f"{what}, {label}: added per pair", ns(m), spread_pct(added),
                ref=f"floor {ns(fl)}", ratio=ratio, target="<= 1.3x floor",
                met=ratio <= 1.3)
            if v == "fallback":
                # what a user of an older kernel pays over this one, per round
                extra = per_round(res, "fallback", "snap16")
                row("native", f"{what}, every kernel fallback vs defaults: added per pair",
                    ns(median(extra)), spread_pct(extra),
                    ref=f"defaults {ns(out['snap16']['added_ns'])}")
            out[v] = dict(added_ns=m, spread=spread_pct(added), floor_ns=fl, ratio=ratio,
                          rounds=[r.ns for r in res[v]], ratios=[r for _, _, r in rr])
            if v in attrib:
                a = attrib[v]
                iters = n + n // 10
                out[v]["programs"] = {k: dict(ns_per_run=t / c if c else None, runs_per_iter=c / iters)
                                      for k, (t, c) in a.progs.items() if c}
                out[v]["collector_ns_per_event"] = (a.cpu_ns / a.report["records"]
                                                    if a.report["records"] else None)
        res_all[kind] = out
    # what an enabled syscall tracepoint costs the syscalls leakscope does
    # not watch (getppid): the global slow path, not any program of ours
    n = cfg["getppid_n"]
    cmd = [SYSCALL_LOOP, "getppid", str(n), "--wait"]
    res = alternate(cfg["rounds"], ["untraced", "traced"],
                    lambda v: run_waiting(cmd, Leakscope("native_getppid") if v == "traced" else None,
                                          label="native getppid (unwatched)", variant=VARIANT["snap16"]))
    added = per_round(res, "traced")
    m = median(added)
    row("native", "unwatched syscall (getppid): added per call", ns(m), spread_pct(added),
        ref=f"floor {ns(FLOOR.get('tp_other'))}: any syscall tracepoint enabled")
    res_all["getppid"] = dict(added_ns=m, untraced_ns=median(r.ns for r in res["untraced"]))
    if not (m == m and abs(m) < 1e6):
        raise BenchError(f"getppid: added cost {m}")
    RESULTS["native"] = res_all


# --- Go ------------------------------------------------------------------------------

def probe_insns(probe_lines):
    """{function: instruction} from leakscope -v."""
    out = {}
    for l in probe_lines:
        m = re.search(r"probe in (\S+) at 0x[0-9a-f]+ \((.*)\)$", l)
        if m:
            out[m.group(1)] = m.group(2)
    return out


def part_go(cfg, short):
    res_all = {}
    # goroutine lifecycles
    n = cfg["churn_n"]
    cmd = [CHURN, "-wait", "goroutines", str(n)]
    tr = {"untraced": None,
          "goroutines": lambda: Leakscope("go_churn_off", ["--go-alloc=off"]),
          "walk": lambda: Leakscope("go_churn_walk", ["--go-alloc=off"],
                                    env={"LEAKSCOPE_GO_STACK": "walk"}),
          "default": lambda: Leakscope("go_churn_default"),
          "snapshot": lambda: Leakscope("go_churn_snapshot", ["--go-goroutines=snapshot"])}
    variants = ["untraced", "goroutines", "walk", "default", "snapshot", "floor"]
    res = alternate(cfg["rounds"], variants,
                    lambda v: floor_now(cfg, GO_FLOOR_CASES) if v == "floor" else
                    run_waiting(cmd, tr[v]() if tr[v] else None, label="go churn",
                                variant=VARIANT.get(v, v)))
    check_runs(res["goroutines"] + res["walk"] + res["default"] + res["snapshot"], "go churn")
    a = run_waiting(cmd, Leakscope("go_churn_probes", verbose_probes=True),
                    stats=cfg["attribution"], label="go churn", variant=VARIANT["default"])
    insns = probe_insns(a.probes)
    create_f = next((f for f in insns if "newproc" in f), None)
    exit_f = next((f for f in insns if f in ("runtime.gdestroy", "runtime.goexit0")), None)
    if not create_f or not exit_f:
        raise BenchError(f"leakscope -v named no goroutine probes: {a.probes}")
    # two emulated hits and the cheaper of the two ways to capture the
    # creation stack on this machine (issue 16: use the cheaper)
    def lifecycle_floor(f):
        return f[floor_of(insns[create_f])] + cheapest_capture(f) + f[floor_of(insns[exit_f])]
    untraced = median(r.ns for r in res["untraced"])
    row("go", "goroutine lifecycle (create+exit), untraced", ns(untraced),
        spread_pct([r.ns for r in res["untraced"]]))
    out = {"untraced_ns": untraced, "probes": insns}
    caps = [(stack_cost_uprobe(fl.floor), copy_cost_uprobe(fl.floor)) for fl in res["floor"]]
    walk_c, copy_c = median(c[0] for c in caps), median(c[1] for c in caps)
    row("go", "creation-stack capture at a uprobe: bpf_get_stack / live stack copied",
        f"{ns(walk_c)} / {ns(copy_c)}", ref="leakscope copies (LEAKSCOPE_GO_STACK=walk: the walk)",
        target="use the cheaper", met=copy_c <= walk_c * 1.05)
    for v, label in (("goroutines", "--go-alloc=off (trace mode)"),
                     ("walk", "--go-alloc=off, creation stacks walked by the kernel"),
                     ("default", "default (sampled allocs)")):
        added, m, ratio, floor = ratio_summary(ratio_rows(res, v, lifecycle_floor),
                                               f"go churn {v} per lifecycle")
        row("go", f"goroutine lifecycle, {label}: added", ns(m), spread_pct(added),
            ref=f"floor {ns(floor)}: two hits + the cheaper capture", ratio=ratio,
            target="<= 1.3x floor", met=ratio <= 1.3)
        out[v] = dict(added_ns=m, spread=spread_pct(added), floor_ns=floor, ratio=ratio)
    # snapshot mode: no goroutine probe at all, the runtime's list walked
    ratios = per_round(res, "snapshot", f=lambda t, u: t.ns / u.ns)
    m = median(ratios)
    if not sane(m):
        raise BenchError(f"go churn snapshot: ratio {m}")
    row("go", "goroutine lifecycle, --go-goroutines=snapshot: time traced/untraced",
        f"{m * 100:.1f}%", spread_pct(ratios), ref="no goroutine probe; allgs walked",
        target="<= 103%", met=m <= 1.03)
    out["snapshot"] = dict(ratio=m, spread=spread_pct(ratios))
    out["capture_ns"] = dict(bpf_get_stack=walk_c, copy=copy_c)
    kinds = f"{insns[create_f]} in {create_f}; {insns[exit_f]} in {exit_f}"
    emulated = all(floor_of(insns[f]) != "uprobe_mov" for f in (create_f, exit_f))
    if a.progs is not None:
        lifecycles = n + n // 10 // 100 * 100
        hits = sum(c for k, (t, c) in a.progs.items() if k in ("go_create", "go_exit"))
        per = hits / lifecycles
        row("go", "probe hits per goroutine lifecycle", f"{per:.2f}", ref=kinds,
            target="<= 2, both emulated", met=per <= 2.01 and emulated)
        out["hits_per_lifecycle"] = per
        out["programs"] = {k: dict(ns_per_run=t / c) for k, (t, c) in a.progs.items() if c}
    else:
        row("go", "goroutine probes", "", ref=kinds, target="emulated", met=emulated)
    res_all["goroutines"] = out

    # allocation probes: sampled (every allocation sampled: -rate 1) and every
    for key, what, rate, ls_args, prog, func_hint, variant in (
            ("sampled", "sampled alloc (runtime.profilealloc, MemProfileRate=1)", ["-rate", "1"],
             [], "go_alloc_sampled", "profilealloc", VARIANT["default"]),
            ("every", "every alloc (--go-alloc=all)", [], ["--go-alloc=all"], "go_alloc_every",
             "malloc", "--go-alloc=all")):
        n = cfg[f"{key}_n"]
        cmd = [CHURN, "-wait", *rate, "alloc", str(n)]
        res = alternate(cfg["rounds"], ["untraced", "traced", "floor"],
                        lambda v: floor_now(cfg, GO_FLOOR_CASES) if v == "floor" else
                        run_waiting(cmd, Leakscope(f"go_alloc_{key}", ls_args)
                                    if v == "traced" else None, label=f"go alloc {key}",
                                    variant=variant))
        check_runs(res["traced"], f"go alloc {key}")
        a = run_waiting(cmd, Leakscope(f"go_alloc_{key}_probes", ls_args, verbose_probes=True),
                        stats=cfg["attribution"], label=f"go alloc {key}", variant=variant)
        insns = probe_insns(a.probes)
        fn = next((f for f in insns if func_hint in f), None)
        if not fn:
            raise BenchError(f"leakscope -v named no {func_hint} probe: {a.probes}")
        def hit_floor(f, fn=fn, insns=insns):
            return f[floor_of(insns[fn])] + stack_cost_uprobe(f)
        ops = n + n // 10 // 100 * 100
        hits_per_op = None
        if a.progs is not None:
            # (a name may come back cut to the kernel's 15 characters)
            c = sum(c for k, (t, c) in a.progs.items() if k[:15] == prog[:15])
            hits_per_op = c / ops
        else:  # short mode: the report counts probe hits too
            hits = a.report["go"].get("alloc_probe_hits", {}).get(key)
            hits_per_op = hits / ops if hits else None
        if not hits_per_op:
            raise BenchError(f"go alloc {key}: no probe hits counted")
        rr = ratio_rows(res, "traced", hit_floor,
                        f=lambda t, u, h=hits_per_op: (t.ns - u.ns) / h)
        added, m, ratio, floor = ratio_summary(rr, f"go alloc {key} per hit")
        row("go", f"{what}: added per probe hit", ns(m), spread_pct(added),
            ref=f"floor {ns(floor)} ({insns[fn]} in {fn})", ratio=ratio,
            target="<= 1.3x floor", met=ratio <= 1.3)
        res_all[key] = dict(added_ns=m, spread=spread_pct(added), floor_ns=floor, ratio=ratio,
                            hits_per_op=hits_per_op, probe=f"{insns[fn]} in {fn}",
                            untraced_ns_per_op=median(r.ns for r in res["untraced"]))
        if a.progs:
            res_all[key]["programs"] = {k: dict(ns_per_run=t / c) for k, (t, c) in a.progs.items() if c}
    RESULTS["go"] = res_all


# --- malloc -----------------------------------------------------------------------------

# Floor cases the malloc kind is compared with, measured in every round.
MALLOC_FLOOR_CASES = ["session_push_ret", "session_push_noret", "uretprobe_push", "uprobe_jcc",
                      "uprobe_push", "tp_snap", "tp_empty"]

# What a user would write in bpftrace for the same accounting: size at
# malloc's entry, block and stack at its return, forgotten at free.
BT_MALLOC = """// outstanding malloc blocks with their stacks (what --malloc=all keeps)
uprobe:{libc}:malloc /pid == cpid/ {{ @size[tid] = arg0; @calls = count(); }}
uretprobe:{libc}:malloc /pid == cpid && @size[tid]/ {{
	@block[retval] = @size[tid];
	@stack[retval] = ustack;
	delete(@size[tid]);
}}
uprobe:{libc}:free /pid == cpid/ {{ delete(@block[arg0]); delete(@stack[arg0]); }}
END {{ clear(@size); clear(@block); clear(@stack); }}
"""


def libc_path():
    out = subprocess.run(["ldd", MALLOC_CHURN], capture_output=True, text=True).stdout
    m = re.search(r"libc\.so\.6 => (\S+)", out)
    if not m:
        raise BenchError(f"libc of {MALLOC_CHURN} not found: {out}")
    return os.path.realpath(m.group(1))


def memleak_status():
    """BCC's libbpf-tools memleak: Debian 12's libbpf-tools (0.26) has no
    memleak, and BCC's Python memleak needs kernel headers; building it
    from its public source needs that source (github.com) at bench time."""
    if shutil.which("memleak") or shutil.which("memleak-bpfcc"):
        return None  # not reached on the machines this was written on
    try:
        socket.create_connection(("github.com", 443), timeout=5).close()
        reach = "reachable, but building libbpf-tools from source is not done here"
    except OSError:
        reach = "not reachable from this machine"
    return ("not built: Debian 12's libbpf-tools 0.26 has no memleak, BCC's Python one "
            f"needs kernel headers, and github.com (its source) is {reach}")


def part_malloc(cfg, short):
    """--malloc=all and sampled on a malloc(64)+free loop, against the
    floor of the probe hits a pair needs and against bpftrace; and (full
    mode) how soon a 1 MiB/min leak is flagged when sampled."""
    n = cfg["malloc_n"]
    cmd = [MALLOC_CHURN, "--loop", str(n), "--wait"]
    variants = ["untraced", "all", "sampled", "floor"] + ([] if short else ["bpftrace"])
    tracers = {"all": lambda: Leakscope("malloc_all", ["--malloc=all"]),
               "sampled": lambda: Leakscope("malloc_sampled", ["--malloc=sampled"])}
    script = BT_MALLOC.format(libc=libc_path())

    def one(v):
        if v == "floor":
            return floor_now(cfg, MALLOC_FLOOR_CASES)
        if v == "bpftrace":
            return run_bpftrace("malloc", script, [MALLOC_CHURN, "--loop", str(n)])
        return run_waiting(cmd, tracers[v]() if v in tracers else None,
                           label="malloc+free loop", variant=f"--malloc={v}" if v in tracers else "")
    res = alternate(cfg["rounds"], variants, one)
    check_runs(res["all"] + res["sampled"], "malloc loop")
    a = run_waiting(cmd, Leakscope("malloc_all_probes", ["--malloc=all"], verbose_probes=True),
                    stats=cfg["attribution"], label="malloc+free loop", variant="--malloc=all")
    lines = [l for l in a.probes if "malloc probe on" in l and "libc.so" in l]
    insn = {m.group(1): m.group(2) for m in (re.search(r"probe on (\S+) at 0x[0-9a-f]+ \((.*)\)$", l)
                                             for l in lines) if m}
    if "malloc" not in insn or "free" not in insn:
        raise BenchError(f"leakscope -v named no malloc/free probes: {a.probes}")
    session = "session_push_ret" in res["floor"][0].floor
    ret_case = "session_push_ret" if session else "uretprobe_push"
    noret_case = "session_push_noret" if session else "uretprobe_push"

    def floor_all(f):
        return f[ret_case] + f[floor_of(insn["free"])] + (f["tp_snap"] - f["tp_empty"])

    def floor_sampled(f):
        return f[noret_case] + f[floor_of(insn["free"])]
    untraced = median(r.ns for r in res["untraced"])
    row("malloc", "malloc(64)+free, untraced", ns(untraced) + "/pair",
        spread_pct([r.ns for r in res["untraced"]]),
        ref=f"probes: {insn['malloc']} in malloc, {insn['free']} in free")
    out = {"untraced_ns": untraced, "probes": insn, "session": session}
    # the floor target is for `all` only; sampled's targets are Redis and the leak
    for v, floor_fn, what, limit in (("all", floor_all, "--malloc=all (every block)", 1.3),
                                     ("sampled", floor_sampled, "--malloc=sampled (512 KiB)",
                                      None)):
        rr = ratio_rows(res, v, floor_fn)
        added, m, ratio, fl = ratio_summary(rr, f"malloc {v} per pair")
        row("malloc", f"{what}: added per malloc+free pair", ns(m), spread_pct(added),
            ref=f"floor {ns(fl)}: {'session' if session else 'uprobe+uretprobe'} at malloc"
                f"{' + stack capture' if v == 'all' else ''}, {insn['free']} at free",
            ratio=ratio, target=f"<= {limit}x floor" if limit else "",
            met=ratio <= limit if limit else None)
        out[v] = dict(added_ns=m, spread=spread_pct(added), floor_ns=fl, ratio=ratio,
                      ratios=[r for _, _, r in rr])
    if "bpftrace" in res:
        bt = median(per_round(res, "bpftrace"))
        ls = out["all"]["added_ns"]
        row("malloc", "bpftrace (uprobe+uretprobe malloc, uprobe free, map insert/delete with "
            "ustack): added per pair", ns(bt), spread_pct(per_round(res, "bpftrace")),
            ref="its free probe sits on free's first instruction (test: single-stepped)")
        row("malloc", "--malloc=all vs bpftrace: added per pair", ns(ls), ref=f"bpftrace {ns(bt)}",
            ratio=ls / bt, target="<= 0.4x bpftrace", met=ls / bt <= 0.4)
        out["bpftrace_ns"] = bt
    why = memleak_status()
    if why:
        row("malloc", "BCC libbpf-tools memleak", why)
    if a.progs:
        out["programs"] = {k: dict(ns_per_run=t / c, runs_per_iter=c / (n + n // 10))
                           for k, (t, c) in a.progs.items() if c}
    if cfg["malloc_leak_s"]:
        out["leak"] = malloc_leak_flagged(cfg["malloc_leak_s"])
    RESULTS["malloc"] = out


def malloc_leak_flagged(seconds):
    """A leak of 1 MiB/min (4 KiB blocks, with churn beside it) under
    --malloc=sampled: when its stack is first flagged as suspect (the live
    view, every 5 s), against the target of two minutes."""
    rate = (1 << 20) / 60
    w = lib.spawn([MALLOC_CHURN, "--rate", f"{rate:.0f}", "--seconds", str(seconds)])
    ls = lib.spawn([lib.LEAKSCOPE, "-p", str(w.pid), "--malloc=sampled", "-i", "5",
                    "--kind", "malloc", "--top", "3"])
    out = LineReader(ls.stdout)
    t0 = time.monotonic()
    try:
        m = out.wait_for(r"SUSPECT .*", seconds + 10)
        flagged = time.monotonic() - t0 if m else None
    finally:
        lib.stop(ls, signal.SIGINT)
        lib.stop(w)
    row("malloc", "1 MiB/min leak, --malloc=sampled: flagged as suspect after",
        f"{flagged:.0f} s" if flagged else f"not within {seconds} s",
        ref="live view every 5 s; 512 KiB sampling: ~2 samples a minute",
        target="<= 120 s", met=flagged is not None and flagged <= 120)
    return dict(flagged_s=flagged, seconds=seconds)


# --- Redis -------------------------------------------------------------------------------

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def redis_benchmark(args, timeout=600):
    p = subprocess.run(["redis-benchmark", *args, "--csv"], capture_output=True, text=True,
                       timeout=timeout)
    rows = [l.replace('"', "").split(",") for l in p.stdout.splitlines()[1:] if l.strip()]
    rps = [float(r[1]) for r in rows if len(r) > 1]
    if p.returncode != 0 or not rps:
        raise BenchError(f"redis-benchmark failed: {p.stderr.strip()[-300:]}")
    return len(rps) / sum(1 / x for x in rps)  # requests / total time


def part_redis(cfg, short):
    for tool in ("redis-server", "redis-benchmark"):
        if not shutil.which(tool):
            raise Skip(f"{tool} not installed (Debian packages redis-server redis-tools)")
    d = tempfile.mkdtemp(prefix="redis.", dir=OUT)
    port, sock = free_port(), os.path.join(d, "redis.sock")
    srv = lib.spawn(["redis-server", "--port", str(port), "--bind", "127.0.0.1",
                     "--unixsocket", sock, "--save", "", "--appendonly", "no",
                     "--protected-mode", "no", "--dir", d, "--logfile", ""],
                    stdout=subprocess.DEVNULL)
    try:
        deadline = time.time() + 20
        while not os.path.exists(sock) and time.time() < deadline:
            time.sleep(0.1)
        if not os.path.exists(sock):
            raise BenchError("redis-server did not start")
        out = {}
        loads = [("keepalive", "loopback, 50 clients, set/get/lpush/lpop",
                  ["-h", "127.0.0.1", "-p", str(port), "-n", str(cfg["redis_n"]), "-c", "50",
                   "-r", "1000000", "-d", "64", "-t", "set,get,lpush,lpop"], 0.97),
                 ("reconnect", "unix socket, a new connection per request",
                  ["-s", sock, "-n", str(cfg["redis_reconnect_n"]), "-c", "50", "-k", "0",
                   "-t", "set,get"], None)]
        for key, what, args, target in loads:
            redis_benchmark(args)  # warm up

            def one(v, key=key, args=args, stats=False):
                if v == "untraced":
                    t0 = time.monotonic()
                    return Run(rps=redis_benchmark(args), wall_s=time.monotonic() - t0)
                ls = Leakscope(f"redis_{key}_{v}",
                               ["--malloc=sampled"] if v == "sampled" else []).attach(srv.pid)
                st = lib.BpfStats().__enter__() if stats else None
                try:
                    c0, p0, t0 = ls.cpu_ns(), ls.progs(), time.monotonic()
                    rps = redis_benchmark(args)
                    t1, c1, p1 = time.monotonic(), ls.cpu_ns(), ls.progs()
                    names = lib.prog_names() if stats else {}
                finally:
                    if st:
                        st.__exit__()
                r = Run(rps=rps, wall_s=t1 - t0, cpu_ns=c1 - c0,
                        progs=lib.stats_delta(p0, p1, names) if stats else None)
                r.report = lib.report_summary(ls.finish(interrupt=True))
                record_traced(f"redis {key}", "--malloc=sampled" if v == "sampled" else "defaults", r)
                return r
            # with the malloc kind sampled too (jemalloc, as Debian links it)
            variants = ["untraced", "traced"] + (["sampled"] if key == "keepalive" else [])
            res = alternate(cfg["redis_rounds"], variants, one)
            check_runs(res["traced"], f"redis {key}")
            ratios = per_round(res, "traced", f=lambda t, u: t.rps / u.rps)
            m = median(ratios)
            if not sane(m) or m > 10:
                raise BenchError(f"redis {key}: throughput ratio {m}")
            row("redis", f"Redis {what}: throughput traced/untraced", f"{m * 100:.1f}%",
                spread_pct(ratios), ref=f"untraced {median(r.rps for r in res['untraced']):.0f} req/s",
                target=f">= {target * 100:.0f}%" if target else "", met=(m >= target) if target else None)
            out[key] = dict(ratio=m, spread=spread_pct(ratios),
                            untraced_rps=[r.rps for r in res["untraced"]],
                            traced_rps=[r.rps for r in res["traced"]])
            if "sampled" in res:
                check_runs(res["sampled"], f"redis {key} --malloc=sampled")
                sr = per_round(res, "sampled", f=lambda t, u: t.rps / u.rps)
                ms = median(sr)
                row("redis", f"Redis {what}, --malloc=sampled too: throughput traced/untraced",
                    f"{ms * 100:.1f}%", spread_pct(sr),
                    ref="jemalloc's malloc and free: an emulated uprobe hit each "
                        "(~11 per request, see notes)", target=">= 90%", met=ms >= 0.90)
                out[key]["malloc_sampled"] = dict(ratio=ms, spread=spread_pct(sr),
                                                  rps=[r.rps for r in res["sampled"]])
            if cfg["attribution"]:
                a = one("traced", stats=True)
                out[key]["programs"] = {k: dict(ns_per_run=t / c, runs=c)
                                        for k, (t, c) in a.progs.items() if c}
        RESULTS["redis"] = out
    finally:
        lib.stop(srv)
        shutil.rmtree(d, ignore_errors=True)


# --- fleet agent ---------------------------------------------------------------------------

class Agent:
    """`leakscope agent` with its defaults (every process on the host),
    its own metrics endpoint on loopback for its counters."""

    def start(self, timeout=60):
        self.port = free_port()
        self.p = lib.spawn([lib.LEAKSCOPE, "agent", "--listen", f"127.0.0.1:{self.port}"],
                           stdout=subprocess.DEVNULL)
        self.err = lib.LineReader(self.p.stderr)
        if not self.err.wait_for(r"agent started", timeout) or \
                not self.err.wait_for(r"running processes picked up", timeout):
            lib.stop(self.p)
            raise BenchError(f"leakscope agent did not start: {self.err.text()}")
        return self

    def metrics(self):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/metrics", timeout=10) as r:
            text = r.read().decode()
        out = {}
        for m in re.finditer(r"^(leakscope_agent_[a-z_]+)(?:\{[^}]*\})? (\S+)$", text, re.M):
            out[m.group(1)] = out.get(m.group(1), 0) + float(m.group(2))
        return out

    def stop(self):
        rc = lib.stop(self.p)
        self.err.join()
        if rc != 0:
            raise BenchError(f"leakscope agent exited with {rc}: {self.err.text()}")


def agent_window(a, work):
    """Agent CPU (its process) and BPF run time (its own statistics) over
    work(); returns (work's result, Run)."""
    m0, c0, t0 = a.metrics(), lib.cpu_ns(a.p.pid), time.monotonic()
    res = work()
    t1, c1, m1 = time.monotonic(), lib.cpu_ns(a.p.pid), a.metrics()
    d = {k: m1.get(k, 0) - m0.get(k, 0) for k in m1}
    run = Run(wall_s=t1 - t0, cpu_ns=c1 - c0)
    run.bpf_ns = d.get("leakscope_agent_bpf_run_seconds_total", 0) * 1e9
    run.events = d.get("leakscope_agent_records_total", 0)
    run.lost = d.get("leakscope_agent_lost_events_total", 0)
    run.procs = m1.get("leakscope_agent_tracked_processes", 0)
    return res, run


def agent_row(what, runs):
    cpu = [r.cpu_ns / (r.wall_s * 1e9) * 100 for r in runs]
    bpf = [r.bpf_ns / (r.wall_s * 1e9) * 100 for r in runs]
    lost = sum(r.lost for r in runs)
    rate = median(r.events / r.wall_s for r in runs)
    row("agent", f"agent {what}: its CPU", f"{median(cpu):.2f}% of a CPU", spread_pct(cpu),
        ref=f"BPF programs {median(bpf):.2f}% of a CPU; {rate:.0f} events/s; "
            f"{median(r.procs for r in runs):.0f} processes traced; lost {lost:.0f}")
    if lost:
        PROBLEMS.append(f"agent {what}: {lost:.0f} events lost")
    return dict(cpu_pct=cpu, bpf_pct=bpf, lost=lost, events_per_s=rate)


def part_agent(cfg, short):
    out = {}
    # Idle-ish: the host as it is (this suite, sshd, cron...), nothing added.
    idle = []
    for _ in range(cfg["agent_rounds"]):
        a = Agent().start()
        try:
            _, r = agent_window(a, lambda: time.sleep(cfg["agent_idle_s"]))
        finally:
            a.stop()
        idle.append(r)
    out["idle"] = agent_row(f"on an idle-ish host ({cfg['agent_idle_s']} s)", idle)
    # Redis under load, the agent watching every process (server and clients).
    for tool in ("redis-server", "redis-benchmark"):
        if not shutil.which(tool):
            raise Skip(f"{tool} not installed (Debian packages redis-server redis-tools)")
    d = tempfile.mkdtemp(prefix="redis-agent.", dir=OUT)
    port = free_port()
    srv = lib.spawn(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                     "--appendonly", "no", "--dir", d, "--logfile", ""],
                    stdout=subprocess.DEVNULL)
    try:
        args = ["-h", "127.0.0.1", "-p", str(port), "-n", str(cfg["redis_n"]), "-c", "50",
                "-r", "1000000", "-d", "64", "-t", "set,get,lpush,lpop"]
        deadline = time.time() + 20
        while time.time() < deadline:  # redis-benchmark spins on a refused connection
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        redis_benchmark(args)  # warm up

        def one(v):
            if v == "untraced":
                return Run(rps=redis_benchmark(args))
            a = Agent().start()
            try:
                rps, r = agent_window(a, lambda: redis_benchmark(args))
            finally:
                a.stop()
            r.rps = rps
            return r
        res = alternate(cfg["redis_rounds"], ["untraced", "agent"], one)
        ratios = per_round(res, "agent", f=lambda t, u: t.rps / u.rps)
        m = median(ratios)
        if not sane(m) or m > 10:
            raise BenchError(f"redis under the agent: throughput ratio {m}")
        row("agent", "Redis loopback (as above) under `leakscope agent`: throughput",
            f"{m * 100:.1f}%", spread_pct(ratios),
            ref=f"untraced {median(r.rps for r in res['untraced']):.0f} req/s",
            target=">= 97%", met=m >= 0.97)
        out["redis"] = agent_row("under Redis load", res["agent"])
        out["redis"]["ratio"] = m
    finally:
        lib.stop(srv)
        shutil.rmtree(d, ignore_errors=True)
    RESULTS["agent"] = out


# --- esbuild -------------------------------------------------------------------------------

MODULE = """{imports}
export class Widget{i} {{
  constructor(name, size) {{
    this.name = name + "-{i}";
    this.size = size * {k};
    this.items = [];
  }}
  add(item) {{
    if (item && typeof item === "object") {{
      this.items.push({{ ...item, owner: this.name, index: this.items.length }});
    }} else {{
      this.items.push({{ value: item, owner: this.name }});
    }}
    return this;
  }}
  render() {{
    return `<div class="w{i}" data-size="${{this.size}}">${{this.items.map((it) => `<span>${{JSON.stringify(it)}}</span>`).join("")}}</div>`;
  }}
}}

export function value{i}(x) {{
  const table = {{ a: {i}, b: "{hex}", c: [{i}, {i1}, {i2}], d: (y) => y * {i} }};
  let acc = 0;
  for (let k = 0; k < 3; k++) acc += table.c[k] * (x + k);
  return acc + table.d(x) + ({use});
}}
"""


def generate_project(d, n):
    """n ES modules in a binary tree of imports, all reachable from index.js."""
    os.makedirs(os.path.join(d, "src"))
    for i in range(n):
        kids = [k for k in (2 * i + 1, 2 * i + 2) if k < n]
        imports = "".join(f'import {{ value{k}, Widget{k} }} from "./m{k}.js";\n' for k in kids)
        use = " + ".join(f"value{k}(x)" for k in kids) or "x"
        with open(os.path.join(d, "src", f"m{i}.js"), "w") as f:
            f.write(MODULE.format(imports=imports, i=i, k=i % 7 + 1, hex=f"{i:x}", i1=i + 1,
                                  i2=i + 2, use=use))
    with open(os.path.join(d, "src", "index.js"), "w") as f:
        f.write('import { value0, Widget0 } from "./m0.js";\n'
                'console.log(value0(1), new Widget0("root", 2).add(1).render());\n')


def children_of(pid):
    out = []
    for e in os.listdir("/proc"):
        if e.isdigit():
            try:
                with open(f"/proc/{e}/stat") as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                        out.append(int(e))
            except (OSError, IndexError, ValueError):
                pass
    return out


def esbuild_run(d, traced, stats=False, args=()):
    cmd = [ESBUILD, "src/index.js", "--bundle", "--minify", "--outfile=out.js", "--log-level=info"]
    if not traced:
        p = lib.spawn(cmd, cwd=d, stdout=subprocess.DEVNULL)
        err = LineReader(p.stderr)
        m = err.wait_for(r"Done in (\d+)ms", 300)
        p.wait(timeout=60)
        if not m or p.returncode != 0:
            raise BenchError(f"esbuild failed: {err.text()}")
        return Run(ms=int(m.group(1)))
    ls = Leakscope("esbuild" + "".join(a.replace("-", "_") for a in args))
    p = lib.spawn([lib.LEAKSCOPE, "-q", "-o", ls.json, *args, "--", *cmd], cwd=d,
                  stdout=subprocess.DEVNULL)
    ls.p = p
    err = LineReader(p.stderr)
    ls.err = err
    # leakscope forks the command first and holds it until every probe is
    # attached; its CPU from the exec on is what tracing esbuild cost
    exe, child, start = os.path.realpath(ESBUILD), None, {}
    st = lib.BpfStats().__enter__() if stats else None
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and p.poll() is None:
            if child is None:
                kids = children_of(p.pid)
                child = kids[0] if kids else None
            else:
                try:
                    if os.readlink(f"/proc/{child}/exe") == exe:
                        start = dict(cpu=lib.cpu_ns(p.pid), progs=lib.prog_stats(p.pid),
                                     t=time.monotonic())
                        break
                except OSError:
                    pass
            time.sleep(0.001)
        m = err.wait_for(r"Done in (\d+)ms", 300)
        end = dict(cpu=lib.cpu_ns(p.pid), progs=lib.prog_stats(p.pid), t=time.monotonic(),
                   names=lib.prog_names() if stats else {})
    finally:
        if st:
            st.__exit__()
    if not m or not start:
        lib.stop(p, signal.SIGINT)
        raise BenchError(f"esbuild under leakscope failed: {err.text()}")
    r = Run(ms=int(m.group(1)), wall_s=end["t"] - start["t"], cpu_ns=end["cpu"] - start["cpu"],
            progs=lib.stats_delta(start["progs"], end["progs"], end["names"]) if stats else None)
    r.report = lib.report_summary(ls.finish())
    record_traced("esbuild", " ".join(args) or "defaults", r)
    return r


def part_esbuild(cfg, short):
    if not os.access(ESBUILD, os.X_OK):
        subprocess.run([os.path.join(ROOT, "scripts", "fetch-go-binaries.sh"),
                        os.path.join(ROOT, "tests", ".cache", "go-binaries")],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if not os.access(ESBUILD, os.X_OK):
        raise Skip("esbuild (npm @esbuild/linux-x64@0.28.2) could not be fetched")
    d = tempfile.mkdtemp(prefix="esbuild.", dir=OUT)
    try:
        generate_project(d, cfg["esbuild_modules"])
        esbuild_run(d, False)  # warm the page cache
        res = alternate(cfg["esbuild_rounds"], ["untraced", "traced", "snapshot"],
                        lambda v: esbuild_run(d, v != "untraced",
                                              args=["--go-goroutines=snapshot"]
                                              if v == "snapshot" else []))
        check_runs(res["traced"] + res["snapshot"], "esbuild")
        snap = per_round(res, "snapshot", f=lambda t, u: t.ms / u.ms)
        if not sane(median(snap)):
            raise BenchError(f"esbuild snapshot: wall-time ratio {median(snap)}")
        row("esbuild", f"esbuild, {cfg['esbuild_modules']} modules, --go-goroutines=snapshot: "
            "wall time traced/untraced", f"{median(snap) * 100:.1f}%", spread_pct(snap),
            ref="no goroutine probe; allgs walked", target="<= 103%", met=median(snap) <= 1.03)
        ratios = per_round(res, "traced", f=lambda t, u: t.ms / u.ms)
        m = median(ratios)
        if not sane(m) or m > 10:
            raise BenchError(f"esbuild: wall-time ratio {m}")
        go = res["traced"][0].report["go"]
        row("esbuild", f"esbuild, {cfg['esbuild_modules']} modules: wall time traced/untraced",
            f"{m * 100:.1f}%", spread_pct(ratios),
            ref=f"untraced {median(r.ms for r in res['untraced']):.0f} ms, "
                f"{go.get('goroutines_created', 0)} goroutines, "
                f"{go.get('alloc_probe_hits', {}).get('sampled', 0)} sampled allocs",
            target="<= 103%", met=m <= 1.03)
        out = dict(ratio=m, spread=spread_pct(ratios), untraced_ms=[r.ms for r in res["untraced"]],
                   traced_ms=[r.ms for r in res["traced"]], go=go,
                   snapshot_ratio=median(snap), snapshot_ms=[r.ms for r in res["snapshot"]])
        if cfg["attribution"]:
            a = esbuild_run(d, True, stats=True)
            out["programs"] = {k: dict(ns_per_run=t / c, runs=c) for k, (t, c) in a.progs.items() if c}
        RESULTS["esbuild"] = out
    finally:
        shutil.rmtree(d, ignore_errors=True)


# --- collector memory at many goroutines ----------------------------------------------

def part_memory(cfg, short):
    n = cfg["manyg_n"]
    m = lib.spawn([MANYG, str(n)])
    out = LineReader(m.stdout)
    r = out.wait_for(r"^ready (\d+)", 30)
    if not r:
        raise BenchError("manyg never got ready")
    pid = int(r.group(1))
    ls = Leakscope("memory").attach(pid)
    try:
        time.sleep(1)
        rss0, c0 = ls.rss(), ls.cpu_ns()
        t0 = time.monotonic()
        os.kill(pid, signal.SIGUSR1)
        r = out.wait_for(r"parked (\d+) ns_per_create ([0-9.]+)", 900)
        if not r:
            raise BenchError("manyg did not park its goroutines")
        t_parked = time.monotonic()
        # the collector has caught up when its CPU time or its memory stops
        # growing (it keeps sampling verdicts every second)
        last_cpu, last_rss = ls.cpu_ns(), ls.rss()["RssAnon"]
        for _ in range(180):
            time.sleep(1)
            cpu, rss = ls.cpu_ns(), ls.rss()["RssAnon"]
            if cpu - last_cpu < 20e6 or abs(rss - last_rss) < 256:
                break
            last_cpu, last_rss = cpu, rss
        rss1, c1 = ls.rss(), ls.cpu_ns()
        rep = lib.report_summary(ls.finish(interrupt=True, timeout=600))
        # snapshot mode on the same parked goroutines: what one walk of
        # runtime.allgs costs the tracer, and the interval it picks for it
        snap = Leakscope("memory_snapshot", ["--go-goroutines=snapshot", "-d", "3"]).attach(pid)
        walks = snap.finish(timeout=600)["targets"][0]["go"].get("walks", {})
    finally:
        lib.stop(m, signal.SIGUSR1)
    if not walks or not sane(walks.get("last_cpu_ms")):
        raise BenchError(f"snapshot walks at {n} goroutines: {walks}")
    row("memory", f"--go-goroutines=snapshot: tracer CPU per walk of {n} goroutines",
        f"{walks['last_cpu_ms']:.0f} ms", ref=f"interval chosen {walks['interval_s']:.1f} s, "
        f"{walks['count']} walks", target="<= 1% of a CPU",
        met=walks["last_cpu_ms"] / 1e3 <= 0.0101 * walks["interval_s"])
    seen = rep["go"].get("goroutines_created", 0)
    grown = (rss1["RssAnon"] - rss0["RssAnon"]) * 1024
    per = grown / seen if seen else None
    # the rate is the creation rate; the collector's CPU runs on after it
    run = Run(wall_s=t_parked - t0, cpu_ns=c1 - c0, report=rep, progs=None)
    record_traced(f"manyg, {n} goroutines parked", "defaults", run, cpu_valid=False)
    row("memory", "collector memory per outstanding goroutine", f"{per:.0f} B" if per else "n/a",
        ref=f"{n} parked, {seen} creations seen, {rep['lost_events']} events lost; "
            f"{grown / n:.0f} B per parked goroutine; creation {ns(float(r.group(2)))} traced",
        target="<= 200 B", met=per is not None and per <= 200)
    RESULTS["memory"] = dict(n=n, bytes_per_goroutine_seen=per, bytes_per_goroutine_parked=grown / n,
                             rss_before_kib=rss0, rss_after_kib=rss1, created_seen=seen,
                             lost_events=rep["lost_events"], drops=rep["drops"],
                             collector_cpu_s=(c1 - c0) / 1e9,
                             traced_ns_per_create=float(r.group(2)), snapshot_walks=walks)
    if not sane(per):
        raise BenchError(f"memory per goroutine: {per} bytes ({seen} goroutines seen)")
    check_runs([run], f"parking {n} goroutines")


# --- bpftrace side by side -------------------------------------------------------------

BT_MMAP = """// outstanding mmap bytes per user stack (what leakscope's mmap kind does)
tracepoint:syscalls:sys_enter_mmap /pid == cpid/ { @len[tid] = args->len; }
tracepoint:syscalls:sys_exit_mmap /pid == cpid/ {
	$l = @len[tid];
	delete(@len[tid]);
	if (args->ret >= 0) {
		@bytes[ustack] = sum($l);
		@where[args->ret] = ustack;
		@size[args->ret] = $l;
	}
}
tracepoint:syscalls:sys_enter_munmap /pid == cpid && @size[args->addr]/ {
	@bytes[@where[args->addr]] = sum(-@size[args->addr]);
	delete(@where[args->addr]);
	delete(@size[args->addr]);
}
END { clear(@len); clear(@where); clear(@size); }
"""

# Debian's bpftrace 0.17 is built without a disassembler: it refuses a
# uprobe anywhere but a function's first instruction ("Can't check if
# uprobe is in proper place"), so it cannot use leakscope's emulated
# probe sites; function entries (cmp: single-stepped) are what it can do.
BT_GOROUTINES = """// goroutines created per stack, outstanding per start function
uprobe:{bin}:runtime.newproc /pid == cpid/ {{
	@created[ustack] = count();
	@live[*uptr((uint64 *)reg("ax"))] = sum(1);
}}
uprobe:{bin}:{exit_fn} /pid == cpid/ {{
	@live[*uptr((uint64 *)(reg("ax") + {startpc}))] = sum(-1);
}}
"""


def part_bpftrace(cfg, short):
    if not shutil.which("bpftrace"):
        raise Skip("bpftrace not installed (Debian package bpftrace)")
    out = {}
    # outstanding mmap bytes per stack, on the mmap+munmap loop
    n = cfg["loop_n"]
    tr = {"snap16": lambda: Leakscope("bt_mmap_snap16"),
          "snap0": lambda: Leakscope("bt_mmap_snap0", ["--stack-snapshot", "0"])}

    def one(v):
        if v == "bpftrace":
            return run_bpftrace("mmap", BT_MMAP, [SYSCALL_LOOP, "mmap", str(n)])
        return run_waiting([SYSCALL_LOOP, "mmap", str(n), "--wait"], tr[v]() if v in tr else None,
                           label="native mmap+munmap (bpftrace part)", variant=VARIANT.get(v, v))
    variants = ["untraced", "snap16", "snap0", "bpftrace"]
    res = alternate(cfg["bpftrace_rounds"], variants, one)
    check_runs(res["snap16"] + res["snap0"], "mmap vs bpftrace")
    bt = median(per_round(res, "bpftrace"))
    m = {}
    for v in variants[1:]:
        added = per_round(res, v)
        m[v] = median(added)
        if not sane(m[v]):
            raise BenchError(f"mmap vs bpftrace: {v} added {m[v]} ns")
    for v, label in (("snap16", "leakscope (complete stacks: CFI snapshot, defaults)"),
                     ("snap0", "leakscope --stack-snapshot 0"), ("bpftrace", "bpftrace (same accounting)")):
        row("bpftrace", f"mmap+munmap, {label}: added per pair", ns(m[v]),
            spread_pct(per_round(res, v)), ref=f"bpftrace {ns(bt)}" if v != "bpftrace" else "",
            ratio=m[v] / bt if v != "bpftrace" else None,
            target="< bpftrace" if v != "bpftrace" else "", met=m[v] < bt if v != "bpftrace" else None)
    out["mmap"] = m
    # goroutine create/exit accounting on the churn loop
    n = cfg["churn_n"]
    exit_fn = "runtime.goexit0"  # Debian's Go 1.19 (gdestroy from 1.22)
    script = BT_GOROUTINES.format(bin=CHURN, exit_fn=exit_fn, startpc="0x138")

    def one_g(v):
        if v == "bpftrace":
            return run_bpftrace("goroutines", script, [CHURN, "goroutines", str(n)])
        return run_waiting([CHURN, "-wait", "goroutines", str(n)],
                           Leakscope("bt_churn", ["--go-alloc=off"]) if v == "leakscope" else None,
                           label="go churn (bpftrace part)", variant=VARIANT["goroutines"])
    variants = ["untraced", "leakscope", "bpftrace"]
    res = alternate(cfg["bpftrace_rounds"], variants, one_g)
    check_runs(res["leakscope"], "churn vs bpftrace")
    ls, bt = median(per_round(res, "leakscope")), median(per_round(res, "bpftrace"))
    if not sane(ls) or not sane(bt):
        raise BenchError(f"churn vs bpftrace: leakscope {ls}, bpftrace {bt}")
    row("bpftrace", "goroutine lifecycle, leakscope --go-alloc=off: added", ns(ls),
        spread_pct(per_round(res, "leakscope")), ref=f"bpftrace {ns(bt)}", ratio=ls / bt,
        target="< bpftrace", met=ls < bt)
    row("bpftrace", "goroutine lifecycle, bpftrace (runtime.newproc/goexit0 entries): added",
        ns(bt), spread_pct(per_round(res, "bpftrace")))
    out["goroutines"] = dict(leakscope_ns=ls, bpftrace_ns=bt)
    RESULTS["bpftrace"] = out


# --- the tracer's own cost ---------------------------------------------------------------

def tracer_rows():
    """leakscope's own CPU and BPF time per workload, and its losses."""
    by = {}
    for t in TRACED:
        by.setdefault((t["workload"], t["variant"]), []).append(t)
    for (w, v), ts in sorted(by.items()):
        timed = [t for t in ts if t["wall_s"] > 0]
        if not timed:
            continue
        lost = sum(t["lost"] for t in ts)
        rate = median(t["records"] / t["wall_s"] for t in timed)
        per_ev = median(t["cpu_ns"] / t["records"] for t in timed if t["records"])
        if not timed[0]["cpu_valid"]:
            row("tracer", f"{w} ({v}): leakscope CPU", f"{ns(per_ev)}/event",
                ref=f"{rate:.0f} events/s created, lost {lost}")
            continue
        cpu = [t["cpu_ns"] / (t["wall_s"] * 1e9) * 100 for t in timed]
        bpf = [t for t in timed if t["bpf_ns"] is not None]
        bpf_txt = ""
        if bpf:
            b = bpf[-1]
            bpf_txt = (f"; its BPF programs {b['bpf_ns'] / (b['wall_s'] * 1e9) * 100:.1f}% of a CPU, "
                       f"{ns(b['bpf_ns'] / b['records']) if b['records'] else 'n/a'}/event")
        row("tracer", f"{w} ({v}): leakscope CPU", f"{median(cpu):.1f}% of a CPU", spread_pct(cpu),
            ref=f"{ns(per_ev)}/event, {rate:.0f} events/s{bpf_txt}, lost {lost}")
    if TRACED:
        top = max(TRACED, key=lambda t: t["records"] / t["wall_s"] if t["wall_s"] > 0 else 0)
        lost = sum(t["lost"] for t in TRACED)
        row("tracer", "lost events, all traced runs", str(lost),
            ref=f"highest rate: {top['records'] / top['wall_s']:.0f} events/s ({top['workload']}, "
                f"lost {top['lost']})", target="0", met=lost == 0)


def breakdown_rows():
    """Time inside each leakscope program per hit (BPF statistics) next to
    the floor's program that does the minimum for the same event."""
    floor_for = {"exit_munmap": "tp_empty", "exit_close": "tp_empty", "enter_brk": "tp_empty",
                 "go_exit": "uprobe_jcc", "go_create": "uprobe_push_stack",
                 "go_alloc_sampled": "uprobe_push_stack", "go_alloc_every": "uprobe_push_stack"}
    seen = set()
    for part, key, label in (("native", "mmap", "mmap+munmap"), ("native", "open", "open+close"),
                             ("native", "socket", "socket+close"), ("native", "brk", "brk"),
                             ("go", "goroutines", "goroutine"), ("go", "sampled", "sampled alloc"),
                             ("go", "every", "every alloc")):
        res = RESULTS.get(part, {}).get(key)
        if not res:
            continue
        variants = [("snap16", "defaults"), ("snap0", "--stack-snapshot 0"),
                    ("fallback", "every kernel fallback")] if part == "native" \
            else [(None, "defaults" if key != "every" else "--go-alloc=all")]
        for v, vlabel in variants:
            progs = (res.get(v) or {}).get("programs") if v else res.get("programs")
            for name, p in sorted((progs or {}).items()):
                if p.get("ns_per_run") is None or (p.get("runs_per_iter", 1) < 0.5) or \
                        name not in floor_for and not name.startswith(("exit_", "nokf_exit_")):
                    continue
                if (name, vlabel) in seen:
                    continue
                seen.add((name, vlabel))
                fcase = floor_for.get(name, {"snap16": "tp_snap", "fallback": "tp_snap_copy"}.get(
                    v, "tp_stack"))
                fns = FLOOR_PROG.get(fcase)
                row("breakdown", f"{name} ({label}, {vlabel}): time in the program per hit",
                    ns(p["ns_per_run"]), ref=f"floor program {fcase}: {ns(fns)}",
                    ratio=p["ns_per_run"] / fns if fns and fns > 0 else None)


# --- output --------------------------------------------------------------------------------

SECTIONS = [("floor", "The floor (empty BPF programs, this machine, this run)"),
            ("native", "leakscope per native event (syscall_loop, per pair of syscalls)"),
            ("go", "leakscope per Go event (churn, Go 1.19)"),
            ("malloc", "leakscope per malloc+free pair (malloc_churn, glibc)"),
            ("redis", "Redis"), ("esbuild", "esbuild (Go 1.26)"),
            ("memory", "Collector memory"), ("bpftrace", "Side by side with bpftrace"),
            ("tracer", "The tracer itself"),
            ("agent", "Fleet mode: `leakscope agent` (defaults: every process on the host)"),
            ("breakdown", "Where the time goes: time inside each BPF program per hit (BPF statistics)")]


def table():
    lines = ["| figure | value | spread | reference | ratio | target | met |",
             "|---|---|---|---|---|---|---|"]
    for sec, title in SECTIONS:
        rows = [r for r in ROWS if r["section"] == sec]
        if not rows:
            continue
        lines.append(f"| **{title}** | | | | | | |")
        for r in rows:
            lines.append("| {} | {} | {} | {} | {} | {} | {} |".format(
                r["name"], r["value"],
                f"±{r['spread']:.0f}%" if r["spread"] is not None else "",
                r["ref"], f"{r['ratio']:.2f}x" if r["ratio"] is not None else "",
                r["target"], {True: "yes", False: "**no**", None: ""}[r["met"]]))
    return "\n".join(lines)


def machine():
    cpu = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    rev = subprocess.run(["git", "-C", ROOT, "describe", "--always", "--dirty"],
                         capture_output=True, text=True).stdout.strip()
    return dict(kernel=platform.release(), cpu=cpu, cores=os.cpu_count(), rev=rev or "unknown")


def write_benchmarks(elapsed, failures):
    m = machine()
    unmet = [r for r in ROWS if r["met"] is False]
    lines = [
        "# leakscope benchmarks",
        "",
        f"Measured {datetime.datetime.now().strftime('%Y-%m-%d %H:%M')} by `make bench` "
        f"(`scripts/bench.sh`, {elapsed / 60:.0f} min) at leakscope {m['rev']}"
        + (f" (binary: {lib.LEAKSCOPE})." if "LEAKSCOPE" in os.environ else "."),
        f"Machine: Linux {m['kernel']}, {m['cpu']}, {m['cores']} cores.",
        "",
        "Every figure is measured in this run. Traced and untraced runs alternate (the",
        "order rotates each round); a figure is the median over rounds, its spread half",
        "the range in percent of the median. The floor is what an empty BPF program",
        "costs per hit here (measured again in every round of the native and Go",
        "parts, next to the runs it is compared with: the machine's speed drifts);",
        "leakscope's added cost per event is given as a ratio to",
        "the floor plus the stack capture the event needs (a native acquiring event:",
        "its live stack copied into a ring-buffer record, or `bpf_get_stack` with",
        "--stack-snapshot 0; a release: nothing; a Go event: the probed instruction's",
        "own floor + `bpf_get_stack`). The tracer's own CPU is",
        "leakscope's process (schedstat) over the workload's wall time; BPF time is",
        "the programs' run_time_ns (BPF_ENABLE_STATS, in separate runs: the statistics",
        "slow every program down). Raw numbers: build/bench/results.json.",
        "",
        table(),
        "",
        "## Targets not met" if unmet else "## Targets: all met",
        "",
    ]
    for r in unmet:
        how = f" ({r['ratio']:.2f}x)" if r["ratio"] is not None else ""
        lines.append(f"- {r['name']}: {r['value']}{how}, target {r['target']}")
    notes = os.path.join(ROOT, "scripts", "bench", "notes.md")
    if os.path.exists(notes):
        with open(notes) as f:
            lines += ["", f.read().rstrip()]
    if NOISE:
        lines += ["", f"Other tracers were running during this run (noisier figures): {', '.join(NOISE)}."]
    if failures:
        lines += ["", "## Parts that did not run", ""] + [f"- {p}: {why}" for p, why in failures]
    lines.append("")
    with open(os.path.join(ROOT, "BENCHMARKS.md"), "w") as f:
        f.write("\n".join(lines))


class Skip(Exception):
    pass


def other_tracers():
    """Tracers that are not ours (other leakscope or bpftrace sessions):
    they make every figure noisier, so the output says so."""
    mine = {os.getpid()} | {p.pid for p in lib._procs}
    out = []
    for e in os.listdir("/proc"):
        if not e.isdigit() or int(e) in mine:
            continue
        try:
            with open(f"/proc/{e}/comm") as f:
                comm = f.read().strip()
        except OSError:
            continue
        if comm in ("leakscope", "bpftrace", "perf"):
            out.append(f"{e} {comm}")
    return out


PARTS = {"floor": part_floor, "native": part_native, "go": part_go, "malloc": part_malloc,
         "redis": part_redis,
         "esbuild": part_esbuild, "memory": part_memory, "bpftrace": part_bpftrace,
         "agent": part_agent}


def main():
    ap = argparse.ArgumentParser(description="leakscope benchmark suite")
    ap.add_argument("--short", action="store_true", help="small, one round: does it run?")
    ap.add_argument("-v", "--verbose", action="store_true")
    ap.add_argument("parts", nargs="*", help=" ".join(PARTS))
    args = ap.parse_args()
    for p in args.parts:
        if p not in PARTS:
            ap.error(f"unknown part {p} (parts: {' '.join(PARTS)})")
    parts = args.parts or list(PARTS)
    if "floor" not in parts:
        parts.insert(0, "floor")  # every ratio needs this run's floor
    cfg = SHORT if args.short else FULL
    lib.set_verbose(args.verbose)
    os.makedirs(OUT, exist_ok=True)

    def on_signal(sig, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, on_signal)
    t0 = time.time()
    failures = []
    NOISE.extend(other_tracers())
    if NOISE:
        print(f"# note: other tracers running during this run: {', '.join(NOISE)}", flush=True)
    try:
        for name in parts:
            if name != "floor" and not FLOOR:
                print(f"not ok - bench_{name}: no floor measured", flush=True)
                failures.append((name, "no floor"))
                continue
            t = time.time()
            PROBLEMS.clear()
            try:
                PARTS[name](cfg, args.short)
                if PROBLEMS:
                    failures.append((name, "; ".join(PROBLEMS)))
                    print(f"not ok - bench_{name}: {'; '.join(PROBLEMS)}", flush=True)
                else:
                    print(f"ok - bench_{name} ({time.time() - t:.0f}s)", flush=True)
            except Skip as e:
                print(f"ok - bench_{name} # SKIP {e}", flush=True)
            except BenchError as e:
                failures.append((name, str(e)))
                print(f"not ok - bench_{name}: {e}", flush=True)
            except Exception as e:  # a bug here must not hide the other parts
                failures.append((name, repr(e)))
                print("  " + traceback.format_exc().replace("\n", "\n  "))
                print(f"not ok - bench_{name}: {e!r}", flush=True)
            finally:
                lib.cleanup()
        tracer_rows()
        breakdown_rows()
        NOISE.extend(t for t in other_tracers() if t not in NOISE)
    except KeyboardInterrupt:
        print("bench: interrupted", file=sys.stderr)
        return 130
    finally:
        lib.cleanup()
    with open(os.path.join(OUT, "results.json"), "w") as f:
        json.dump(dict(machine=machine(), short=args.short, results=RESULTS, rows=ROWS,
                       traced=[{k: v for k, v in t.items() if k != "progs"} for t in TRACED],
                       failures=failures), f, indent=1)
    print()
    print(table())
    if not args.short and not args.parts:
        write_benchmarks(time.time() - t0, failures)
        print("\nbench: wrote BENCHMARKS.md")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
