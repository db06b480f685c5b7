# SPDX-License-Identifier: MIT
"""Reports a user can trust at first read, each point against a program
with a known answer: the memory split against /proc/PID/smaps and
pagemap; Go stacks against `go tool pprof -traces` of the program's own
profile (a fixture and Debian's prometheus); verdicts over repeated runs
of known growth shapes; launch-mode fds against /proc; a young Go
program's heap against its own profile; naming through a symlinked
executable (Debian's redis-server); debug info found by build id; the
live view's shortened stacks; goroutine creators and states; traced time
apart from attach time."""
import collections
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.request

from lib import (LEAKSCOPE, ROOT, TMP, check, eq, load_report, proc_fds, read_until, run,
                 site_stacks, spawn, stop, tmpfile, wait_stderr, workload)

FIXTURES = os.path.join(ROOT, "build", "go-fixtures")
GO = "/usr/lib/go-1.19/bin/go"
GOSTACKS = os.path.join(FIXTURES, "gostacks")
GOLEAKS = os.path.join(FIXTURES, "goleaks")
PAGE = 4096


# ---- ground truth from the kernel: smaps and pagemap ----

def smaps(pid):
    """[(start, end, rss_bytes, vmflags, path)] of /proc/PID/smaps."""
    out, cur = [], None
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            m = re.match(r"^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \S+\s*(.*)$", line)
            if m:
                cur = [int(m.group(1), 16), int(m.group(2), 16), 0, set(), m.group(3)]
                out.append(cur)
            elif line.startswith("Rss:"):
                cur[2] = int(line.split()[1]) * 1024
            elif line.startswith("VmFlags:"):
                cur[3] = set(line.split()[1:])
    return out


def pagemap_resident(pid, start, end):
    """Bytes of [start, end) present in RAM, from /proc/PID/pagemap."""
    n = 0
    with open(f"/proc/{pid}/pagemap", "rb") as f:
        f.seek(start // PAGE * 8)
        data = f.read((end - start) // PAGE * 8)
    for i in range(0, len(data), 8):
        n += int.from_bytes(data[i:i + 8], "little") >> 63
    return n


def committed(vmas, start, end):
    """Bytes of [start, end) in mappings the kernel counts as committed."""
    return sum(max(0, min(end, e) - max(start, s)) for s, e, _, flags, _ in vmas if "ac" in flags)


# ---- 1. Memory: reserved, committed, resident ----

def round_trips(path):
    """convert reads back every field it wrote (JSON -> model -> JSON)."""
    again = tmpfile("again-" + os.path.basename(path))
    code, _, err = run([LEAKSCOPE, "convert", "-q", path, "-o", again])
    eq(code, 0, f"convert: {err}")
    with open(path) as a, open(again) as b:
        eq(json.load(b), json.load(a), f"{path}: JSON -> model -> JSON is identical")


def test_memory_split_equals_smaps_per_stack_and_in_total():
    fx = spawn([workload("memory_shapes"), "split"])
    pid = int(read_until(fx, "ready")[-1].split()[1])
    out = tmpfile("split.json")
    lk = spawn([LEAKSCOPE, "-p", str(pid), "-o", out, "--min-age", "0"])
    wait_stderr(lk, "Ctrl-C to stop")
    os.kill(pid, signal.SIGUSR1)
    lines = read_until(fx, "leaked")
    sites = {p[1]: (int(p[2], 16), int(p[3])) for p in (line.split() for line in lines)
             if p and p[0] == "site"}
    # The fixture now waits in sigwait: its memory stays as read here.
    vmas = smaps(pid)
    truth = {name: {"bytes": n, "committed_bytes": committed(vmas, a, a + n),
                    "resident_bytes": pagemap_resident(pid, a, a + n) * PAGE}
             for name, (a, n) in sites.items()}
    code, _, err = stop(lk)
    eq(code, 0, f"exit status; stderr {err}")
    report = load_report(out)
    eq(len(sites), 7, "sites the fixture mapped")
    for name, want in truth.items():
        stacks = site_stacks(report, name, "mmap", pid)
        eq(len(stacks), 1, f"one stack for {name}")
        got = {k: stacks[0].get(k) for k in want}
        eq(got, want, f"{name}: reserved, committed, resident vs smaps and pagemap")
        eq(stacks[0].get("file_backed", False), name == "file_site", f"{name} maps a file")
    # the known answers, so the comparison above is not vacuous
    eq(truth["reserve_site"]["committed_bytes"], 0, "PROT_NONE commits nothing")
    eq(truth["untouched_site"]["resident_bytes"], 0, "untouched memory is not resident")
    eq(truth["touched_site"]["resident_bytes"], 1 << 20, "1 MiB written")
    eq(truth["noreserve_site"]["committed_bytes"], 0, "MAP_NORESERVE is not committed")
    merged = [v for v in vmas if v[0] <= sites["left_half_site"][0] < v[1]][0]
    check(merged[1] >= sites["right_half_site"][0] + (1 << 20),
          "the two halves are one kernel mapping")
    eq(truth["left_half_site"]["resident_bytes"] + truth["right_half_site"]["resident_bytes"],
       merged[2], "the halves' resident bytes add up to the mapping's Rss")
    # Totals: every mapping of the process (pre-existing ones included)
    # against smaps, with files apart; [heap] is brk.
    kernel = {"[vvar]", "[vdso]", "[vsyscall]", "[vvar_vclock]"}
    maps = [v for v in vmas if v[4] not in kernel and v[4] != "[heap]"]
    files = [v for v in maps if v[4].startswith("/")]
    t = report["totals"]["mmap"]
    eq((t["bytes"], t["resident_bytes"], t["committed_bytes"]),
       (sum(e - s for s, e, *_ in maps), sum(v[2] for v in maps),
        sum(e - s for s, e, _, fl, _ in maps if "ac" in fl)),
       "mmap totals: reserved, resident, committed vs smaps")
    eq((t["file_backed"]["bytes"], t["file_backed"]["resident_bytes"]),
       (sum(e - s for s, e, *_ in files), sum(v[2] for v in files)),
       "file mappings apart: reserved, resident vs smaps")
    heap = [v for v in vmas if v[4] == "[heap]"]
    b = report["totals"]["brk"]
    eq((b["bytes"], b.get("resident_bytes", 0)),
       (sum(e - s for s, e, *_ in heap), sum(v[2] for v in heap)), "brk vs [heap] in smaps")
    text = subprocess.run([LEAKSCOPE, "convert", out, "--format", "text"],
                          capture_output=True, text=True, timeout=60).stdout
    explain = [line for line in text.splitlines() if line.strip().startswith("memory: resident")]
    eq(len(explain), 1, "one line says what each memory figure means")
    round_trips(out)


# ---- 2. Go stacks frame for frame as pprof prints them ----

def pprof_traces(profile, index):
    """{(frames...): summed value} from `go tool pprof -traces`."""
    unit = "-unit=B" if index.endswith("space") else "-unit=count"
    out = subprocess.run([GO, "tool", "pprof", "-traces", f"-sample_index={index}", unit,
                          profile], capture_output=True, text=True, timeout=120)
    eq(out.returncode, 0, f"go tool pprof -traces: {out.stderr[-500:]}")
    res = collections.Counter()
    for block in out.stdout.split("-----------+" + "-" * 55)[1:]:
        frames, value = [], None
        for line in block.splitlines():
            if not line.strip() or re.match(r"^\s+\S+:\s+\S+$", line):
                continue  # blank, or a label line ("bytes:  8kB")
            m = re.match(r"^\s*(\S+)?\s{3}(\S.*)$", line)
            if not m:
                continue
            if m.group(1) and value is None:
                value = int(float(m.group(1).rstrip("B")))
            frames.append(m.group(2).replace(" (inline)", ""))
        if frames and value:
            res[tuple(frames)] += value
    return res


def ours(report, kind, field, keep=lambda frames: True):
    res = collections.Counter()
    for s in report["stacks"]:
        if s["kind"] == kind and s[field] and keep(s["frames"]):
            res[tuple(s["frames"])] += s[field]
    return res


FIXTURE_FUNCS = ("main.viaInline", "main.viaNested", "main.cachePut", "main.viaInterface",
                 "main.viaClosure", "main.viaRecursion")


def test_go_stacks_equal_pprof_traces_inlined_interface_closure():
    heap = tmpfile("gostacks-heap.pb.gz")
    out = tmpfile("gostacks.json")
    lk = spawn([LEAKSCOPE, "-q", "-o", out, "--", GOSTACKS, "-now", "-heapprofile", heap])
    read_until(lk, "leaked")
    time.sleep(1.0)
    code, _, err = stop(lk)
    eq(code, 0, f"exit status; stderr {err}")
    report = load_report(out)
    for index, field in (("inuse_space", "bytes"), ("inuse_objects", "count")):
        theirs = pprof_traces(heap, index)
        mine = ours(report, "go_heap", field)
        check(any("main.grabTwice" in k for k in theirs), "pprof shows the nested inlining")
        eq(sorted(mine.items()), sorted(theirs.items()),
           f"go_heap {index}: every stack, frame for frame, vs go tool pprof -traces")
    # go_alloc: what the fixture's functions allocated (all before the
    # profile was written; the profile itself allocates after)
    mine_alloc = ours(report, "go_alloc", "bytes",
                      lambda fr: any(f in fr for f in FIXTURE_FUNCS))
    theirs_alloc = {k: v for k, v in pprof_traces(heap, "alloc_space").items()
                    if any(f in k for f in FIXTURE_FUNCS)}
    eq(sorted(mine_alloc.items()), sorted(theirs_alloc.items()),
       "go_alloc of the fixture's paths vs go tool pprof -traces alloc_space")
    flat = [f for k in mine for f in k]
    check("main.memStore.put" in flat and not any("(*memStore)" in f for f in flat),
          "the interface call shows the method, not the compiler's wrapper")


class Prometheus:
    """Debian's prometheus on loopback with a scratch storage dir and
    nothing to scrape: a real, mostly idle Go server."""

    def __init__(self):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        self.port = s.getsockname()[1]
        s.close()
        self.dir = os.path.join(TMP, f"prometheus-report-{self.port}")
        shutil.rmtree(self.dir, ignore_errors=True)
        os.makedirs(self.dir)
        cfg = os.path.join(self.dir, "prometheus.yml")
        with open(cfg, "w") as f:
            f.write("global:\n  scrape_interval: 1m\n")
        self.logf = open(os.path.join(self.dir, "log"), "w")
        self.p = spawn(["prometheus", f"--config.file={cfg}", f"--storage.tsdb.path={self.dir}/data",
                        f"--web.listen-address=127.0.0.1:{self.port}", "--log.level=warn"],
                       stdout=self.logf, stderr=self.logf)
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                if self.get("/-/ready"):
                    return
            except OSError:
                check(self.p.poll() is None, "prometheus exited: see " + self.dir)
                time.sleep(0.2)
        raise AssertionError("prometheus never became ready")

    def get(self, path):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=10) as r:
            return r.read()

    def heap_traces(self, name):
        path = tmpfile(name)
        with open(path, "wb") as f:
            f.write(self.get("/debug/pprof/heap"))
        return pprof_traces(path, "inuse_space")

    def stop(self):
        self.p.terminate()
        self.p.wait(timeout=30)
        self.logf.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def test_prometheus_go_heap_equals_its_own_pprof():
    check(shutil.which("prometheus"), "prometheus installed (scripts/install-deps.sh)")
    prom = Prometheus()
    try:
        # The truth holds when no GC published a new cycle while we read:
        # the profile is the same before and after leakscope's reading.
        for attempt in range(5):
            before = prom.heap_traces("prom-before.pb.gz")
            out = tmpfile("prometheus.json")
            code, _, err = run([LEAKSCOPE, "-q", "-p", str(prom.p.pid), "-o", out, "-d", "1"])
            eq(code, 0, f"exit status; stderr {err}")
            after = prom.heap_traces("prom-after.pb.gz")
            if before == after:
                break
        eq(before, after, "the heap profile held still around one of 5 readings")
        report = load_report(out)
        eq(report["targets"][0]["go"]["version"], "go1.19.8", "Debian's prometheus")
        mine = ours(report, "go_heap", "bytes")
        # what holds sampled heap at that moment varies (init-time tables
        # of its libraries, its own code once it serves): any of the
        # program's modules beyond the standard library will do
        check(any(f.startswith(("github.com/", "go.opencensus.io/", "go.opentelemetry.io/"))
                  for k in after for f in k),
              f"third-party code of prometheus holds heap: {list(after)}")
        eq(sorted(mine.items()), sorted(after.items()),
           "prometheus go_heap, every stack frame for frame, vs its /debug/pprof/heap")
    finally:
        prom.stop()


# ---- 3. No false suspects: growth shapes, several runs ----

SHAPES = {"steady_site": True, "plateau_site": False, "step_site": False,
          "sawtooth_site": False}


def test_verdicts_flag_steady_growth_only_every_run():
    for attempt in range(3):
        out = tmpfile(f"shapes-{attempt}.json")
        code, _, err = run([LEAKSCOPE, "-q", "-o", out, "--", workload("memory_shapes"),
                            "shapes", "9"], timeout=90)
        eq(code, 0, f"exit status; stderr {err}")
        report = load_report(out)
        flags = {}
        for site in SHAPES:
            stacks = site_stacks(report, site, "mmap")
            eq(len(stacks), 1, f"run {attempt}: one stack for {site}")
            flags[site] = stacks[0]["suspect"]
            if stacks[0]["suspect"]:
                check(stacks[0]["growth_window_s"] >= 5, f"the window is reported: {stacks[0]}")
        eq(flags, SHAPES, f"run {attempt}: suspects among the shapes")
        eq([s for s in report["stacks"] if s["kind"] == "go_alloc" and s["suspect"]], [],
           "go_alloc is never a verdict")


# ---- 4. Launch mode sees what the command starts with ----

def child_of(pid, name, timeout=20):
    """The pid of pid's child once it runs the program `name`."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                for c in f.read().split():
                    try:
                        if os.path.basename(os.readlink(f"/proc/{c}/exe")) == name:
                            return int(c)
                    except OSError:
                        pass
        time.sleep(0.05)
    raise AssertionError(f"no child running {name} under pid {pid}")


def test_launch_counts_the_fds_the_command_starts_with():
    r, w = os.pipe()  # an inherited fd, as a shell leaves them
    out = tmpfile("launch-fds.json")
    try:
        lk = spawn([LEAKSCOPE, "-q", "-o", out, "-d", "2", "--", "sleep", "30"], pass_fds=(w,))
    finally:
        os.close(r)
        os.close(w)
    child = child_of(lk.pid, "sleep")
    time.sleep(0.3)
    truth = proc_fds(child)
    _, err = lk.communicate(timeout=60)
    eq(lk.returncode, 143, f"the command's status (SIGTERM when -d ends); stderr {err}")
    report = load_report(out)
    fds = [s for s in report["stacks"] if s["kind"] == "fd" and s["pid"] == child]
    eq(sum(s["count"] for s in fds), len(truth), f"fds of `sleep` vs /proc ({truth})")
    check(len(truth) >= 4, f"stdin, stdout, stderr and the pipe: {truth}")
    check(all(s["preexisting"] for s in fds), "what it started with is pre-existing")
    files = collections.Counter(t for t in truth.values() if t.startswith("/"))
    ours_files = collections.Counter()
    for s in fds:
        for p in s.get("paths", []):
            if p["path"].startswith("/"):
                ours_files[p["path"]] += p["count"]
    eq(ours_files, files, "their paths")
    maps = [s for s in report["stacks"] if s["kind"] == "mmap" and s["preexisting"]]
    check(any("/usr/bin/sleep" in p["path"] or p["path"].endswith("/sleep")
              for s in maps for p in s.get("paths", [])), "the program's own mappings")


# ---- 5. A young Go program's heap, and go_heap ages ----

def test_young_go_heap_equals_its_own_profile_before_any_gc():
    heap = tmpfile("young-heap.pb.gz")
    fx = spawn([GOSTACKS, "-now", "-young", "-heapprofile", heap],
               env=dict(os.environ, GOGC="off"))
    read_until(fx, "leaked")
    out = tmpfile("young.json")
    code, _, err = run([LEAKSCOPE, "-q", "-p", str(fx.pid), "-o", out, "-d", "1"])
    eq(code, 0, f"exit status; stderr {err}")
    os.kill(fx.pid, signal.SIGUSR2)  # the program reads its own profile now
    read_until(fx, "profiled")
    report = load_report(out)
    notes = " ".join(report["notes"])
    check("no GC has published" in notes, f"the report says where go_heap comes from: {notes}")
    # what the program allocated to write its profile came after our reading
    theirs = {k: v for k, v in pprof_traces(heap, "inuse_space").items()
              if "main.writeHeapProfile" not in k}
    check(sum(theirs.values()) > 500_000, "the program's profile has its heap")
    eq(sorted(ours(report, "go_heap", "bytes").items()), sorted(theirs.items()),
       "go_heap before the first GC vs the program's own profile")


def test_go_heap_age_counts_from_growth_seen_and_none_before_attach():
    fx = spawn([GOLEAKS, "-rate", "1"])
    pid = int(read_until(fx, "ready")[-1].split()[1])
    out = tmpfile("heap-age.json")
    lk = spawn([LEAKSCOPE, "-p", str(pid), "-o", out])
    wait_stderr(lk, "Ctrl-C to stop")
    signalled = time.time()
    os.kill(pid, signal.SIGUSR1)
    read_until(fx, "leaked")
    time.sleep(1.0)
    code, _, err = stop(lk)
    ended = time.time()
    eq(code, 0, f"exit status; stderr {err}")
    report = load_report(out)
    heap = [s for s in report["stacks"] if s["kind"] == "go_heap"]
    keep = [s for s in heap if "main.keepHeap" in s["frames"]]
    eq(len(keep), 1, "the leak's go_heap stack")
    check(not keep[0]["preexisting"], "it grew while traced")
    check(keep[0]["oldest_s"] <= ended - signalled,
          f"its age ({keep[0]['oldest_s']} s) is within the time since the leak began "
          f"(at most {ended - signalled:.1f} s)")
    pre = [s for s in heap if s["preexisting"]]
    check(pre, "heap held at attach is pre-existing")
    check(all("main.keepHeap" not in s["frames"] for s in pre), "and is not the leak")


# ---- 6. Names and frames ----

def test_symlinked_server_named_as_started_connections_grouped():
    check(shutil.which("redis-server"), "redis-server installed (scripts/install-deps.sh)")
    link = shutil.which("redis-server")
    real = os.path.realpath(link)
    check(real != link, f"Debian's {link} is a link ({real})")
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    workdir = os.path.join(TMP, f"redis-{port}")
    os.makedirs(workdir, exist_ok=True)
    srv = spawn(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                 "--appendonly", "no", "--dir", workdir])
    clients = []
    try:
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                clients.append(socket.create_connection(("127.0.0.1", port), timeout=2))
                break
            except OSError:
                time.sleep(0.1)
        while len(clients) < 25:
            clients.append(socket.create_connection(("127.0.0.1", port), timeout=2))
        for c in clients:  # served: redis has accepted each
            c.sendall(b"PING\r\n")
            eq(c.recv(64), b"+PONG\r\n", "redis answers")
        out = tmpfile("redis.json")
        code, _, err = run([LEAKSCOPE, "-q", "-p", str(srv.pid), "-o", out, "-d", "1"])
        eq(code, 0, f"exit status; stderr {err}")
        report = load_report(out)
        t = report["targets"][0]
        with open(f"/proc/{srv.pid}/comm") as f:
            eq(t["comm"], f.read().strip(), "comm as /proc has it")
        eq((t["exe"], t.get("exe_file")), (link, real), "named as started, the file beside")
        accepted = [s for s in report["stacks"] if s["kind"] == "fd" and
                    any(p["path"] == f"tcp 127.0.0.1:{port} accepted (established)"
                        for p in s.get("paths", []))]
        eq([(s["count"], len(s["paths"])) for s in accepted], [(25, 1)],
           "25 accepted connections: one group with its count")
        round_trips(out)
        # launch mode: the exec names the same path
        out2 = tmpfile("redis-launch.json")
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port2 = s.getsockname()[1]
        s.close()
        code, _, err = run([LEAKSCOPE, "-q", "-o", out2, "-d", "1", "--", "redis-server",
                            "--port", str(port2), "--bind", "127.0.0.1", "--save", "",
                            "--dir", workdir])
        eq(code, 0, f"redis ends on the SIGTERM when -d ends; stderr {err}")
        t = load_report(out2)["targets"][0]
        eq((t["exe"], t.get("exe_file")), (link, real), "launched: named as started")
    finally:
        for c in clients:
            c.close()
        srv.kill()
        srv.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)


def test_debug_info_found_by_build_id_else_frames_counted_unresolved():
    """A stripped program: its frames are module+offset and counted as
    unresolved; with its debug info where Debian's -dbgsym packages put
    it (/usr/lib/debug/.build-id/xx/yyyy.debug), they are named."""
    work = os.path.join(TMP, "buildid")
    os.makedirs(work, exist_ok=True)
    build_id = os.urandom(20).hex()  # unique: concurrent runs never share it
    full, exe = os.path.join(work, "full"), os.path.join(work, "stripped_leaks")
    subprocess.run(["gcc", "-O2", "-fomit-frame-pointer", "-g", "-pthread",
                    os.path.join(ROOT, "tests", "workloads", "native_leaks.c"), "-o", full,
                    f"-Wl,--build-id=0x{build_id}"], check=True)
    debug = os.path.join("/usr/lib/debug/.build-id", build_id[:2], build_id[2:] + ".debug")
    try:
        subprocess.run(["objcopy", "--only-keep-debug", full, os.path.join(work, "keep")],
                       check=True)
        subprocess.run(["objcopy", "--strip-all", full, exe], check=True)
        runs = []  # (report, stderr): without, then with the debug file
        for with_debug in (False, True):
            if with_debug:
                os.makedirs(os.path.dirname(debug), exist_ok=True)
                shutil.copy(os.path.join(work, "keep"), debug)
            out = tmpfile(f"buildid-{with_debug}.json")
            code, _, err = run([LEAKSCOPE, "-q", "-o", out, "--", exe])
            eq(code, 0, f"exit status; stderr {err}")
            runs.append((load_report(out), err))
        (bare, _), (named, named_err) = runs

        def nameless(report):
            return sum(1 for s in report["stacks"] for f in s["frames"]
                       if re.search(r"\+0x[0-9a-f]+$", f) or f.startswith("[unknown"))

        check(nameless(bare) > 0, "the stripped program's frames have no names")
        eq(bare["unresolved_frames"], nameless(bare), "module+offset frames counted as unresolved")
        sites = [s for s in named["stacks"] if "leak_open_site" in s["frames"]]
        check(sites and all("main" in s["frames"] for s in sites),
              "named from the debug file by build id: "
              f"{[(s['kind'], s['frames']) for s in named['stacks']]}, "
              f"drops {named['drops']}, stats {named['stats']}, notes {named['notes']}, "
              f"stderr {named_err}")
        eq(named["unresolved_frames"], nameless(named), "what stays nameless is counted")
    finally:
        if os.path.exists(debug):
            os.unlink(debug)
        shutil.rmtree(work, ignore_errors=True)


def test_live_view_shortens_stacks_from_the_runtime_end():
    out = tmpfile("live-short.json")
    lk = spawn([LEAKSCOPE, "-i", "1", "-o", out, "--", GOSTACKS, "-now"])
    lines = read_until(lk, "leaked")
    lines += read_until(lk, "==== ", timeout=20)
    lines += read_until(lk, "==== ", timeout=20)
    code, rest, err = stop(lk)
    eq(code, 0, f"exit status; stderr {err}")
    report = load_report(out)
    files = [s for s in report["stacks"] if s["kind"] == "fd" and s["fd_kind"] == "file"
             and "main.leakFiles" in s["frames"]]
    eq(len(files), 1, "the fd leak's stack")
    frames = files[0]["frames"]
    check(len(frames) > 6, f"longer than the live view's 6 frames: {frames}")
    # the last complete live view before the final report
    view = "\n".join(lines).split("==== ")[-2]
    block = re.split(r"\n  (?=\S)", view[view.index("file fds"):])[0]  # up to the next entry
    shown = re.findall(r"^      ([^ .][^ ]*)(?: \(|$)", block, re.M)
    check("main.leakFiles" in shown and "main.main" in shown,
          f"the program's frames stay: {shown}")
    i = frames.index(shown[0])
    eq(frames[i:i + len(shown)], shown, "what is shown is a run of the stack")
    dropped = frames[:i] + frames[i + len(shown):]
    check(all(not f.startswith("main.") for f in dropped), f"only runtime/library frames dropped: {dropped}")
    hidden = [int(n) for n in re.findall(r"\.\.\. (\d+) runtime/library frames?", block)]
    eq(sum(hidden), len(dropped), "the dropped frames are counted")


# ---- 7. Goroutines as Go developers read them ----

def test_goroutine_creators_main_goroutine_and_states_after_exit():
    # attached after the leak: creators of pre-existing goroutines shown
    fx = spawn([GOLEAKS, "-now"], env=dict(os.environ, GOTRACEBACK="all"))
    read_until(fx, "leaked")
    out, txt = tmpfile("gor-pre.json"), tmpfile("gor-pre.txt")
    code, _, err = run([LEAKSCOPE, "-q", "-p", str(fx.pid), "-o", out, "-o", txt, "-d", "1"])
    eq(code, 0, f"exit status; stderr {err}")
    os.kill(fx.pid, signal.SIGQUIT)
    _, dump = fx.communicate(timeout=30)
    with open(txt) as f:
        text = f.read()
    entries = re.findall(r"^  (\d+) goroutines?, held since before attach.*\n((?:      .*\n)*)",
                         text, re.M)
    by_creator = collections.Counter()
    for n, body in entries:
        frames = [line.strip().split(" (")[0] for line in body.splitlines()
                  if not line.strip().startswith(("now:", "["))]
        if frames:
            by_creator[frames[0]] += int(n)
    created_by = collections.Counter(re.findall(r"^created by (\S+?)(?: in goroutine \d+)?$",
                                                dump, re.M))
    for site in ("main.leakRecv", "main.leakSend", "main.leakSelect", "main.leakSleep",
                 "main.leakLock"):
        eq(by_creator[site], created_by[site], f"text report: creator {site} printed")
    check("creator unknown" not in text.split("\ngoroutine:")[1].split("\ngo_heap")[0],
          "no pre-existing goroutine without its creator")
    main_g = [s for s in load_report(out)["stacks"] if s["kind"] == "goroutine" and
              s.get("main_goroutine")]
    eq([(s["count"], s["frames"]) for s in main_g], [(1, [])], "-p: the main goroutine")
    round_trips(out)
    g1 = re.search(r"^goroutine 1 \[.*?(?=^goroutine |\Z)", dump, re.M | re.S).group(0)
    check("created by" not in g1, "the dump gives goroutine 1 no creator either")
    # launched, and killed by SIGQUIT: its dump says what each goroutine
    # was doing when it died; the report keeps the states read last
    out = tmpfile("gor-exit.json")
    lk = spawn([LEAKSCOPE, "-q", "-o", out, "--", GOLEAKS, "-now"],
               env=dict(os.environ, GOTRACEBACK="all"))
    pid = int(read_until(lk, "ready")[-1].split()[1])
    read_until(lk, "leaked")
    time.sleep(1.5)  # read at least once while it runs
    os.kill(pid, signal.SIGQUIT)
    _, dump = lk.communicate(timeout=60)
    report = load_report(out)
    check(report["targets"][0]["exited"], "the program exited")
    main_g = [s for s in report["stacks"] if s["kind"] == "goroutine" and s.get("main_goroutine")]
    eq([s["frames"] for s in main_g], [[]], "launched: the main goroutine, no creator")
    states = collections.defaultdict(collections.Counter)
    for s in report["stacks"]:
        if s["kind"] == "goroutine" and s["frames"] and s["frames"][0].startswith("main."):
            states[s["frames"][0]].update(s.get("states", {}))
    truth = collections.defaultdict(collections.Counter)
    for block in dump.split("\n\n"):  # one goroutine each
        state = re.search(r"^goroutine \d+ \[([^,\]]+)", block, re.M)
        site = re.search(r"^created by (\S+?)(?: in goroutine \d+)?$", block, re.M)
        if state and site and site.group(1).startswith("main."):
            truth[site.group(1)][state.group(1)] += 1
    check(truth["main.leakSend"], f"the dump has the leaked goroutines: {dump[-500:]}")
    eq({k: dict(v) for k, v in states.items()}, {k: dict(v) for k, v in truth.items()},
       "states per creator after the exit vs the SIGQUIT dump")
    round_trips(out)


# ---- 8. Time ----

def test_duration_is_the_traced_time_and_attach_time_its_own():
    out = tmpfile("duration.json")
    began = time.time()
    code, _, err = run([LEAKSCOPE, "-q", "-o", out, "-d", "1", "--", "sleep", "30"],
                       env=dict(os.environ, LEAKSCOPE_TEST_ATTACH_DELAY_MS="3000"))
    ended = time.time()
    eq(code, 143, f"sleep ends by SIGTERM when leakscope stops first; stderr {err}")
    r = load_report(out)
    check(r["attach_s"] >= 3.0, f"attaching took at least the 3 s delay: {r['attach_s']}")
    check(r["duration_s"] >= 1.0, f"traced for -d 1: {r['duration_s']}")
    check(r["duration_s"] < r["attach_s"], "the traced time leaves the attach time out")
    check(r["duration_s"] + r["attach_s"] <= ended - began, "both within the run")
    round_trips(out)
