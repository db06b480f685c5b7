# SPDX-License-Identifier: MIT
"""Helpers for leakscope's end-to-end tests: running the tool and the
fixtures, reading /proc ground truth, and asserting with messages that
say what was expected and what was found."""
import glob
import json
import os
import signal
import subprocess
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
# LEAKSCOPE_BIN: another build of the tool (the ASan+UBSan one, build-san/)
LEAKSCOPE = os.environ.get("LEAKSCOPE_BIN") or os.path.join(ROOT, "leakscope")
WORKLOADS = os.path.join(ROOT, "build", "workloads")
# Scratch files of the tests; a guest of the kernel matrix sees ROOT
# read-only and points this at its writable share.
TMP = os.environ.get("LEAKSCOPE_TEST_TMP") or os.path.join(ROOT, "build", "tests", "tmp")

_children = []  # every process a test started, killed at the end

# How long to wait before calling something hung, as a multiple of what
# the host needs: a guest of tests/kernels runs 3-5x slower (emulated).
# Never a threshold on a result: only when to give up waiting.
PATIENCE = float(os.environ.get("LEAKSCOPE_TEST_PATIENCE", "1"))


class Failure(AssertionError):
    pass


def eq(actual, expected, what):
    if actual != expected:
        raise Failure(f"{what}: expected {expected!r}, got {actual!r}")


def check(cond, what):
    if not cond:
        raise Failure(what)


def one_line_error(err, *words):
    """Bad input: exactly one line on stderr, naming the tool and the
    problem (each of words)."""
    lines = err.splitlines()
    eq(len(lines), 1, f"lines of the error message {err!r}")
    check(lines[0].startswith("leakscope"), f"message names the tool: {lines[0]!r}")
    for w in words:
        check(w in lines[0], f"error mentions {w!r}: {lines[0]!r}")


def workload(name):
    return os.path.join(WORKLOADS, name)


def tmpfile(name):
    os.makedirs(TMP, exist_ok=True)
    path = os.path.join(TMP, name)
    if os.path.exists(path):
        os.unlink(path)
    return path


def spawn(args, **kw):
    """Start a process with pipes; it is killed at the end of the run."""
    kw.setdefault("stdout", subprocess.PIPE)
    kw.setdefault("stderr", subprocess.PIPE)
    kw.setdefault("stdin", subprocess.DEVNULL)
    p = subprocess.Popen(args, text=True, **kw)
    _children.append(p)
    return p


def run(args, timeout=60, **kw):
    """Run to completion: (exit code, stdout, stderr)."""
    p = spawn(args, **kw)
    try:
        out, err = p.communicate(timeout=timeout * PATIENCE)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
        raise Failure(f"{args[0]} did not finish in {timeout * PATIENCE}s; stderr: {err[-2000:]}")
    return p.returncode, out, err


def read_until(p, prefix, timeout=20):
    """Lines from p.stdout until one starts with prefix; returns them all."""
    lines = []
    deadline = time.time() + timeout * PATIENCE
    while time.time() < deadline:
        line = p.stdout.readline()
        if not line:
            if p.poll() is not None:
                break
            continue
        lines.append(line.rstrip("\n"))
        if line.startswith(prefix):
            return lines
    raise Failure(f"never saw '{prefix}' from pid {p.pid}; got {lines[-10:]}")


def wait_stderr(p, text, timeout=20):
    """Read p.stderr lines until one contains text (attach finished)."""
    deadline = time.time() + timeout * PATIENCE
    seen = []
    while time.time() < deadline:
        line = p.stderr.readline()
        if not line:
            if p.poll() is not None:
                break
            continue
        seen.append(line.rstrip())
        if text in line:
            return seen
    raise Failure(f"leakscope never printed '{text}'; stderr so far: {seen}")


def stop(p, sig=signal.SIGINT, timeout=30):
    """Send sig and wait: (exit code, remaining stdout, remaining stderr)."""
    p.send_signal(sig)
    try:
        out, err = p.communicate(timeout=timeout * PATIENCE)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
        raise Failure(f"pid {p.pid} did not stop on signal {sig}")
    return p.returncode, out, err


def wait_gone(pid, timeout=20):
    """Wait until pid has exited (its /proc/PID/exe link is gone)."""
    deadline = time.time() + timeout * PATIENCE
    while time.time() < deadline:
        try:
            os.readlink(f"/proc/{pid}/exe")
        except OSError:
            return
        time.sleep(0.05)
    raise Failure(f"pid {pid} still running after {timeout}s")


def attach_during_leak(fixture, pid, out, settle=1.0, extra=()):
    """Attach leakscope -p to a fixture waiting for SIGUSR1, let it leak
    (it prints "leaked"), wait past the default --min-age, stop with
    Ctrl-C; returns leakscope's stderr."""
    lk = spawn([LEAKSCOPE, "-p", str(pid), "-o", out, *extra])
    wait_stderr(lk, "Ctrl-C to stop")
    os.kill(pid, signal.SIGUSR1)
    read_until(fixture, "leaked")
    time.sleep(settle)
    code, _, err = stop(lk)
    eq(code, 0, f"leakscope exit status; stderr {err}")
    return err


def load_report(path):
    with open(path) as f:
        return json.load(f)


def expectations(lines):
    """The fixture's own account: {(site, kind): (count, bytes)}."""
    out = {}
    for line in lines:
        parts = line.split()
        if parts and parts[0] == "expect":
            out[(parts[1], parts[2])] = (int(parts[3]), int(parts[4]))
    return out


def site_total(report, site, kind, pid=None):
    """count and bytes of every stack of kind whose frames hold site."""
    count = size = 0
    for s in report["stacks"]:
        if s["kind"] != kind or (pid is not None and s["pid"] != pid):
            continue
        if site in s["frames"]:
            count += s["count"]
            size += s["bytes"]
    return count, size


def site_stacks(report, site, kind, pid=None):
    return [s for s in report["stacks"] if s["kind"] == kind and site in s["frames"]
            and (pid is None or s["pid"] == pid)]


def proc_maps(pid):
    """[(start, end, path)] of /proc/PID/maps."""
    out = []
    with open(f"/proc/{pid}/maps") as f:
        for line in f:
            parts = line.split(None, 5)
            start, end = (int(x, 16) for x in parts[0].split("-"))
            out.append((start, end, parts[5].strip() if len(parts) > 5 else ""))
    return out


def mapped_bytes(maps, heap=False):
    return sum(e - s for s, e, path in maps if (path == "[heap]") == heap)


def proc_fds(pid):
    """{fd: link target} of /proc/PID/fd."""
    out = {}
    d = f"/proc/{pid}/fd"
    for name in os.listdir(d):
        try:
            out[int(name)] = os.readlink(os.path.join(d, name))
        except OSError:
            pass
    return out


def fd_kind_of_link(link):
    if link.startswith("socket:"):
        return "socket"
    if link.startswith("pipe:"):
        return "pipe"
    if link.startswith("anon_inode:"):
        name = link[len("anon_inode:"):].strip("[]")
        return {"eventpoll": "epoll", "eventfd": "eventfd", "timerfd": "timerfd",
                "signalfd": "signalfd", "inotify": "inotify"}.get(name, name)
    if link.startswith("/memfd:"):
        return "memfd"
    return "file"


_our_programs = set()


def our_programs():
    """Every BPF program of ours, from the built objects (build/*.bpf.o):
    the global functions outside .text, cut to the 15 characters the
    kernel keeps of a name. Go uprobes count as much as tracepoints."""
    if _our_programs:
        return _our_programs
    objs = sorted(glob.glob(os.path.join(ROOT, "build", "*.bpf.o")))
    check(objs, "build/*.bpf.o exist (make builds them)")
    for obj in objs:
        r = subprocess.run(["llvm-objdump", "-t", obj], capture_output=True, text=True)
        check(r.returncode == 0, f"llvm-objdump -t {obj}: {r.stderr.strip()}")
        found = set()
        for line in r.stdout.splitlines():
            # ADDRESS g F SECTION SIZE NAME
            parts = line.split()
            if len(parts) == 6 and parts[1:3] == ["g", "F"] and parts[3] != ".text":
                found.add(parts[5][:15])
        check(found, f"programs in {obj}")
        _our_programs.update(found)
    return _our_programs


def attached_programs():
    """Names of leakscope's BPF programs still loaded in the kernel."""
    r = subprocess.run(["bpftool", "-j", "prog", "show"], capture_output=True, text=True)
    check(r.returncode == 0, f"bpftool prog show: {r.stderr.strip()}")
    return {p.get("name") for p in json.loads(r.stdout or "[]")} & our_programs()


def kill_all():
    for p in _children:
        if p.poll() is None:
            try:
                p.kill()
            except OSError:
                pass
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
    _children.clear()
