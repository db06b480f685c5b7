# SPDX-License-Identifier: MIT
"""Attach mid-life (-p): what a process held before leakscope attached is
reported as pre-existing, and accounted exactly afterwards."""
import os
import signal
import time

from lib import (LEAKSCOPE, check, eq, fd_kind_of_link, load_report, mapped_bytes,
                 proc_fds, proc_maps, read_until, spawn, stop, tmpfile, wait_stderr,
                 workload)

KERNEL_AREAS = {"[vvar]", "[vdso]", "[vsyscall]", "[vvar_vclock]"}


def fd_kinds(fds):
    kinds = {}
    for link in fds.values():
        k = fd_kind_of_link(link)
        if link.startswith("/dev/"):
            k = "chardev"
        kinds[k] = kinds.get(k, 0) + 1
    return kinds


def report_fd_kinds(report, pid):
    kinds = {}
    for s in report["stacks"]:
        if s["kind"] == "fd" and s["pid"] == pid:
            kinds[s["fd_kind"]] = kinds.get(s["fd_kind"], 0) + s["count"]
    return kinds


def test_preexisting_fds_maps_and_heap_then_closes():
    fx = spawn([workload("native_leaks"), "--hold"])
    read_until(fx, "leaked")
    pid = fx.pid
    out = tmpfile("pre.json")
    lk = spawn([LEAKSCOPE, "-p", str(pid), "-o", out, "--min-age", "0"])
    wait_stderr(lk, "Ctrl-C to stop")
    before = proc_fds(pid)
    os.kill(pid, signal.SIGUSR2)
    read_until(fx, "closed")
    time.sleep(0.5)
    after_fds, maps = proc_fds(pid), proc_maps(pid)
    code, _, err = stop(lk)
    eq(code, 0, f"exit status; stderr {err}")
    report = load_report(out)
    eq(len(before) - len(after_fds), 6, "the fixture closed six fds")
    # every fd in the report is pre-existing, kinds equal to /proc after closing
    fds = [s for s in report["stacks"] if s["kind"] == "fd"]
    check(fds and all(s["preexisting"] and s["frames"] == [] for s in fds),
          "pre-existing fds carry no invented stack")
    eq(report_fd_kinds(report, pid), fd_kinds(after_fds), "fd kinds vs /proc/PID/fd")
    eq(report["totals"]["fd"]["count"], len(after_fds), "fd total vs /proc")
    hostname = [p for s in fds for p in s.get("paths", []) if p["path"] == "/etc/hostname"]
    eq(hostname, [], "the closed /etc/hostname fds left the count")
    passwd = sum(p["count"] for s in fds for p in s.get("paths", []) if p["path"] == "/etc/passwd")
    eq(passwd, 4, "the four dups of /etc/passwd are still there")
    sockets = [p["path"] for s in fds if s["fd_kind"] == "socket" for p in s.get("paths", [])]
    check(any("(listening)" in p for p in sockets) and any(" -> " in p for p in sockets),
          f"sockets described with endpoints: {sockets}")
    # mappings and heap: everything /proc shows, nothing more
    mm = sum(e - s for s, e, path in maps if path not in KERNEL_AREAS and path != "[heap]")
    eq(report["totals"]["mmap"]["bytes"], mm, "mmap bytes vs /proc/PID/maps")
    eq(report["totals"]["brk"]["bytes"], mapped_bytes(maps, heap=True), "brk vs [heap]")
    check(fx.poll() is None, "target still running")


def test_new_only_skips_what_was_there():
    fx = spawn([workload("native_leaks"), "--hold"])
    read_until(fx, "leaked")
    out = tmpfile("newonly.json")
    lk = spawn([LEAKSCOPE, "-p", str(fx.pid), "-o", out, "--new-only", "-d", "1"])
    lk.communicate(timeout=60)
    eq(lk.returncode, 0, "exit status")
    report = load_report(out)
    eq(report["totals"]["fd"]["count"], 0, "no fds without --new-only's exclusion")
    eq(report["totals"]["mmap"]["count"], 0, "no mappings")
