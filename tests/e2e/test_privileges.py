# SPDX-License-Identifier: MIT
"""Privileges: the capability set leakscope needs (CAP_BPF, CAP_PERFMON,
CAP_SYS_PTRACE; CAP_SYS_ADMIN only for uprobes and for mounting tracefs),
each missing one named in one line; reports created readable by their
owner only; no argument or environment of a traced program in any output.
Capabilities are taken away with setpriv (util-linux) by shrinking the
bounding set, so even root runs without them."""
import gzip
import os
import stat
import subprocess
import time

from lib import (LEAKSCOPE, ROOT, check, eq, load_report, proc_fds, read_until, run, spawn,
                 tmpfile, workload)
from test_agent import Agent, http_get

NEEDED = ("bpf", "perfmon", "sys_ptrace")
GOLEAKS = os.path.join(ROOT, "build", "go-fixtures", "goleaks")


def with_caps(caps, args, tracefs=True):
    """args run with only caps (setpriv names: "bpf", ...), in a mount
    namespace of their own where tracefs is mounted, or not."""
    mount = ("mount -t tracefs nodev /sys/kernel/tracing && " if tracefs else
             "umount -l /sys/kernel/tracing 2>/dev/null; umount -l /sys/kernel/debug 2>/dev/null; ")
    bounding = ",".join(["-all"] + [f"+{c}" for c in caps])
    return ["unshare", "-m", "sh", "-c",
            mount + f'exec setpriv --bounding-set={bounding} --inh-caps=-all "$@"', "sh", *args]


def one_line(err, *words):
    lines = [line for line in err.splitlines() if line.strip()]
    eq(len(lines), 1, f"exactly one line: {err!r}")
    check(lines[0].startswith("leakscope: "), f"it names the tool: {lines[0]!r}")
    for w in words:
        check(w in lines[0], f"it says {w!r}: {lines[0]!r}")


def test_each_missing_capability_is_named():
    sleeper = spawn(["sleep", "60"])
    for cap in NEEDED:
        code, out, err = run(with_caps([c for c in NEEDED if c != cap],
                                       [LEAKSCOPE, "-p", str(sleeper.pid), "-d", "1"]))
        eq(code, 1, f"exit status without CAP_{cap.upper()}")
        one_line(err, f"CAP_{cap.upper()}")
        eq(out, "", "no report")
    sleeper.kill()


def test_tracefs_unmounted_without_sys_admin_is_named():
    sleeper = spawn(["sleep", "60"])
    code, _, err = run(with_caps(NEEDED, [LEAKSCOPE, "-p", str(sleeper.pid), "-d", "1"],
                                 tracefs=False))
    eq(code, 1, "exit status")
    one_line(err, "CAP_SYS_ADMIN", "mount -t tracefs")
    sleeper.kill()


def test_minimal_capabilities_trace_native_exactly_and_name_sys_admin_for_go():
    fx = spawn([workload("native_leaks"), "--hold"])
    read_until(fx, "leaked")
    out = tmpfile("mincaps.json")
    code, _, err = run(with_caps(NEEDED, [LEAKSCOPE, "-q", "-p", str(fx.pid), "-d", "2",
                                          "-o", out]))
    eq(code, 0, f"exit status with CAP_BPF, CAP_PERFMON, CAP_SYS_PTRACE only: {err!r}")
    eq(load_report(out)["totals"]["fd"]["count"], len(proc_fds(fx.pid)), "fds vs /proc")
    fx.terminate()
    go = spawn([GOLEAKS, "-now"])
    read_until(go, "leaked")
    out = tmpfile("mincaps-go.json")
    code, _, err = run(with_caps(NEEDED, [LEAKSCOPE, "-q", "-p", str(go.pid), "-d", "2",
                                          "-o", out]))
    eq(code, 0, "exit status: the native kinds still traced")
    one_line(err, "Go kinds off", "CAP_SYS_ADMIN")
    eq(load_report(out)["totals"]["fd"]["count"], len(proc_fds(go.pid)), "Go program's fds")
    go.terminate()


def test_reports_and_agent_profiles_are_created_owner_only():
    base = tmpfile("private")
    outs = [f"{base}.{ext}" for ext in ("json", "txt", "folded", "pb.gz", "svg")]
    args = [LEAKSCOPE, "-q"]
    for o in outs:
        args += ["-o", o]
    old = os.umask(0o022)
    try:
        code, _, err = run(args + ["--", workload("native_leaks"), "--exit", "0"])
    finally:
        os.umask(old)
    eq(code, 0, f"exit status; {err!r}")
    for o in outs:
        eq(oct(stat.S_IMODE(os.stat(o).st_mode)), "0o600", f"mode of {os.path.basename(o)}")
    outdir = os.path.join(os.path.dirname(base), "private-agent")
    subprocess.run(["rm", "-rf", outdir])
    fx = spawn([workload("native_leaks"), "--hold"])
    read_until(fx, "leaked")
    agent = Agent("--pid", str(fx.pid), "--output-dir", outdir, "--push-interval", "500ms",
                  name="private")
    agent.wait_log("tracing process")
    deadline = time.time() + 20
    while not os.listdir(outdir) and time.time() < deadline:
        time.sleep(0.2)
    agent.stop()
    files = os.listdir(outdir)
    check(files, "the agent wrote profiles")
    eq(sorted({oct(stat.S_IMODE(os.stat(os.path.join(outdir, f)).st_mode)) for f in files}),
       ["0o600"], "modes of the agent's profile files")
    fx.terminate()


def test_no_argument_or_environment_in_any_output():
    secret_arg, secret_env = "argsecret-7f3a9c", "envsecret-51d2e8"
    base = tmpfile("secrets")
    outs = [f"{base}.{ext}" for ext in ("json", "txt", "folded", "pb.gz", "svg")]
    args = [LEAKSCOPE]
    for o in outs:
        args += ["-o", o]
    lk = spawn(args + ["--", workload("native_leaks"), "--hold", secret_arg],
               env=dict(os.environ, LEAK_TOKEN=secret_env))
    lines = read_until(lk, "leaked")
    agent = Agent("--comm", "native_leaks", name="secrets")
    agent.wait_value("leakscope_agent_tracked_processes", lambda v: v >= 1)
    metrics = http_get(f"http://127.0.0.1:{agent.port}/metrics").decode()
    agent.stop()
    lk.terminate()
    lk.communicate(timeout=60)
    blobs = {"metrics": metrics.encode(), "stdout": "\n".join(lines).encode()}
    for o in outs:
        with open(o, "rb") as f:
            data = f.read()
        blobs[os.path.basename(o)] = gzip.decompress(data) if o.endswith(".gz") else data
    for name, data in blobs.items():
        for secret in (secret_arg, secret_env):
            check(secret.encode() not in data, f"{secret} appears in {name}")
    check(load_report(outs[0])["targets"], "the report has its target")
