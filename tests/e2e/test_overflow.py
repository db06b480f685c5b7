# SPDX-License-Identifier: MIT
"""Overflow: bursts far above what a 1 MiB ring buffer holds (one thread
per CPU opening, closing, mapping and unmapping, hundreds of thousands of
times). Ground truth: the fixture's own account of the records its burst
must produce (it makes no other traced syscall meanwhile), and /proc."""
import gzip
import os
import signal
import time

from lib import (LEAKSCOPE, check, eq, load_report, mapped_bytes, proc_fds, proc_maps,
                 read_until, spawn, stop, tmpfile, wait_stderr, workload)

ITERATIONS = "50000"   # 200,000 records a thread: the 1 MiB ring holds ~60
KERNEL_AREAS = {"[vvar]", "[vdso]", "[vsyscall]", "[vvar_vclock]"}


def account(lines):
    """The fixture's "expect records N" and "expect kept K"."""
    want = {}
    for line in lines:
        parts = line.split()
        if parts[:1] == ["expect"]:
            want[parts[1]] = int(parts[2])
    return want


def test_burst_every_loss_counted_and_counts_back_to_proc():
    fx = spawn([workload("burst"), ITERATIONS])
    want = account(read_until(fx, "expect kept"))
    out, txt = tmpfile("burst.json"), tmpfile("burst.txt")
    lk = spawn([LEAKSCOPE, "-p", str(fx.pid), "--ring-buffer", "1", "--min-age", "0",
                "-o", out, "-o", txt])
    wait_stderr(lk, "Ctrl-C to stop")
    os.kill(fx.pid, signal.SIGUSR1)
    read_until(fx, "burst done", timeout=300)
    # a quiet second after the burst: leakscope re-reads /proc by itself
    time.sleep(2.5)
    fds, maps = proc_fds(fx.pid), proc_maps(fx.pid)
    code, _, err = stop(lk)
    eq(code, 0, f"exit status; stderr {err[-500:]}")
    r = load_report(out)
    check(r["lost_events"] > 0, f"the burst overflowed the 1 MiB ring buffer: lost "
          f"{r['lost_events']}")
    eq(r["drops"]["ringbuf_full"], r["lost_events"], "lost_events and drops.ringbuf_full")
    eq(r["stats"]["records"] + r["lost_events"], want["records"],
       "records consumed + records lost = the records the burst made")
    check(r["resync"]["runs"] >= 1, f"ledgers re-read from /proc after the loss: {r['resync']}")
    eq(r["counts_inexact"], False, "a live native process re-read from /proc is exact again")
    # outstanding counts are /proc's again
    eq(r["totals"]["fd"]["count"], len(fds), "fds vs /proc/PID/fd")
    mm = sum(e - s for s, e, p in maps if p not in KERNEL_AREAS and p != "[heap]")
    eq(r["totals"]["mmap"]["bytes"], mm, "mapped bytes vs /proc/PID/maps")
    eq(r["totals"]["brk"]["bytes"], mapped_bytes(maps, heap=True), "heap vs [heap]")
    devnull = sum(p["count"] for s in r["stacks"] if s["kind"] == "fd" and s["pid"] == fx.pid
                  for p in s.get("paths", []) if p["path"] == "/dev/null")
    eq(devnull, sum(1 for link in fds.values() if link == "/dev/null"),
       "/dev/null fds vs /proc/PID/fd")
    eq(sum(1 for fd, link in fds.items() if link == "/dev/null" and fd > 2), want["kept"],
       "the fixture kept what it says (/proc; its stdin is /dev/null too)")
    # no count negative or absurd: stacks sum to the totals
    for kind in ("fd", "mmap", "brk"):
        stacks = [s for s in r["stacks"] if s["kind"] == kind]
        eq(sum(s["count"] for s in stacks), r["totals"][kind]["count"], f"{kind} stacks sum")
        eq(sum(s["bytes"] for s in stacks), r["totals"][kind]["bytes"], f"{kind} bytes sum")
    with open(txt) as f:
        text = f.read()
    check("records lost: ledgers re-read from /proc" in text,
          f"the text report says it re-read /proc: {text[:600]}")
    fx.send_signal(signal.SIGTERM)


def test_loss_in_exited_process_marks_counts_inexact_everywhere():
    outs = {ext: tmpfile(f"inexact.{ext}") for ext in ("json", "txt", "folded", "pb.gz", "svg")}
    args = [LEAKSCOPE, "-q", "--ring-buffer", "1"]
    for path in outs.values():
        args += ["-o", path]
    lk = spawn(args + ["--", workload("burst"), ITERATIONS, "once"])
    out, err = lk.communicate(timeout=300)
    eq(lk.returncode, 0, f"exit status; stderr {err[-500:]}")
    want = account(out.splitlines())
    r = load_report(outs["json"])
    check(r["lost_events"] > 0, "the burst overflowed the ring buffer")
    eq(r["stats"]["records"] + r["lost_events"] >= want["records"], True,
       "every record of the burst was consumed or counted lost")
    eq(r["counts_inexact"], True, "an exited process cannot be re-read: counts inexact")
    with open(outs["txt"]) as f:
        check("counts inexact" in f.read(), "text says counts are inexact")
    with open(outs["folded"]) as f:
        lines = [line for line in f if line.strip()]
        # kind;process;frames... weight: the process frame says it
        check(lines and all(line.split(";")[1].endswith("[counts inexact: records lost]")
                            for line in lines),
              f"every folded stack's process frame says counts are inexact: {lines[:2]}")
    with gzip.open(outs["pb.gz"]) as f:
        check(b"counts inexact" in f.read(), "pprof's comments say counts are inexact")
    with open(outs["svg"]) as f:
        check("counts inexact" in f.read(), "the SVG says counts are inexact")


MALLOC_MIB, MALLOC_BLOCK = 8, 64   # 131,072 leaked blocks, 2.75 M malloc/free calls


def test_malloc_burst_counts_inexact_never_negative_off_by_at_most_the_losses():
    """Malloc blocks have no outside view to re-read: after losses the
    process's fds and mappings are /proc's again, but its malloc counts
    are marked inexact. A lost record moves the count by one block at
    most, so the reported leak is within lost_events of the fixture's
    own (MIB MiB in BLOCK-byte blocks), and never below zero."""
    fx = spawn([workload("malloc_churn"), str(MALLOC_MIB), str(MALLOC_BLOCK), "--wait"])
    read_until(fx, "ready")
    out, txt = tmpfile("malloc-burst.json"), tmpfile("malloc-burst.txt")
    lk = spawn([LEAKSCOPE, "-p", str(fx.pid), "--malloc=all", "--ring-buffer", "1",
                "--min-age", "0", "-o", out, "-o", txt])
    wait_stderr(lk, "Ctrl-C to stop")
    os.kill(fx.pid, signal.SIGUSR1)
    calls = int(read_until(fx, "calls", timeout=300)[-1].split()[1])
    read_until(fx, "leaked", timeout=300)
    time.sleep(2.5)   # a quiet second: the re-read from /proc
    fds = proc_fds(fx.pid)
    code, _, err = stop(lk)
    fx.send_signal(signal.SIGTERM)
    eq(code, 0, f"exit status; stderr {err[-500:]}")
    r = load_report(out)
    lost = r["lost_events"]
    check(lost > 0, f"the burst overflowed the 1 MiB ring buffer: lost {lost}")
    check(r["resync"]["runs"] >= 1, f"re-read from /proc after the loss: {r['resync']}")
    eq(r["totals"]["fd"]["count"], len(fds), "fds vs /proc/PID/fd after the re-read")
    eq(r["counts_inexact"], True, "malloc blocks cannot be re-read: counts inexact")
    [t] = [t for t in r["targets"] if t["pid"] == fx.pid]
    m = t["malloc"]
    check(m["allocs"] + m["frees"] <= calls, f"{m} within the fixture's {calls} calls")
    leaked = (MALLOC_MIB << 20) // MALLOC_BLOCK
    total = r["totals"]["malloc"]
    check(0 <= total["count"] and abs(total["count"] - leaked) <= lost,
          f"{total['count']} blocks reported, {leaked} leaked, {lost} records lost")
    check(0 <= total["bytes"] and abs(total["bytes"] - leaked * MALLOC_BLOCK) <= lost * MALLOC_BLOCK,
          f"{total['bytes']} bytes reported, {leaked * MALLOC_BLOCK} leaked, {lost} lost")
    stacks = [s for s in r["stacks"] if s["kind"] == "malloc"]
    check(all(s["count"] >= 0 and s["bytes"] >= 0 for s in stacks), "no stack below zero")
    eq(sum(s["count"] for s in stacks), total["count"], "malloc stacks sum to the total")
    with open(txt) as f:
        text = f.read()
    check("malloc blocks" in text and "counts inexact" in text,
          f"the text report says malloc counts are inexact: {text[:600]}")
