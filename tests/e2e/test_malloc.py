# SPDX-License-Identifier: MIT
"""The malloc kind (--malloc) end to end: every function of the family,
exact counts and bytes per call site, with -p and launch, on glibc,
jemalloc, tcmalloc, mimalloc (loaded with dlopen after attach), a
static executable and an allocator of the program's own
(--malloc-prefix); the cases BCC memleak gets wrong; fork and exec;
valgrind memcheck's leak records as ground truth; sampling."""
import os
import re
import signal
import subprocess
import time
import xml.etree.ElementTree as ET

from lib import (LEAKSCOPE, ROOT, Failure, check, eq, expectations, load_report,
                 one_line_error, read_until, run, site_stacks, site_total, spawn, stop, tmpfile,
                 wait_stderr, workload)

FIXTURE = workload("malloc_leaks")


def prefixed(lines, prefix):
    """Expectations printed as "PREFIX-expect SITE KIND COUNT BYTES"."""
    return expectations([l[len(prefix) + 1:] for l in lines if l.startswith(prefix + "-expect ")])


def assert_sites(report, expect, pid, kind="malloc"):
    for (site, k), want in sorted(expect.items()):
        eq(site_total(report, site, k, pid), want, f"{k} at {site}")
        for s in site_stacks(report, site, k, pid):
            frames = s["frames"]
            # the allocating function first, then the site (complete
            # stacks through code without frame pointers), down to main
            # or a thread's start
            below = frames[frames.index(site):]
            check(frames.index(site) >= 1 and ("main" in below or "start_thread" in below),
                  f"{site}: not a complete stack: {frames}")


def wait_attached(lk, text, timeout=20):
    """leakscope -v says it attached malloc probes, on a line with text."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        line = lk.stderr.readline()
        if "malloc probes attached" in line and text in line:
            return
        if not line and lk.poll() is not None:
            break
    raise Failure(f"leakscope never attached malloc probes ({text})")


def malloc_info(report, pid):
    return next(t for t in report["targets"] if t["pid"] == pid)["malloc"]


def launch(args, fixture_args, timeout=90):
    """Launch a fixture that exits by itself; (report, its stdout lines)."""
    out = tmpfile("malloc-launch.json")
    code, stdout, err = run([LEAKSCOPE, "-q", "-o", out, *args, "--", *fixture_args],
                            timeout=timeout)
    eq(code, 0, f"exit status; stderr {err}")
    return load_report(out), stdout.splitlines()


def test_malloc_family_exact_per_site_launched():
    """Launch: every function of the family at its own site, the realloc
    cases, free(NULL), failed calls, a block served by mmap, a thread
    allocating for another to free, an allocator of the program's own
    (--malloc-prefix fx_) in which a thread exits."""
    report, lines = launch(["--malloc=all", "--malloc-prefix", "fx_"], [FIXTURE, "--fx"])
    pid = report["targets"][0]["pid"]
    expect = expectations(lines)
    eq(len(expect), 16, "sites the fixture accounts for")
    assert_sites(report, expect, pid)
    failed = int(next(l.split()[1] for l in lines if l.startswith("failed ")))
    eq(report["stats"]["malloc_failed"], failed, "failed allocations (NULL returned)")
    info = malloc_info(report, pid)
    check("glibc malloc (libc.so.6)" in info["allocator"] and "malloc_leaks" in info["allocator"],
          f"allocators named: {info['allocator']}")
    eq(info["mode"], "all", "mode")
    # malloc's mmap for its large blocks is the allocator's, not a second leak
    big = site_stacks(report, "big_site", "mmap", pid)
    eq(sum(s["count"] for s in big), 2, "mappings glibc made for big_site's blocks")
    check(all(s.get("allocator") and not s["suspect"] for s in big),
          f"those mappings are marked as the allocator's: {big}")
    eq(report["lost_events"], 0, "lost events")


def test_malloc_attach_pid_blocks_from_before_are_ignored():
    """-p: blocks allocated before attach are unknown; freeing them changes
    nothing and is counted, exactly."""
    pre = 7
    fx = spawn([FIXTURE, "--wait", "--hold", "--pre", str(pre)])
    pid = int(read_until(fx, "ready")[-1].split()[1])
    out = tmpfile("malloc-attach.json")
    lk = spawn([LEAKSCOPE, "-p", str(pid), "--malloc=all", "-o", out])
    wait_stderr(lk, "Ctrl-C to stop")
    os.kill(pid, signal.SIGUSR1)
    lines = read_until(fx, "leaked")
    time.sleep(1.0)  # older than the default --min-age
    code, _, err = stop(lk)
    eq(code, 0, f"exit status; stderr {err}")
    check(fx.poll() is None, "the target survives leakscope")
    report = load_report(out)
    assert_sites(report, expectations(lines), pid)
    eq(malloc_info(report, pid)["unknown_frees"], pre, "frees of blocks from before attach")
    eq(site_total(report, "pre_site", "malloc", pid), (0, 0), "blocks from before attach")
    check(all(s["count"] >= 0 and s["bytes"] >= 0 for s in report["stacks"]), "nothing negative")


def test_malloc_fork_child_inherits_blocks():
    """-f: a forked child holds its parent's blocks, frees some, adds its own."""
    out = tmpfile("malloc-fork.json")
    lk = spawn([LEAKSCOPE, "-v", "-f", "--malloc=all", "-o", out, "--", FIXTURE, "--fork", "--hold"])
    lines = read_until(lk, "child ")
    child = int(lines[-1].split()[1])
    # the child's own probes (the kernel filters per process) before it goes on
    wait_attached(lk, f"pid {child}:")
    os.kill(child, signal.SIGUSR2)
    lines += read_until(lk, "child-leaked")
    time.sleep(1.0)
    os.kill(child, signal.SIGTERM)
    code, _, err = stop(lk, signal.SIGINT)
    eq(code in (0, 143), True, f"exit status {code}; stderr {err[-2000:]}")
    report = load_report(out)
    pids = [t["pid"] for t in report["targets"]]
    check(child in pids, f"child {child} traced: {pids}")
    assert_sites(report, prefixed(lines, "child"), child)
    parent = report["targets"][0]["pid"]
    assert_sites(report, expectations(lines), parent)


def test_malloc_exec_drops_every_block():
    """exec: the new image holds nothing of the old one's heap."""
    out = tmpfile("malloc-exec.json")
    lk = spawn([LEAKSCOPE, "-q", "--malloc=all", "-o", out, "--", FIXTURE, "--exec"])
    lines = read_until(lk, "exec-ready")
    pid = int(lines[-1].split()[1])
    time.sleep(0.5)  # the new image's libraries mapped and probed
    os.kill(pid, signal.SIGUSR2)
    lines += read_until(lk, "exec-leaked")
    time.sleep(1.0)
    os.kill(pid, signal.SIGTERM)
    code, _, err = stop(lk, 0)
    eq(code, 0, f"exit status; stderr {err}")
    report = load_report(out)
    before = [s for s in report["stacks"] if s["kind"] == "malloc" and "leak_phase" in s["frames"]]
    eq(before, [], "blocks of the image before exec")
    assert_sites(report, prefixed(lines, "exec"), pid)


def valgrind_sites(xml_path, sites):
    """{site: (blocks, bytes)} of memcheck's definitely lost and still
    reachable records, by the fixture function nearest the allocator."""
    out = {}
    for e in ET.parse(xml_path).getroot().iter("error"):
        if e.findtext("kind") not in ("Leak_DefinitelyLost", "Leak_StillReachable"):
            continue
        fns = [f.findtext("fn") for f in e.find("stack").findall("frame")]
        site = next((f for f in fns if f in sites), None)
        if site:
            xw = e.find("xwhat")
            n, b = out.get(site, (0, 0))
            out[site] = (n + int(xw.findtext("leakedblocks")), b + int(xw.findtext("leakedbytes")))
    return out


def test_malloc_at_exit_equals_valgrind_memcheck():
    """What a program holds at exit, per site: leakscope's malloc stacks
    against valgrind memcheck's definitely lost + still reachable."""
    args = [FIXTURE, "--no-pvalloc"]
    report, lines = launch(["--malloc=all"], args)
    pid = report["targets"][0]["pid"]
    sites = {site for site, _ in expectations(lines)}
    xml_path = tmpfile("memcheck.xml")
    p = subprocess.run(["valgrind", "--leak-check=full", "--show-leak-kinds=definite,reachable",
                        "--xml=yes", f"--xml-file={xml_path}", *args],
                       capture_output=True, text=True, timeout=300)
    eq(p.returncode, 0, f"valgrind exit status; {p.stderr[-1000:]}")
    memcheck = valgrind_sites(xml_path, sites)
    ours = {s: site_total(report, s, "malloc", pid) for s in sites}
    ours = {s: v for s, v in ours.items() if v != (0, 0)}
    eq(ours, memcheck, "blocks and bytes per site: leakscope vs memcheck")
    eq(len(memcheck), 11, f"sites memcheck saw: {sorted(memcheck)}")


def test_malloc_cxx_new_delete_on_glibc_jemalloc_tcmalloc():
    """C++: new/delete in every variant, vector growth, a leaked string, a
    std::bad_alloc thrown out of operator new and caught (the program must
    live); with libstdc++'s new over glibc's malloc (new is seen as the
    frame above malloc), and with jemalloc's and tcmalloc's own operator
    new. Those throw from their own frame: they are probed only where the
    kernel lets leakscope put the real return address back before an
    unwind (the unwind guard; refused under kernel lockdown, and then the
    report says so and they stay unprobed: the nothrow ones still count)."""
    for name, allocator, own_new in (("cxx_heap", "glibc malloc", False),
                                     ("cxx_heap_jemalloc", "jemalloc", True),
                                     ("cxx_heap_tcmalloc", "tcmalloc", True)):
        report, lines = launch(["--malloc=all"], [workload(name)])
        pid = report["targets"][0]["pid"]
        eq(report["targets"][0]["exit_status"], 0, f"{name}: exit status (bad_alloc caught)")
        check(allocator in malloc_info(report, pid)["allocator"],
              f"{name}: allocator {malloc_info(report, pid)['allocator']}")
        unguarded = any("can throw left unprobed" in n for n in report["notes"])
        check(not (unguarded and not own_new), f"{name}: glibc's malloc needs no guard")
        expect = expectations(lines)
        eq(len(expect), 6, f"{name}: sites")
        for (site, kind), want in sorted(expect.items()):
            got = site_total(report, site, kind, pid)
            if unguarded and site != "leaky::nothrow_site()" and got == (0, 0):
                continue  # served by a throwing operator new, unprobed
            eq(got, want, f"{name}: {kind} at {site}")
        site = "leaky::nothrow_site()" if unguarded else "leaky::new_site()"
        new = site_stacks(report, site, "malloc", pid)
        check(new, f"{name}: {site}'s blocks")
        for s in new:
            f = s["frames"]
            if own_new:
                # the allocator's own operator new is the innermost frame
                check(f[1] == site, f"{name}: {f}")
            else:
                # libstdc++'s operator new calls malloc: its own frame above
                check(f[1] == "operator new(unsigned long)" and site in f[2:4], f"{name}: {f}")


def test_malloc_static_executable():
    report, lines = launch(["--malloc=all"], [workload("malloc_leaks_static")])
    pid = report["targets"][0]["pid"]
    assert_sites(report, expectations(lines), pid)
    check("malloc_leaks_static" in malloc_info(report, pid)["allocator"],
          f"the executable is the allocator: {malloc_info(report, pid)}")


def test_malloc_dlopen_after_attach_mimalloc_and_prefix():
    """An allocator loaded with dlopen after attach (mimalloc), called
    through its standard names and its own (--malloc-prefix mi_)."""
    out = tmpfile("malloc-dlopen.json")
    lk = spawn([LEAKSCOPE, "-v", "--malloc=all", "--malloc-prefix", "mi_", "-o", out, "--",
                workload("dlopen_malloc")])
    pid = int(read_until(lk, "ready")[-1].split()[1])
    os.kill(pid, signal.SIGUSR1)
    read_until(lk, "loaded")
    wait_attached(lk, "libmimalloc.so.2")
    os.kill(pid, signal.SIGUSR2)
    lines = read_until(lk, "leaked")
    time.sleep(1.0)
    os.kill(pid, signal.SIGTERM)
    code, _, err = stop(lk, 0)
    eq(code, 0, f"exit status; stderr {err[-2000:]}")
    report = load_report(out)
    for (site, kind), want in sorted(expectations(lines).items()):
        eq(site_total(report, site, kind, pid), want, f"{kind} at {site}")
    check("mimalloc" in malloc_info(report, pid)["allocator"], f"{malloc_info(report, pid)}")


def test_malloc_sampled_scales_like_pprof():
    """--malloc=sampled: a 48 MiB leak in 4 KiB blocks sampled every 64 KiB
    on average (~770 samples) is estimated within 15% (6 standard
    deviations of the sampler), and far fewer records than calls cross."""
    report, lines = launch(["--malloc=sampled", "--malloc-rate", "65536"],
                           [workload("malloc_churn"), "48", "4096"])
    pid = report["targets"][0]["pid"]
    count, size = site_total(report, "leak_site", "malloc", pid)
    want = 48 << 20
    check(abs(size - want) <= want * 0.15, f"estimated {size} bytes, leaked {want}")
    check(abs(count - want // 4096) <= want // 4096 * 0.15, f"estimated {count} blocks")
    eq(site_total(report, "churn_site", "malloc", pid), (0, 0), "freed blocks")
    calls = int(next(l.split()[1] for l in lines if l.startswith("calls ")))
    check(report["stats"]["records"] < calls / 10,
          f"{report['stats']['records']} records for {calls} malloc and free calls")
    eq(malloc_info(report, pid)["sample_bytes"], 65536, "sampling rate in the report")


def test_malloc_steady_leak_is_flagged():
    """A steady leak beside churn (freed at once) is flagged as suspect,
    the churn is not there at all: sampled every 8 KiB, a 64 KiB/s leak
    gives the verdicts ~8 samples a second (the same ratio as 1 MiB/min
    at the default 512 KiB: make bench measures that one)."""
    out = tmpfile("malloc-steady.json")
    w = spawn([workload("malloc_churn"), "--rate", "65536", "--seconds", "30"])
    lk = spawn([LEAKSCOPE, "-p", str(w.pid), "--malloc=sampled", "--malloc-rate", "8192",
                "-d", "8", "-o", out])
    code, _, err = stop(lk, 0, timeout=60)
    eq(code, 0, f"exit status; stderr {err[-2000:]}")
    report = load_report(out)
    leak = site_stacks(report, "leak_site", "malloc", w.pid)
    check(leak and all(s["suspect"] and s["growth_per_min"] > 0 for s in leak),
          f"the leak is flagged: {leak}")
    eq(site_stacks(report, "churn_site", "malloc", w.pid), [], "churn's blocks (all freed)")


def test_malloc_agent_sampled_metrics():
    """leakscope agent --malloc sampled: the leak's bytes in its metrics,
    scaled like pprof (48 MiB in 4 KiB blocks: ~96 samples of 512 KiB,
    within 40%, four standard deviations; unscaled it would be 0.4 MiB)."""
    import urllib.request
    import socket
    w = spawn([workload("malloc_churn"), "48", "4096", "--wait"])
    pid = int(read_until(w, "ready")[-1].split()[1])
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    ag = spawn([LEAKSCOPE, "agent", "--pid", str(pid), "--listen", f"127.0.0.1:{port}",
                "--malloc", "sampled"])
    wait_stderr(ag, "running processes picked up")
    os.kill(pid, signal.SIGUSR1)
    read_until(w, "leaked")
    time.sleep(2)
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as r:
        text = r.read().decode()
    stop(ag)
    m = re.search(r'^leakscope_process_outstanding_bytes\{[^}]*pid="%d"[^}]*kind="malloc"\} (\S+)$'
                  % pid, text, re.M)
    check(m, "a malloc sample for the process")
    want = 48 << 20
    got = float(m.group(1))
    check(abs(got - want) <= want * 0.4, f"outstanding malloc bytes {got:.0f}, leaked {want}")
    # every per-kind family of a memory kind has the malloc row: what it
    # holds, how it grows and its suspects (the verdicts judge it too)
    for family in ("leakscope_process_outstanding_items", "leakscope_process_growth_bytes_per_second",
                   "leakscope_process_suspect_stacks"):
        check(re.search(r'^%s\{[^}]*pid="%d"[^}]*kind="malloc"\} \S+$' % (family, pid), text, re.M),
              f"a malloc sample of {family} for the process")


def test_malloc_pprof_is_a_heap_profile():
    report_path = tmpfile("malloc-pprof.json")
    code, _, err = run([LEAKSCOPE, "-q", "--malloc=all", "--kind", "malloc", "-o", report_path,
                        "--", FIXTURE], timeout=90)
    eq(code, 0, f"exit status; {err}")
    p = subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "tests/export/check_pprof.py"),
                        report_path, "malloc"], capture_output=True, text=True, timeout=300)
    bad = [l for l in p.stdout.splitlines() if l.startswith("not ok")]
    eq(bad, [], "go tool pprof disagrees with the JSON report")
    check(p.returncode == 0 and "sample types" in p.stdout, p.stdout[-500:])


def test_malloc_off_by_default_says_how_to_turn_it_on():
    report, _ = launch([], [FIXTURE])
    check(not report["totals"].get("malloc"), "no malloc kind by default")
    check(any("--malloc=sampled" in n and "glibc malloc" in n for n in report["notes"]),
          f"a note says how to turn it on: {report['notes']}")


def test_malloc_bad_options_are_usage_errors():
    for args, words in ((["--malloc=most"], ("'most'", "off, sampled or all")),
                        (["--malloc-prefix", "je-"], ("'je-'",)),
                        (["--malloc-rate", "0"], ("'0'", "from 1"))):
        code, _, err = run([LEAKSCOPE, *args, "-p", "1"])
        eq(code, 2, f"exit status of {args}")
        one_line_error(err, *words)
    # the agent takes the same options from the same table, but never
    # every block: a return probe per allocation in every process
    code, _, err = run([LEAKSCOPE, "agent", "--malloc", "all"])
    eq(code, 2, "exit status of agent --malloc all")
    one_line_error(err, "'all'", "off or sampled")
    code, _, err = run([LEAKSCOPE, "agent", "--malloc-rate", "0"])
    eq(code, 2, "exit status of agent --malloc-rate 0")
    one_line_error(err, "'0'", "from 1")
