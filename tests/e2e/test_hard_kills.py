# SPDX-License-Identifier: MIT
"""Hard kills and stop signals at random moments: during attach, while
tracing, and during detach. Whatever the moment, nothing leakscope made
may outlive it and the target must run on unharmed:

- BPF programs, maps and links: the ids this leakscope held, read from
  its own /proc/PID/fdinfo at the moment of the kill (it is stopped with
  SIGSTOP first, so the list is exact), must all be gone from the kernel
  (`bpftool prog/map/link show`) once the kernel's grace periods pass.
  Only these ids are checked, so other tracers on the machine (other
  test runs) cannot make the check pass or fail;
- breakpoints: the target's executable code in memory (/proc/PID/mem)
  must equal the file's bytes, so no uprobe's int3 is left in it;
- uprobe events: tracefs `uprobe_events`, read in a private mount
  namespace, names no file of the target;
- mounts: this process's mount table is unchanged, and the private mount
  namespace leakscope may make for tracefs (when tracefs is not mounted;
  half of the runs hide it) is held by no process afterwards;
- the target: the Go stress program prints a line per round whose
  checksums are fixed; its output must be an exact prefix of an untraced
  run's and it must still be running (-p, agent). A launched command must
  not be left waiting or running unseen: it gets SIGTERM when leakscope
  dies (PR_SET_PDEATHSIG), as when leakscope stops first.
SIGTERM and SIGINT at random moments must give a report and exit status
0 (launch mode: the command's, 143 after the SIGTERM leakscope sends)."""
import json
import os
import random
import signal
import subprocess
import threading
import time

from lib import LEAKSCOPE, ROOT, Failure, check, eq, spawn, tmpfile

KILLS = 20
STRESS = os.path.join(ROOT, "build", "go-fixtures", "stress")
# small rounds with a pause: runs until killed, printing ~5 lines a second
STRESS_ARGS = [STRESS, "100000", "20", "100"]


def bpf_ids_held(pid):
    """{(kind, id)} of the BPF objects pid holds fds to, from fdinfo."""
    ids = set()
    d = f"/proc/{pid}/fdinfo"
    try:
        names = os.listdir(d)
    except OSError:
        return ids
    for name in names:
        try:
            with open(os.path.join(d, name)) as f:
                for line in f:
                    key, _, val = line.partition(":")
                    if key in ("prog_id", "map_id", "link_id"):
                        ids.add((key[:-3], int(val)))
        except OSError:
            pass
    return ids


def bpf_ids_alive():
    alive = set()
    for kind in ("prog", "map", "link"):
        r = subprocess.run(["bpftool", "-j", kind, "show"], capture_output=True, text=True)
        if r.returncode != 0:
            raise Failure(f"bpftool {kind} show: {r.stderr.strip()}")
        alive |= {(kind, o["id"]) for o in json.loads(r.stdout or "[]")}
    return alive


def wait_bpf_released(ids, timeout=40):
    """The kernel frees detached objects after RCU grace periods (tens of
    ms each, one per tracepoint, serially): wait them out."""
    deadline = time.time() + timeout
    left = ids & bpf_ids_alive()
    while left and time.time() < deadline:
        time.sleep(0.5)
        left = ids & bpf_ids_alive()
    return left


def mount_ns(pid):
    try:
        return os.readlink(f"/proc/{pid}/ns/mnt")
    except OSError:
        return None


def parent_of(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return int(f.read().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return 0


def processes_in_ns(ns):
    """Processes in mount namespace ns (held open by us, so its number
    cannot have been reused by a namespace made since)."""
    return [int(n) for n in os.listdir("/proc") if n.isdigit() and mount_ns(n) == ns]


def uprobe_events():
    """uprobe_events of tracefs, mounted in a mount namespace of its own."""
    mnt = os.path.dirname(tmpfile("tracefs-probe"))
    point = os.path.join(mnt, "tracefs-view")
    os.makedirs(point, exist_ok=True)
    r = subprocess.run(["unshare", "-m", "sh", "-c",
                        f"mount -t tracefs nodev {point} && cat {point}/uprobe_events"],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise Failure(f"cannot read uprobe_events: {r.stderr.strip()}")
    return r.stdout.splitlines()


def code_differs_from_file(pid):
    """Executable mappings of files whose bytes in memory differ from the
    file: an int3 left by a uprobe. [] when none."""
    bad = []
    with open(f"/proc/{pid}/maps") as f:
        maps = [line.split() for line in f]
    with open(f"/proc/{pid}/mem", "rb", buffering=0) as mem:
        for m in maps:
            if len(m) < 6 or "x" not in m[1] or not m[5].startswith("/"):
                continue
            start, end = (int(x, 16) for x in m[0].split("-"))
            with open(m[5], "rb") as fb:
                fb.seek(int(m[2], 16))
                want = fb.read(end - start)
            mem.seek(start)
            got = mem.read(len(want))
            if got != want:
                at = next(i for i in range(len(want)) if got[i] != want[i])
                bad.append(f"{m[5]} at {start + at:#x}: {got[at]:#04x} in memory, "
                           f"{want[at]:#04x} in the file")
    return bad


def reference_lines(n):
    r = subprocess.run([STRESS, str(n), STRESS_ARGS[2]], capture_output=True, text=True,
                       timeout=300)
    return r.stdout.splitlines()


class Target:
    """The Go stress program, its stdout read line by line."""

    def __init__(self):
        self.p = spawn(STRESS_ARGS)
        os.set_blocking(self.p.stdout.fileno(), False)
        self.out = ""

    def lines(self):
        while True:
            try:
                chunk = self.p.stdout.read()
            except (OSError, TypeError):
                chunk = None
            if not chunk:
                break
            self.out += chunk
        return self.out.splitlines()

    def check_unharmed(self, what):
        check(self.p.poll() is None, f"{what}: target still running (status {self.p.returncode})")
        n = len(self.lines())
        deadline = time.time() + 30
        while len(self.lines()) < n + 2 and time.time() < deadline:
            time.sleep(0.1)   # it goes on: more rounds after the last kill
        got = self.lines()
        check(len(got) >= n + 2, f"{what}: the target stopped making progress at {n} rounds")
        want = reference_lines(len(got) + 1)
        eq(got, want[:len(got)], f"{what}: the target's output vs an untraced run")
        eq(code_differs_from_file(self.p.pid), [], f"{what}: breakpoints left in the target")


class Kills:
    """Start, SIGSTOP at a random moment, note what the process holds,
    SIGKILL; do not wait for the exit (the kernel detaches at its pace),
    check everything once at the end."""

    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.seed = seed
        self.held = set()
        self.namespaces = {}    # leakscope's private mount namespaces: fd
        self.procs = []
        self.children = set()   # what leakscope launched
        self.our_ns = mount_ns(os.getpid())
        with open("/proc/self/mountinfo") as f:
            self.mounts = f.read()
        self.events = uprobe_events()

    def argv(self, args):
        # Half the runs see no tracefs: leakscope mounts its own in a
        # private mount namespace, which must die with it.
        if self.rng.random() < 0.5:
            return args
        return ["unshare", "-m", "sh", "-c",
                "umount -l /sys/kernel/tracing 2>/dev/null; "
                "umount -l /sys/kernel/debug 2>/dev/null; exec \"$@\"", "sh", *args]

    def kill_once(self, args, detach_first=False):
        p = spawn(self.argv(args))
        self.procs.append(p)
        time.sleep(self.rng.uniform(0, 1.5))
        if detach_first:   # stop it, then kill during the detach
            p.send_signal(signal.SIGINT)
            time.sleep(self.rng.uniform(0, 2.0))
        pid = p.pid   # unshare and sh exec, so this becomes leakscope
        try:
            os.kill(pid, signal.SIGSTOP)
            self.held |= bpf_ids_held(pid)
            self.children |= children_of(pid)
            ns = mount_ns(pid)
            if ns and ns != self.our_ns and ns not in self.namespaces:
                # held open until checked: a namespace's number is
                # reused once it dies
                self.namespaces[ns] = os.open(f"/proc/{pid}/ns/mnt", os.O_RDONLY)
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass   # it finished first: fine, checked all the same

    def check_all_gone(self, what):
        for p in self.procs:
            try:
                p.wait(timeout=60)
            except subprocess.TimeoutExpired:
                raise Failure(f"{what}: leakscope pid {p.pid} still exiting after 60 s")
        check(self.held, f"{what}: no BPF object was ever held (seed {self.seed})")
        left = wait_bpf_released(self.held)
        eq(sorted(left), [], f"{what}: BPF objects left by killed leakscopes (seed {self.seed})")
        for ns, fd in self.namespaces.items():
            holders = processes_in_ns(ns)
            os.close(fd)
            eq(holders, [], f"{what}: processes still in leakscope's mount namespace {ns}")
        with open("/proc/self/mountinfo") as f:
            eq(f.read(), self.mounts, f"{what}: our mount table")
        new = [e for e in uprobe_events() if e not in self.events]
        eq(new, [], f"{what}: uprobe events left")
        # what it started: the launched command gets SIGTERM on its death
        # (or never ran); nothing else may be left behind
        deadline = time.time() + 20
        while time.time() < deadline and any(still_alive(c) for c in self.children):
            time.sleep(0.1)
        eq([c for c in self.children if still_alive(c)], [],
           f"{what}: processes it started, left running or stopped after the kill")


def children_of(pid):
    return {int(n) for n in os.listdir("/proc") if n.isdigit() and parent_of(n) == pid}


def still_alive(pid):
    """Running or stopped (not gone, not a zombie)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def kill_seed():
    return int(os.environ.get("LEAKSCOPE_TEST_SEED", time.time()))


def in_parallel(jobs):
    """Run each job in a thread; the failures of all, joined."""
    errors = []

    def run(name, fn):
        try:
            fn()
        except Failure as e:
            errors.append(f"{name}: {e}")
        except Exception as e:  # noqa: BLE001 - reported as a failure
            errors.append(f"{name}: {type(e).__name__}: {e}")

    threads = [threading.Thread(target=run, args=job) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise Failure("\n    ".join(errors))


# Every other kill also probes the malloc family (uretprobes on libc's
# malloc, which the cgo stress program calls) and walks goroutines
# (snapshot mode: no goroutine probe, reads of the target's memory).
MORE_KINDS = [[], ["--malloc=all", "--go-goroutines=snapshot"]]


def kills_p(seed):
    target = Target()
    time.sleep(0.3)
    k = Kills(seed)
    for i in range(KILLS):
        k.kill_once([LEAKSCOPE, "-q", "--go-alloc=all", *MORE_KINDS[i % 2], "-p",
                     str(target.p.pid)], detach_first=i % 3 == 2)
    k.check_all_gone("leakscope -p")
    target.check_unharmed("leakscope -p")


def kills_launch(seed):
    k = Kills(seed)
    for i in range(KILLS):
        k.kill_once([LEAKSCOPE, "-q", *MORE_KINDS[i % 2], "--", *STRESS_ARGS],
                    detach_first=i % 3 == 2)
    k.check_all_gone("launch mode")
    check(k.children, "leakscope launched its command at least once")


def kills_agent(seed):
    target = Target()
    time.sleep(0.3)
    k = Kills(seed)
    for i in range(KILLS):
        k.kill_once([LEAKSCOPE, "agent", "--comm", "stress", "--listen", "off",
                     "--log-level", "error", *(["--malloc=sampled"] if i % 2 else [])],
                    detach_first=i % 3 == 2)
    k.check_all_gone("agent")
    target.check_unharmed("agent")


def test_kill9_p_launch_agent_any_moment_leave_nothing():
    """20 kills of each, the three kinds at once (seed in each message;
    LEAKSCOPE_TEST_SEED=N replays one)."""
    seed = kill_seed()
    in_parallel([(f"-p (seed {seed})", lambda: kills_p(seed)),
                 (f"launch (seed {seed})", lambda: kills_launch(seed + 1)),
                 (f"agent (seed {seed})", lambda: kills_agent(seed + 2))])


def wait_handlers(pid, timeout=10):
    """Until pid catches SIGINT (SigCgt in /proc/PID/status): the first
    thing leakscope does. Before that the process is still being loaded
    (exec, the dynamic linker), where no program can catch a signal."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with open(f"/proc/{pid}/status") as f:
                cgt = next(int(line.split()[1], 16) for line in f if line.startswith("SigCgt:"))
            if cgt & (1 << (signal.SIGINT - 1)):
                return
        except (OSError, StopIteration):
            return
        time.sleep(0.001)
    raise Failure(f"pid {pid} never caught SIGINT")


def stop_with(sig, args, delay):
    """Signal at delay after leakscope started, then the exit status and
    stderr."""
    p = spawn(args)
    wait_handlers(p.pid)
    time.sleep(delay)
    p.send_signal(sig)
    try:
        _, err = p.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        raise Failure(f"{args[:3]} did not stop on signal {sig} within 60 s")
    return p.returncode, err


STOPS = 2   # per signal and kind of run


def stops_p(rng):
    target = Target()
    time.sleep(0.3)
    for sig in (signal.SIGINT, signal.SIGTERM):
        for i in range(STOPS):
            delay = rng.uniform(0, 1.5)
            out = tmpfile(f"stop-p-{sig.name}-{i}.json")
            code, err = stop_with(sig, [LEAKSCOPE, "-q", *MORE_KINDS[i % 2], "-p",
                                        str(target.p.pid), "-o", out], delay)
            eq(code, 0, f"stopped by {sig.name} after {delay:.2f} s; stderr {err[-300:]!r}")
            with open(out) as f:
                eq(json.load(f)["targets"][0]["pid"], target.p.pid, "the report's target")
    target.check_unharmed("stop signals")


def stops_launch(rng):
    for sig in (signal.SIGINT, signal.SIGTERM):
        for i in range(STOPS):
            delay = rng.uniform(0, 1.5)
            out = tmpfile(f"stop-launch-{sig.name}-{i}.json")
            code, err = stop_with(sig, [LEAKSCOPE, "-q", *MORE_KINDS[i % 2], "-o", out, "--",
                                        *STRESS_ARGS], delay)
            eq(code, 128 + signal.SIGTERM, f"stopped by {sig.name} after {delay:.2f} s: the "
               f"command's status (leakscope sent it SIGTERM); stderr {err[-300:]!r}")
            with open(out) as f:
                eq(len(json.load(f)["targets"]), 1, "the report's target")


def stops_agent(rng):
    for sig in (signal.SIGINT, signal.SIGTERM):
        for i in range(STOPS):
            delay = rng.uniform(0, 1.5)
            code, err = stop_with(sig, [LEAKSCOPE, "agent", "--comm", "stress",
                                        "--listen", "off"], delay)
            eq(code, 0, f"stopped by {sig.name} after {delay:.2f} s; stderr {err[-300:]!r}")
            check('msg="stopped"' in err, f"the agent says it stopped: {err[-300:]!r}")


def test_term_and_int_any_moment_give_report_and_clean_exit():
    seed = kill_seed()
    in_parallel([(f"-p (seed {seed})", lambda: stops_p(random.Random(seed))),
                 (f"launch (seed {seed})", lambda: stops_launch(random.Random(seed + 1))),
                 (f"agent (seed {seed})", lambda: stops_agent(random.Random(seed + 2)))])
