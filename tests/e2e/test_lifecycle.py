# SPDX-License-Identifier: MIT
"""Lifecycle edges: exec of another kind of program (C to Go, Go to C)
under -p and -f, a pid reused while tracing, fork storms with -f, a target
that exits while its report is built, and a Go binary replaced on disk
while traced. Ground truth: the fixtures' own accounts ("expect" lines,
tests/workloads/lifecycle.c) and the Go runtime's SIGQUIT dump."""
import os
import shutil
import signal
import subprocess
import time

from lib import (LEAKSCOPE, ROOT, Failure, check, eq, expectations, load_report, read_until,
                 site_total, spawn, stop, tmpfile, wait_stderr, workload)
from test_go import LEAKS, compare_with_dump, goroutines_by_site, runtime_goroutine, sigquit_goroutines

GO_FIXTURES = os.path.join(ROOT, "build", "go-fixtures")
LIFECYCLE = workload("lifecycle")


def go_fixture(name):
    return os.path.join(GO_FIXTURES, name)


def leaked_goroutines_ok(report, pid, what):
    counts, _ = goroutines_by_site(report, pid)
    for site, (n, _) in LEAKS.items():
        eq(counts[site], n, f"{what}: goroutines created in {site}")


def exec_c_to_go(follow):
    """lifecycle (C) leaks an fd, then becomes goleaks (Go)."""
    out = tmpfile(f"exec-c-go-{follow}.json")
    argv = [LIFECYCLE, "fork-exec" if follow else "exec", go_fixture("goleaks"), "-now"]
    env = dict(os.environ, GOTRACEBACK="all")
    if follow:
        lk = spawn([LEAKSCOPE, "-q", "-f", "-o", out, "--", *argv], env=env)
        fx_out = lk
    else:
        fx = spawn(argv, env=env)
        fx_out = fx
    lines = read_until(fx_out, "ready")
    parent = int(lines[-1].split()[1])
    if not follow:
        lk = spawn([LEAKSCOPE, "-o", out, "-p", str(parent)])
        wait_stderr(lk, "Ctrl-C to stop")
    os.kill(parent, signal.SIGUSR1)
    lines += read_until(fx_out, "leaked")
    go_pid = int([line for line in lines if line.startswith("ready")][-1].split()[1])
    time.sleep(0.8)
    os.kill(go_pid, signal.SIGQUIT)   # its dump is the truth; it then exits
    if follow:
        _, dump = lk.communicate(timeout=60)
        eq(lk.returncode, 2, "leakscope exits with the command's status: its child's "
           "SIGQUIT exit (2)")
    else:
        _, dump = fx.communicate(timeout=60)
        code, _, err = stop(lk)
        eq(code, 0, f"exit status; stderr {err[-300:]}")
    report = load_report(out)
    what = f"C to Go ({'-f' if follow else '-p'})"
    eq(site_total(report, "exec_leak_site", "fd", go_pid)[0], 1,
       f"{what}: the fd leaked before exec, still open in the Go program")
    target = next(t for t in report["targets"] if t["pid"] == go_pid)
    eq(target["go"]["version"], "go1.19.8", f"{what}: the new image is traced as Go")
    # the report is built after the dump killed it: no current stacks to
    # compare, the goroutines per creation site against the dump's
    compare_with_dump(report, go_pid, dump, what, stacks=False)
    eq(report["totals"]["goroutine"]["count"],
       sum(1 for g in sigquit_goroutines(dump) if g["goid"] and not runtime_goroutine(g)),
       f"{what}: goroutines outstanding at exit vs the dump (the runtime's own apart)")
    leaked_goroutines_ok(report, go_pid, what)


def test_exec_c_to_go_under_p():
    exec_c_to_go(follow=False)


def test_exec_c_to_go_under_f():
    exec_c_to_go(follow=True)


def exec_go_to_c(follow):
    """goexec (Go, 5 goroutines parked) becomes native_leaks (C): the Go
    state goes, the C program's leaks are exact."""
    out = tmpfile(f"exec-go-c-{follow}.json")
    argv = [go_fixture("goexec"), workload("native_leaks"), "--hold"]
    if follow:
        lk = fx = spawn([LEAKSCOPE, "-q", "-f", "-o", out, "--", *argv])
    else:
        fx = spawn(argv)
    pid = int(read_until(fx, "ready")[-1].split()[1])
    if not follow:
        lk = spawn([LEAKSCOPE, "-o", out, "-p", str(pid)])
        wait_stderr(lk, "Ctrl-C to stop")
    os.kill(pid, signal.SIGUSR1)
    lines = read_until(fx, "leaked")
    time.sleep(0.8)
    code, _, err = stop(lk)
    check(code in (0, 128 + signal.SIGTERM), f"exit status {code}; stderr {err[-300:]}")
    report = load_report(out)
    t = next(t for t in report["targets"] if t["pid"] == pid)
    eq(t.get("go"), None, "after exec to C, no Go state is kept")
    eq(sum(s["count"] for s in report["stacks"] if s["kind"] == "goroutine" and
           s["pid"] == pid), 0, "the Go program's goroutines went with its image")
    for (site, kind), (count, size) in expectations(lines).items():
        got = site_total(report, site, kind, pid)
        eq(got[0], count, f"{site} {kind} count after exec")
        if kind != "fd":
            eq(got[1], size, f"{site} {kind} bytes after exec")


def test_exec_go_to_c_under_f():
    exec_go_to_c(follow=True)


def test_exec_go_to_c_under_p():
    exec_go_to_c(follow=False)


def next_pid_is(pid):
    with open("/proc/sys/kernel/ns_last_pid", "w") as f:
        f.write(str(pid - 1))


def test_pid_reuse_while_tracing():
    """A traced child's pid comes back, first for another traced child,
    then for a process that is not traced at all."""
    out = tmpfile("pid-reuse.json")
    lk = spawn([LEAKSCOPE, "-q", "-f", "-o", out, "--", LIFECYCLE, "pid-reuse"])
    lines = read_until(lk, "expect reuse_b_site")
    reused = int([line for line in lines if line.startswith("reused")][0].split()[1])
    # the pid once more, for a program leakscope must not trace
    stranger = None
    for _ in range(200):
        next_pid_is(reused)
        p = subprocess.Popen([workload("native_leaks"), "--exit", "0"],
                             stdout=subprocess.DEVNULL)
        p.wait()
        if p.pid == reused:
            stranger = p.pid
            break
    check(stranger, f"pid {reused} could not be had again")
    time.sleep(0.5)
    code, _, err = stop(lk, signal.SIGTERM)
    report = load_report(out)
    mine = [t for t in report["targets"] if t["pid"] == reused]
    eq(len(mine), 2, f"two traced processes with pid {reused}: {mine}")
    eq(all(t["exited"] for t in mine), True, "both exited")
    want = expectations(lines)
    eq(site_total(report, "reuse_a_site", "fd", reused)[0], want[("reuse_a_site", "fd")][0],
       "the first child's fds")
    eq(site_total(report, "reuse_b_site", "fd", reused)[0], want[("reuse_b_site", "fd")][0],
       "the second child's fds, not added to the first's")
    eq([s["frames"][:3] for s in report["stacks"] if s["pid"] == reused and
        any("leak_" in f for f in s["frames"])], [],
       "nothing of the untraced program that got the pid last")


def test_fork_storm_with_f():
    out = tmpfile("storm.json")
    lk = spawn([LEAKSCOPE, "-q", "-f", "-o", out, "--", LIFECYCLE, "fork-storm", "300"])
    lines, _ = lk.communicate(timeout=300)
    eq(lk.returncode, 0, "exit status")
    want = expectations(lines.splitlines())
    procs = int([line for line in lines.splitlines() if line.startswith("storm processes")][0]
                .split()[2])
    report = load_report(out)
    eq(report["drops"]["traced_full"], 0, "no child left unfollowed")
    eq(len(report["targets"]), procs, "every process of the storm traced")
    eq(site_total(report, "storm_child_site", "fd")[0], want[("storm_child_site", "fd")][0],
       "one fd per child and grandchild")


def test_target_exits_while_report_is_built():
    fx = spawn([go_fixture("goleaks"), "-now"])
    read_until(fx, "leaked")
    out = tmpfile("exit-during-report.json")
    lk = spawn([LEAKSCOPE, "-o", out, "-p", str(fx.pid)],
               env=dict(os.environ, LEAKSCOPE_TEST_REPORT_DELAY_MS="1500"))
    wait_stderr(lk, "Ctrl-C to stop")
    time.sleep(0.8)
    lk.send_signal(signal.SIGINT)
    time.sleep(0.5)   # inside the delay: leakscope is building its report
    fx.kill()
    fx.wait()
    try:
        _, err = lk.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        raise Failure("leakscope hung when its target died under the report")
    eq(lk.returncode, 0, f"exit status; stderr {err[-300:]}")
    report = load_report(out)
    leaked_goroutines_ok(report, fx.pid, "target gone while the report was built")


def test_go_binary_replaced_on_disk_while_traced():
    """A deploy renames a new binary over the one running: frames must
    still be the running program's."""
    path = tmpfile("goleaks-deployed")
    shutil.copy(go_fixture("goleaks"), path)
    out = tmpfile("replaced.json")
    lk = spawn([LEAKSCOPE, "-q", "-o", out, "--", path, "-now"])
    read_until(lk, "leaked")
    shutil.copy(go_fixture("stress"), path + ".new")
    os.rename(path + ".new", path)
    time.sleep(0.5)
    code, _, err = stop(lk)
    report = load_report(out)
    pid = report["targets"][0]["pid"]
    leaked_goroutines_ok(report, pid, "binary replaced")
    frames = {f for s in report["stacks"] for f in s["frames"]}
    eq(sorted(frames & {"main.deep", "main.thrower", "main.spin", "main.round"}), [],
       "no frame named from the binary that replaced it on disk")


def test_two_tracers_on_one_go_binary():
    """While one tracer has uprobes on a Go binary, the kernel writes their
    int3s into every mapping of that file, a second tracer's included: the
    second must still find its probe points (and both count exactly)."""
    fx = spawn([go_fixture("goleaks")])
    pid = int(read_until(fx, "ready")[-1].split()[1])
    outs = [tmpfile("first-tracer.json"), tmpfile("second-tracer.json")]
    tracers = []
    for out in outs:
        lk = spawn([LEAKSCOPE, "-o", out, "-p", str(pid)])
        wait_stderr(lk, "Ctrl-C to stop")
        tracers.append(lk)
    os.kill(pid, signal.SIGUSR1)
    read_until(fx, "leaked")
    time.sleep(0.8)
    for lk, name in zip(reversed(tracers), ("second", "first")):
        code, _, err = stop(lk)
        eq(code, 0, f"{name} tracer's exit status; stderr {err[-300:]}")
        check("Go kinds off" not in err, f"{name} tracer found its probe points: {err[-300:]}")
    for out, name in zip(outs, ("first", "second")):
        report = load_report(out)
        eq(report["targets"][0]["go"]["version"], "go1.19.8", f"{name} tracer sees Go")
        leaked_goroutines_ok(report, pid, f"{name} tracer")
