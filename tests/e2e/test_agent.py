# SPDX-License-Identifier: MIT
"""Fleet mode (`leakscope agent`): a real Prometheus server scraping it,
profiles pushed to a Pyroscope-style /ingest receiver that goes away and
comes back, system-wide picking with filters, and fleet sampling.

Ground truth: /proc/PID/fd and /proc/PID/maps for native kinds; for
goroutines, the Go runtime's own SIGQUIT dump with GOTRACEBACK=system,
which lists every goroutine, the runtime's included (the agent's gauge
counts them all; "goroutine 0" in the dump is the g0 of the thread
that took the signal, not a goroutine)."""
import collections
import gzip
import http.server
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
import urllib.parse
import urllib.request

import lib
from lib import (LEAKSCOPE, ROOT, check, eq, mapped_bytes, proc_fds,
                 proc_maps, read_until, spawn, tmpfile, workload, TMP)

GO = "/usr/lib/go-1.19/bin/go"
GOLEAKS = os.path.join(ROOT, "build", "go-fixtures", "goleaks")
KERNEL_AREAS = {"[vvar]", "[vdso]", "[vsyscall]", "[vvar_vclock]"}
LEAK_SITES = {"main.leakRecv": 37, "main.leakSend": 13, "main.leakSelect": 7,
              "main.leakSleep": 5, "main.leakLock": 4}


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def http_get(url, timeout=10):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.read()


def parse_metrics(text):
    """[(name, {label: value}, float)] of a text exposition."""
    out = []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = re.match(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$', line)
        check(m, f"metrics line parses: {line!r}")
        labels = dict(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"', m.group(3) or ""))
        out.append((m.group(1), labels, float(m.group(4))))
    return out


# logfmt: key=value pairs, one space apart; a value bare (no blank, quote
# or '=') or quoted with backslash escapes.
LOGFMT_PAIR = re.compile(r'([A-Za-z_][A-Za-z0-9_.]*)=("(?:[^"\\]|\\.)*"|[^\s"=]*)(?: (?=\S)|$)')


def logfmt_pairs(line):
    """[(key, value)] of a logfmt line; a Failure naming the line if it is not one."""
    pairs, pos = [], 0
    while pos < len(line):
        m = LOGFMT_PAIR.match(line, pos)
        check(m, f"not logfmt at column {pos}: {line!r}")
        pairs.append(m.groups())
        pos = m.end()
    check(pairs, f"an empty log line")
    return pairs


def check_logfmt(text):
    """Every line the agent wrote on stderr is logfmt, starting ts, level, msg."""
    for line in text.splitlines():
        keys = [k for k, _ in logfmt_pairs(line)]
        eq(keys[:3], ["ts", "level", "msg"], f"first keys of {line!r}")


class Agent:
    """`leakscope agent` on a free loopback port, its log in a file."""

    def __init__(self, *args, name="agent"):
        self.port = free_port()
        self.log = tmpfile(f"{name}-{self.port}.log")
        self.logf = open(self.log, "w")
        self.p = spawn([LEAKSCOPE, "agent", "--listen", f"127.0.0.1:{self.port}", *args],
                       stdout=subprocess.DEVNULL, stderr=self.logf)
        self.wait_log("agent started")

    def text(self):
        with open(self.log) as f:
            return f.read()

    def wait_log(self, needle, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if needle in self.text():
                return
            check(self.p.poll() is None, f"agent exited early: {self.text()[-3000:]}")
            time.sleep(0.05)
        raise AssertionError(f"agent never logged {needle!r}: {self.text()[-3000:]}")

    def metrics(self):
        return parse_metrics(http_get(f"http://127.0.0.1:{self.port}/metrics").decode())

    def value(self, name, **labels):
        for n, lab, v in self.metrics():
            if n == name and all(lab.get(k) == str(want) for k, want in labels.items()):
                return v
        return None

    def wait_value(self, name, pred, timeout=20, **labels):
        deadline = time.time() + timeout
        v = None
        while time.time() < deadline:
            v = self.value(name, **labels)
            if v is not None and pred(v):
                return v
            time.sleep(0.1)
        raise AssertionError(f"{name}{labels} never satisfied the condition; last {v}")

    def stop(self, timeout=60):
        self.p.send_signal(signal.SIGTERM)
        try:
            self.p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.p.kill()
            raise AssertionError("agent did not stop on SIGTERM")
        self.logf.close()
        eq(self.p.returncode, 0, f"agent exit status after SIGTERM; log {self.text()[-2000:]}")
        check("msg=\"stopped\"" in self.text(), "agent logged its clean stop")
        check_logfmt(self.text())
        return self.text()


def start_goleaks(binary=GOLEAKS, agent=None):
    """goleaks, dump-ready (GOTRACEBACK=system): leaking at once, or
    once agent traces it (so its allocations are seen too: the Go probes
    go on when the agent has inspected the binary, a moment after exec;
    goroutines made before are found in runtime.allgs, allocations not)."""
    fx = spawn([binary] + ([] if agent else ["-now"]), env=dict(os.environ, GOTRACEBACK="system"))
    pid = int(read_until(fx, "ready")[-1].split()[1])
    if agent:
        agent.wait_value("leakscope_process_goroutines", lambda v: v > 0, pid=pid)
        os.kill(pid, signal.SIGUSR1)
    leaked = int(read_until(fx, "leaked")[-1].split()[1])
    return fx, pid, leaked


def goroutine_dump(fx):
    """SIGQUIT the Go fixture: (goroutines it had, {created-by site: n})."""
    os.kill(fx.pid, signal.SIGQUIT)
    _, dump = fx.communicate(timeout=30)
    ids = [int(g) for g in re.findall(r"^goroutine (\d+) \[", dump, re.M)]
    sites = collections.Counter(re.findall(r"^created by (\S+?)(?: in goroutine \d+)?$", dump, re.M))
    return len([g for g in ids if g != 0]), sites


def native_truth(pid):
    fds, maps = proc_fds(pid), proc_maps(pid)
    mm = sum(e - s for s, e, path in maps if path not in KERNEL_AREAS and path != "[heap]")
    return len(fds), mm, mapped_bytes(maps, heap=True)


# ---- 1. A real Prometheus scrapes the agent ----

class Prometheus:
    def __init__(self, target_port):
        self.port = free_port()
        self.dir = os.path.join(TMP, f"prometheus-{self.port}")
        shutil.rmtree(self.dir, ignore_errors=True)
        os.makedirs(self.dir)
        cfg = os.path.join(self.dir, "prometheus.yml")
        with open(cfg, "w") as f:
            f.write("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                    "scrape_configs:\n  - job_name: leakscope\n    scrape_interval: 1s\n"
                    f"    static_configs:\n      - targets: ['127.0.0.1:{target_port}']\n")
        self.logf = open(os.path.join(self.dir, "log"), "w")
        self.p = spawn(["prometheus", f"--config.file={cfg}",
                        f"--storage.tsdb.path={self.dir}/data",
                        f"--web.listen-address=127.0.0.1:{self.port}", "--log.level=warn"],
                       stdout=self.logf, stderr=self.logf)
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                if http_get(f"http://127.0.0.1:{self.port}/-/ready", timeout=2):
                    return
            except OSError:
                check(self.p.poll() is None, "prometheus exited: see " + self.dir)
                time.sleep(0.2)
        raise AssertionError("prometheus never became ready")

    def query(self, q):
        url = f"http://127.0.0.1:{self.port}/api/v1/query?" + urllib.parse.urlencode({"query": q})
        r = json.loads(http_get(url))
        eq(r["status"], "success", f"query {q}")
        return r["data"]["result"]

    def stop(self):
        self.p.terminate()
        self.p.wait(timeout=30)
        self.logf.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def test_prometheus_scrapes_exact_fds_and_goroutines():
    check(shutil.which("prometheus"), "prometheus installed (scripts/install-deps.sh test)")
    # -v -v: the Go probes' placements and libbpf's own lines too, all logfmt
    agent = Agent("--comm", "goleaks", "--verdict-interval", "1s", "-v", "-v", name="agent-prom")
    prom = Prometheus(agent.port)
    try:
        fx, pid, numgoroutine = start_goleaks()
        agent.wait_value("leakscope_process_goroutines", lambda v: v > 66, pid=pid)
        leaked_at = time.time()
        # two scrapes after the leak, each holding the process
        deadline = time.time() + 30
        samples = []
        while time.time() < deadline:
            r = prom.query(f'leakscope_process_open_fds{{pid="{pid}"}}[30s]')
            samples = [float(t) for t, _ in r[0]["values"]] if r else []
            if len([t for t in samples if t > leaked_at]) >= 2:
                break
            time.sleep(0.3)
        check(len([t for t in samples if t > leaked_at]) >= 2,
              f"two scrapes after the leak; sample times {samples}")
        fds = prom.query(f'leakscope_process_open_fds{{pid="{pid}"}}')
        gor = prom.query(f'leakscope_process_goroutines{{pid="{pid}"}}')
        eq(len(fds), 1, "one open-fd series for the process")
        eq(fds[0]["metric"]["comm"], "goleaks", "comm label")
        eq(fds[0]["metric"]["exe"], GOLEAKS, "exe label")
        eq(fds[0]["metric"]["service"], "goleaks", "service label (comm by default)")
        eq(int(float(fds[0]["value"][1])), len(proc_fds(pid)), "open fds vs /proc/PID/fd")
        # Parca-style pull: /debug/pprof/goroutine?pid=N is a pprof too
        prof = tmpfile("agent-goroutine.pb.gz")
        with open(prof, "wb") as f:
            f.write(http_get(f"http://127.0.0.1:{agent.port}/debug/pprof/goroutine?pid={pid}"))
        raw = pprof_raw([prof])
        for site in LEAK_SITES:
            check(site in raw, f"/debug/pprof/goroutine names {site}")
        total, sites = goroutine_dump(fx)
        eq(int(float(gor[0]["value"][1])), total,
           "live goroutines vs the SIGQUIT dump (GOTRACEBACK=system)")
        eq({s: sites[s] for s in LEAK_SITES}, LEAK_SITES, "the dump's leaked goroutines")
        eq(sum(LEAK_SITES.values()), 66, "66 leaked by goleaks' leak functions")
        # NumGoroutine leaves out the runtime's own (forcegc, sweeper,
        # scavenger, finalizer, GC workers...): the gauge has them
        check(total > numgoroutine >= 66 + 2, f"NumGoroutine {numgoroutine} vs all {total}")
    finally:
        prom.stop()
    agent.stop()


# ---- 2. Push to a Pyroscope-style /ingest ----

class Receiver:
    """A loopback /ingest that keeps every request; stop() and start()
    make it go away and come back on the same port."""

    def __init__(self):
        self.port = free_port()
        self.got = []
        self.lock = threading.Lock()
        self.server = None
        self.start()

    def start(self):
        recv = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with recv.lock:
                    recv.got.append((self.path, body, self.headers.get("Content-Type")))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def count(self):
        with self.lock:
            return len(self.got)


def push_stats(log):
    m = re.findall(r'msg="push finished" enqueued=(\d+) sent=(\d+) dropped=(\d+) '
                   r'rejected=(\d+) retries=(\d+)', log)
    check(m, f"agent logged its push totals: {log[-1500:]}")
    return dict(zip(("enqueued", "sent", "dropped", "rejected", "retries"), map(int, m[-1])))


def pprof_raw(files):
    """go tool pprof -raw over profiles of one kind (it reads them all, or fails)."""
    r = subprocess.run([GO, "tool", "pprof", "-raw", *files], capture_output=True, text=True,
                       timeout=120)
    eq(r.returncode, 0, f"go tool pprof -raw reads {len(files)} profiles: {r.stderr[-800:]}")
    return r.stdout


def check_bodies(got, pid, what, need=("goroutine", "fd", "mmap", "go_heap")):
    """Every body: a gzip pprof go tool pprof reads; the fixture's leak
    functions in its goroutine profiles."""
    by_kind = collections.defaultdict(list)
    d = os.path.join(TMP, f"pushed-{what}")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    for i, (path, body, ctype) in enumerate(got):
        u = urllib.parse.urlparse(path)
        eq(u.path, "/ingest", f"{what}: request path")
        q = urllib.parse.parse_qs(u.query)
        eq(q["format"], ["pprof"], f"{what}: format")
        eq(ctype, "application/octet-stream", f"{what}: content type")
        m = re.match(r"^goleaks\{host=[^,]+,pid=(\d+),kind=(\w+),comm=goleaks\}$", q["name"][0])
        check(m, f"{what}: name {q['name'][0]!r}")
        eq(int(m.group(1)), pid, f"{what}: pid label")
        check(int(q["from"][0]) < int(q["until"][0]), f"{what}: from < until in {path}")
        eq(body[:2], b"\x1f\x8b", f"{what}: gzip body")
        gzip.decompress(body)
        f = os.path.join(d, f"{i:04d}-{m.group(2)}.pb.gz")
        with open(f, "wb") as out:
            out.write(body)
        by_kind[m.group(2)].append(f)
    check(set(need) <= set(by_kind), f"{what}: kinds {set(by_kind)}")
    for kind, files in by_kind.items():
        raw = pprof_raw(files)
        if kind == "goroutine":
            for site in LEAK_SITES:
                check(site in raw, f"{what}: {site} in the pushed goroutine profiles")
    shutil.rmtree(d, ignore_errors=True)
    return by_kind


def push_session(recv, queue, what, fixture=None, extra=()):
    """An agent pushing every 0.5 s; the receiver away for 4 intervals.
    fixture: started once the agent runs (else one already runs)."""
    agent = Agent("--comm", "goleaks", "--push-url", f"http://127.0.0.1:{recv.port}",
                  "--push-interval", "500ms", "--push-queue", str(queue),
                  "--push-backoff-max", "300ms", *extra, name=f"agent-{what}")
    if fixture:
        fixture(agent)
    agent.wait_value("leakscope_agent_tracked_processes", lambda v: v == 1)
    time.sleep(1.2)
    check(recv.count() > 0, f"{what}: pushes arrive")
    recv.stop()
    time.sleep(2.2)
    check(agent.value("leakscope_agent_push_retries_total") > 0, f"{what}: retries while away")
    recv.start()
    agent.wait_value("leakscope_agent_push_queue_length", lambda v: v <= 1, timeout=30)
    time.sleep(0.6)
    log = agent.stop()
    check("push failed, retrying" in log and "push recovered" in log,
          f"{what}: failure and recovery logged")
    return push_stats(log)


def test_push_survives_receiver_outage_and_counts_loss():
    recv = Receiver()
    started = []
    try:
        # a queue bigger than the outage: nothing lost (goleaks starts
        # after the agent: picked up at its exec)
        outdir = os.path.join(TMP, "agent-profiles")
        shutil.rmtree(outdir, ignore_errors=True)
        st = push_session(recv, 1000, "big-queue", lambda a: started.append(start_goleaks(agent=a)),
                          extra=("--output-dir", outdir, "--output-max-size", "8K"))
        fx, pid, _ = started[0]
        # the same profiles as files, rotated to stay under 8 KiB (a quarter of what a run writes)
        files = sorted(os.listdir(outdir))
        size = sum(os.path.getsize(os.path.join(outdir, f)) for f in files)
        check(files and (size <= 8 * 1024 or len(files) == 1), f"{len(files)} files, {size} bytes")
        check(len(files) < st["enqueued"], f"old files removed: {len(files)} of {st['enqueued']}")
        check(all(re.match(rf"^goleaks-{pid}-\w+-\d+\.pb\.gz$", f) for f in files), f"names {files}")
        pprof_raw([os.path.join(outdir, f) for f in files if "-goroutine-" in f])
        shutil.rmtree(outdir, ignore_errors=True)
        eq(st["dropped"], 0, "big queue: nothing dropped")
        eq(st["rejected"], 0, "nothing rejected")
        eq(recv.count(), st["enqueued"], "big queue: every profile made arrived")
        eq(st["sent"], st["enqueued"], "sent = enqueued")
        kinds = check_bodies(recv.got, pid, "big-queue")
        # go_alloc goes as deltas: a push holds what was allocated since
        # the last one, and none is made when nothing was (an idle fixture)
        check(1 <= len(kinds.get("go_alloc", [])) < len(kinds["goroutine"]),
              f"go_alloc pushed as deltas: {len(kinds.get('go_alloc', []))} profiles "
              f"vs {len(kinds['goroutine'])} goroutine snapshots")
        # a queue of 2: the outage overflows it; the loss is what the
        # agent counted as dropped (the agent is started on a running
        # process this time: picked up by the start scan)
        with recv.lock:
            recv.got.clear()
        st = push_session(recv, 2, "tiny-queue")
        check(st["dropped"] > 0, f"tiny queue: some dropped ({st})")
        eq(recv.count(), st["enqueued"] - st["dropped"], "received = enqueued - dropped")
        eq(st["sent"], recv.count(), "sent = received")
        check_bodies(recv.got, pid, "tiny-queue", need=())
    finally:
        recv.stop()


# ---- 3. System-wide, with filters ----

def cgroup2_root():
    with open("/proc/mounts") as f:
        for line in f:
            parts = line.split()
            if parts[2] == "cgroup2":
                return parts[1]
    return None


def in_cgroup(cg, args, **kw):
    """Start args inside cgroup cg (moved before exec)."""
    return spawn(["sh", "-c", 'echo $$ > "$0/cgroup.procs" && exec "$@"', cg, *args], **kw)


def test_system_wide_filters_pick_only_matching_processes():
    root = cgroup2_root()
    check(root, "a cgroup2 hierarchy is mounted")
    cg = os.path.join(root, f"leakscope-test-{os.getpid()}")
    os.makedirs(cg, exist_ok=True)
    # comm is one of two names AND the process is in the test cgroup
    agent = Agent("--comm", "native_leaks,goleaks", "--cgroup", cg, "--verdict-interval", "1s",
                  name="agent-filters")
    try:
        native = in_cgroup(cg, [workload("native_leaks"), "--hold"])
        go_fx = in_cgroup(cg, [GOLEAKS, "-now"], env=dict(os.environ, GOTRACEBACK="system"))
        # excluded: the right comm outside the cgroup; the cgroup with the
        # wrong comm (demo_leaky; goleaks.stripped's comm is "goleaks.strippe")
        other_native = spawn([workload("native_leaks"), "--hold"])
        demo = in_cgroup(cg, [workload("demo_leaky")])
        stripped = in_cgroup(cg, [GOLEAKS + ".stripped", "-now"])
        read_until(native, "leaked")
        read_until(other_native, "leaked")
        go_pid = int(read_until(go_fx, "ready")[-1].split()[1])
        read_until(go_fx, "leaked")
        read_until(stripped, "leaked")
        pids = {native.pid: "native", go_pid: "go"}
        eq(go_pid, go_fx.pid, "exec keeps the pid")
        agent.wait_value("leakscope_agent_tracked_processes", lambda v: v == 2)
        time.sleep(1.0)
        m = agent.metrics()
        traced = {int(l["pid"]) for n, l, _ in m if n == "leakscope_process_open_fds"}
        eq(traced, set(pids), "only the two matching processes are traced")
        for excluded in (other_native, demo, stripped):
            check(excluded.pid not in traced, f"pid {excluded.pid} excluded")

        def val(name, pid, **labels):
            return agent.value(name, pid=pid, **labels)

        nfds, mm, heap = native_truth(native.pid)
        eq(val("leakscope_process_open_fds", native.pid), nfds, "native: fds vs /proc")
        eq(val("leakscope_process_outstanding_bytes", native.pid, kind="mmap"), mm,
           "native: mmap bytes vs /proc/PID/maps")
        eq(val("leakscope_process_outstanding_bytes", native.pid, kind="brk"), heap,
           "native: brk bytes vs [heap]")
        eq(val("leakscope_process_goroutines", native.pid), None, "native: no goroutine gauge")
        eq(val("leakscope_process_open_fds", go_pid), len(proc_fds(go_pid)), "go: fds vs /proc")
        gor = val("leakscope_process_goroutines", go_pid)
        total, sites = goroutine_dump(go_fx)
        eq(gor, total, "go: goroutines vs the SIGQUIT dump")
        eq(agent.value("leakscope_agent_processes_traced_total"), 2, "two processes traced")
        check(agent.value("leakscope_agent_execs_total", matched="false") >= 3,
              "the excluded execs were seen and not matched")
        # the Go process is gone (SIGQUIT): dropped from the metrics
        agent.wait_value("leakscope_agent_tracked_processes", lambda v: v == 1, timeout=10)
        check(val("leakscope_process_open_fds", go_pid) is None, "an exited process is dropped")
    finally:
        agent.stop()
        lib.kill_all()  # every fixture out of the cgroup before removing it
        for _ in range(50):
            try:
                os.rmdir(cg)
                break
            except OSError:
                time.sleep(0.1)
    check(not os.path.exists(cg), "test cgroup removed")


# ---- 4. Fleet sampling ----

def bpf_objects(pid):
    """The BPF programs, links and maps a process holds (its fds)."""
    return sorted(link for link in proc_fds(pid).values() if link.startswith("anon_inode:bpf"))


def test_threshold_zero_attaches_nothing():
    agent = Agent("--probabilistic-threshold", "0", name="agent-p0")
    fx = spawn([workload("native_leaks"), "--hold"])
    read_until(fx, "leaked")
    time.sleep(0.5)
    eq(bpf_objects(agent.p.pid), [], "no BPF program, link or map held with P=0")
    eq(agent.value("leakscope_agent_tracing"), 0, "not tracing")
    eq(agent.value("leakscope_agent_tracked_processes"), 0, "nothing tracked")
    eq(agent.value("leakscope_agent_events_total"), 0, "no events")
    eq(agent.value("leakscope_agent_bpf_runs_total"), 0, "no BPF program ran")
    check(agent.value("leakscope_agent_cpu_seconds_total") < 0.5, "the agent idles")
    log = agent.stop()
    check("nothing is attached" in log, "P=0 said so")


def splitmix_draws(seed, n):
    """The agent's draws (src/agent/sampling.c), for checking its decisions."""
    out, state = [], seed
    for _ in range(n):
        state = (state + 0x9E3779B97F4A7C15) & (2**64 - 1)
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & (2**64 - 1)
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & (2**64 - 1)
        z ^= z >> 31
        out.append((z >> 11) / float(1 << 53) * 100.0)
    return out


def test_threshold_fifty_traces_about_half():
    """P=50, 150 ms intervals, a loop spawning short `sleep`s: about half
    the intervals trace (binomial bounds), the decisions are the seeded
    draws, and the sleeps traced are those of traced intervals."""
    seed = 12345
    # a private copy of sleep: no other sleep on the machine matches
    sleeper = tmpfile("agent-sleep")
    shutil.copy(shutil.which("sleep"), sleeper)
    agent = Agent("--probabilistic-threshold", "50", "--probabilistic-interval", "150ms",
                  "--sampling-seed", str(seed), "--exe", sleeper, "--overhead-budget", "0",
                  name="agent-p50")
    check(any("bpf-prog" in o for o in bpf_objects(agent.p.pid)) and
          any("bpf_link" in o or "bpf-link" in o for o in bpf_objects(agent.p.pid)),
          f"P>0: programs loaded and attached ({set(bpf_objects(agent.p.pid))})")
    counter = tmpfile("sleeps")
    # the count is renamed into place: killing the loop mid-write must not
    # leave an empty file behind
    loop = spawn(["sh", "-c", f'n=0; while :; do "{sleeper}" 0.02; n=$((n+1)); '
                  f'echo $n > "{counter}.tmp"; mv "{counter}.tmp" "{counter}"; done'])
    time.sleep(12)
    m = {(n, l.get("traced")): v for n, l, v in agent.metrics()}
    loop.kill()
    loop.wait()
    on = int(m[("leakscope_agent_sampling_intervals_total", "true")])
    off = int(m[("leakscope_agent_sampling_intervals_total", "false")])
    total = on + off
    check(total >= 60, f"many intervals: {total}")
    # Binomial(total, 0.5): mean total/2, sd sqrt(total)/2; 4 sd either way
    sd = (total ** 0.5) / 2
    check(abs(on - total / 2) <= 4 * sd, f"traced intervals {on} of {total}")
    eq(on, sum(d < 50 for d in splitmix_draws(seed, total)), "decisions are the seeded draws")
    with open(counter) as f:
        sleeps = int(f.read().strip() or 0)
    traced = agent.value("leakscope_agent_processes_traced_total")
    log = agent.stop()
    # sleeps are picked up only while tracing: about the traced share
    share = traced / max(sleeps, 1)
    check(sleeps > 100 and abs(share - on / total) < 0.2,
          f"sleeps traced {traced} of {sleeps} ({share:.2f}) vs traced intervals {on / total:.2f}")
    check(log.count('msg="tracing on"') >= 5 and log.count('msg="tracing off"') >= 5,
          "probes switched on and off")


# ---- 5. Overhead self-check ----

def test_overhead_budget_pauses_and_resumes():
    """A budget no agent can meet: the probes pause (not detached), then
    resume after the back-off, and the pauses are counted."""
    agent = Agent("--comm", "goleaks", "--overhead-budget", "0.001", "--overhead-window", "1s",
                  "--overhead-backoff", "1s", name="agent-overhead")
    start_goleaks()
    agent.wait_log("overhead over budget: probes paused", timeout=15)
    agent.wait_log('msg="tracing on" reason="overhead back-off over"', timeout=15)
    pauses = agent.value("leakscope_agent_overhead_pauses_total")
    check(pauses >= 1, f"pauses counted: {pauses}")
    check(agent.value("leakscope_agent_overhead_ratio") > 0, "overhead measured")
    check(agent.value("leakscope_agent_bpf_runs_total") > 0, "BPF run statistics on")
    agent.stop()
