# SPDX-License-Identifier: MIT
"""Measuring instruments for scripts/bench.sh: processes that are always
cleaned up, CPU time and BPF run statistics read from /proc, leakscope
and bpftrace sessions, and medians with their spread.

Every process started here is registered and stopped at exit (by its pid:
leakscope with SIGINT first, so it detaches its probes itself)."""
import ctypes
import json
import math
import os
import re
import signal
import subprocess
import threading
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "build", "bench")
LEAKSCOPE = os.environ.get("LEAKSCOPE", os.path.join(ROOT, "leakscope"))

_procs = []  # every process started, stopped by cleanup()
_verbose = False


class BenchError(Exception):
    """A run that could not be measured: the message says why."""


def set_verbose(v):
    global _verbose
    _verbose = v


def log(msg):
    if _verbose:
        print(f"# {msg}", flush=True)


def spawn(args, **kw):
    kw.setdefault("stdin", subprocess.DEVNULL)
    kw.setdefault("stdout", subprocess.PIPE)
    kw.setdefault("stderr", subprocess.PIPE)
    log("run: " + " ".join(args))
    p = subprocess.Popen(args, text=True, **kw)
    _procs.append(p)
    return p


def stop(p, sig=signal.SIGTERM, timeout=30):
    """Stop one process of ours: sig, then SIGKILL after timeout."""
    if p.poll() is not None:
        return p.returncode
    try:
        p.send_signal(sig)
        return p.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        return p.wait()


def cleanup():
    for p in reversed(_procs):
        if p.poll() is None:
            is_tracer = os.path.basename(p.args[0]) in ("leakscope", "bpftrace")
            stop(p, signal.SIGINT if is_tracer else signal.SIGTERM, timeout=20)
    _procs.clear()


# --- numbers -----------------------------------------------------------

def median(xs):
    xs = sorted(x for x in xs if x is not None)
    if not xs:
        return None
    n = len(xs)
    return xs[n // 2] if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2


def spread_pct(xs):
    """Half the range of xs, in percent of the median: how noisy."""
    xs = [x for x in xs if x is not None]
    m = median(xs)
    if not xs or not m:
        return None
    return (max(xs) - min(xs)) / 2 / abs(m) * 100


def sane(x, positive=True):
    return isinstance(x, (int, float)) and math.isfinite(x) and (x > 0 or not positive)


# --- CPU time and BPF statistics ----------------------------------------

def cpu_ns(pid):
    """CPU time (user + system) of every thread of pid so far, in ns."""
    total = 0
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                total += int(f.read().split()[0])
    except (FileNotFoundError, ProcessLookupError):
        pass
    return total


def rss_kib(pid):
    """VmRSS and RssAnon of pid, in KiB."""
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "RssAnon", "RssFile", "RssShmem"):
                out[k] = int(v.split()[0])
    return out


def prog_stats(pid):
    """{prog_id: (run_time_ns, run_cnt)} of the BPF programs pid holds."""
    out = {}
    try:
        fds = os.listdir(f"/proc/{pid}/fdinfo")
    except FileNotFoundError:
        return out
    for fd in fds:
        try:
            with open(f"/proc/{pid}/fdinfo/{fd}") as f:
                text = f.read()
        except OSError:
            continue
        m = re.search(r"^prog_id:\s+(\d+)$", text, re.M)
        t = re.search(r"^run_time_ns:\s+(\d+)$", text, re.M)
        c = re.search(r"^run_cnt:\s+(\d+)$", text, re.M)
        if m and t and c:
            out[int(m.group(1))] = (int(t.group(1)), int(c.group(1)))
    return out


def prog_names():
    try:
        progs = json.loads(subprocess.run(["bpftool", "prog", "show", "-j"],
                                          capture_output=True, text=True).stdout)
    except (OSError, ValueError):
        return {}
    return {p["id"]: p.get("name", "?") for p in progs}


def stats_delta(before, after, names):
    """{name: (run_time_ns, run_cnt)} of what ran between two snapshots,
    summed per program name (names: from prog_names() taken while the
    programs were still loaded)."""
    out = {}
    for pid, (t1, c1) in after.items():
        t0, c0 = before.get(pid, (0, 0))
        name = names.get(pid, str(pid))
        t, c = out.get(name, (0, 0))
        out[name] = (t + t1 - t0, c + c1 - c0)
    return out


class BpfStats:
    """BPF run statistics on for as long as this is open. An fd from
    BPF_ENABLE_STATS, not the kernel.bpf_stats_enabled sysctl: the kernel
    turns them off when the fd closes, even if this process is killed."""

    BPF_ENABLE_STATS = 32
    SYS_BPF = 321  # x86_64

    def __init__(self):
        self.fd = -1

    def __enter__(self):
        libc = ctypes.CDLL(None, use_errno=True)
        attr = (ctypes.c_uint32 * 4)(0, 0, 0, 0)  # BPF_STATS_RUN_TIME
        self.fd = libc.syscall(self.SYS_BPF, self.BPF_ENABLE_STATS, ctypes.byref(attr), 16)
        if self.fd < 0:
            raise BenchError(f"cannot enable BPF run statistics: {os.strerror(ctypes.get_errno())}")
        return self

    def __exit__(self, *exc):
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


# --- reading lines from processes --------------------------------------

class LineReader:
    """Collects a pipe's lines in a thread, so a process never blocks on a
    full pipe and we can wait for a line with a timeout."""

    def __init__(self, stream):
        self.lines = []
        self.cond = threading.Condition()
        self.done = False
        self.t = threading.Thread(target=self._run, args=(stream,), daemon=True)
        self.t.start()

    def _run(self, stream):
        for line in stream:
            with self.cond:
                self.lines.append(line.rstrip("\n"))
                self.cond.notify_all()
        with self.cond:
            self.done = True
            self.cond.notify_all()

    def wait_for(self, pattern, timeout, start=0):
        """The first match of pattern in a line (index >= start), or None
        at timeout or end of stream."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        i = start
        with self.cond:
            while True:
                while i < len(self.lines):
                    m = rx.search(self.lines[i])
                    if m:
                        return m
                    i += 1
                left = deadline - time.monotonic()
                if self.done or left <= 0:
                    return None
                self.cond.wait(left)

    def text(self, last=20):
        with self.cond:
            return "\n".join(self.lines[-last:])

    def join(self, timeout=30):
        self.t.join(timeout)


# --- tracers -------------------------------------------------------------

class Leakscope:
    """One leakscope session attached with -p to a running process."""

    def __init__(self, name, args=(), verbose_probes=False, env=None):
        self.name = name
        self.args = list(args)
        self.env = env
        self.verbose_probes = verbose_probes
        self.p = None
        self.json = os.path.join(OUT, f"{name}.json")

    def attach(self, pid, timeout=60):
        if os.path.exists(self.json):
            os.unlink(self.json)
        cmd = [LEAKSCOPE, "-p", str(pid), "-o", self.json, *self.args]
        if self.verbose_probes:
            cmd.append("-v")
        self.p = spawn(cmd, stdout=subprocess.DEVNULL,
                       env=dict(os.environ, **self.env) if self.env else None)
        self.err = LineReader(self.p.stderr)
        if not self.err.wait_for(r"leakscope: tracing pid", timeout):
            stop(self.p, signal.SIGINT)
            raise BenchError(f"leakscope {' '.join(self.args)} did not attach to pid {pid}: "
                             f"{self.err.text()}")
        m = self.err.wait_for(r"Go kinds off: .*", 0)
        if m:
            stop(self.p, signal.SIGINT)
            raise BenchError(f"leakscope attached no Go probes to pid {pid}: {m.group(0)}")
        return self

    def cpu_ns(self):
        return cpu_ns(self.p.pid)

    def progs(self):
        return prog_stats(self.p.pid)

    def rss(self):
        return rss_kib(self.p.pid)

    def finish(self, timeout=120, interrupt=False):
        """Wait for the report (the target exited, or SIGINT), parse it."""
        if interrupt:
            self.p.send_signal(signal.SIGINT)
        try:
            rc = self.p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            rc = stop(self.p, signal.SIGINT)
        self.err.join()
        if rc != 0:
            raise BenchError(f"leakscope exited with {rc}: {self.err.text()}")
        try:
            with open(self.json) as f:
                return json.load(f)
        except (OSError, ValueError) as e:
            raise BenchError(f"leakscope wrote no readable report ({e}): {self.err.text()}")

    def probe_lines(self):
        return [l for l in self.err.lines if "probe in" in l or "probe on" in l]


def report_summary(r):
    """What every traced run keeps from a leakscope report."""
    go = {}
    for t in r.get("targets", []):
        if t.get("go"):
            go = t["go"]
    return {
        "lost_events": r.get("lost_events", 0),
        "drops": r.get("drops", {}),
        "records": r.get("stats", {}).get("records", 0),
        "unwind_us_per_stack": r.get("stats", {}).get("unwind_us_per_stack"),
        "go": go,
    }
