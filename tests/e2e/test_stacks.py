# SPDX-License-Identifier: MIT
"""Complete native stacks: through Debian's libc (no frame pointers) with
CFI, file:line for each site, inlined frames, dlopen'ed code, C++ names,
and truncation counted."""
import os
import re
import shutil
import signal
import time

from lib import (LEAKSCOPE, ROOT, TMP, attach_during_leak, check, eq, expectations, load_report,
                 read_until, run, site_stacks, site_total, spawn, tmpfile, workload)

SOURCE = os.path.join(ROOT, "tests", "workloads", "native_leaks.c")


def marker_lines():
    """{site: line} from the LINE: markers on the leaking calls."""
    out = {}
    with open(SOURCE) as f:
        for n, line in enumerate(f, 1):
            m = re.search(r"/\* LINE:(\w+)", line)
            if m:
                out[m.group(1)] = n
    return out


def run_fixture(*extra, args=(), cmd=None, **kw):
    """cmd: how the fixture is named on the command line; kw: for spawn."""
    out = os.path.abspath(tmpfile("stacks.json"))  # kw may hold another cwd
    p = spawn([LEAKSCOPE, "-q", "-o", out, *extra, "--", cmd or workload("native_leaks"), *args],
              **kw)
    stdout, err = p.communicate(timeout=90)
    eq(p.returncode, 0, f"exit status; stderr {err}")
    return load_report(out), expectations(stdout.splitlines())


def test_every_site_has_its_line_and_main_below():
    report, _ = run_fixture()
    lines = marker_lines()
    check(len(lines) >= 7, f"markers found: {lines}")
    kinds = {"leak_mmap_site": "mmap", "leak_brk_site": "brk"}
    for site, line in lines.items():
        stacks = site_stacks(report, site, kinds.get(site, "fd"))
        check(stacks, f"no stack holds {site}")
        for s in stacks:
            i = s["frames"].index(site)
            loc = s["locations"][i]
            check(loc.get("file", "").endswith("tests/workloads/native_leaks.c"),
                  f"{site} frame file: {loc}")
            if site in ("leak_misc_fd_site", "leak_dup_site"):
                continue  # several calls per site; the marker is on one
            eq(loc.get("line"), line, f"line of {site}")
            check(s["frames"].index("main") > i, f"main below {site}: {s['frames']}")
            eq(s["frames"][-1], "_start", f"outermost frame of {site}")


def test_command_ended_before_its_records_are_read_is_named():
    """A collector starved of CPU reads a short command's first record
    after the command has ended (LEAKSCOPE_TEST_POLL_DELAY_MS makes it
    so): /proc has nothing left and the exec record alone places the
    program. Run by a relative path and by a path longer than 255 bytes,
    every site is named down to main with the count the command printed;
    a program deleted from disk by then is counted unnamed, and a note
    says why."""
    # 2 s: time for each command (and the removal of the copy below) to
    # end before the first record is read, even on a loaded machine
    late = dict(os.environ, LEAKSCOPE_TEST_POLL_DELAY_MS="2000")
    work = os.path.abspath(os.path.join(TMP, "late-read"))
    deep = os.path.join(work, *["d" * 60] * 4)
    os.makedirs(deep, exist_ok=True)
    shutil.copy(workload("native_leaks"), deep)
    try:
        for how, cmd, cwd in (("by ./native_leaks", "./native_leaks", os.path.dirname(
                                   workload("native_leaks"))),
                              ("by a long path", os.path.join(deep, "native_leaks"), None)):
            check(cwd or len(cmd) > 255, f"{how}: {len(cmd)} bytes")
            report, want = run_fixture(cmd=cmd, cwd=cwd, env=late)
            eq([n for n in report["notes"] if "could not be read" in n], [],
               f"{how}: no program left unread")
            eq(report["unresolved_frames"], 0, f"{how}: every frame named")
            check(len(want) >= 7, f"{how}: the command's own account: {want}")
            for (site, kind), (count, _) in want.items():
                eq(site_total(report, site, kind)[0], count, f"{how}: {site} {kind} count")
                for s in site_stacks(report, site, kind):
                    check("main" in s["frames"][s["frames"].index(site):],
                          f"{how}: main below {site}: {s['frames']}")
        # -f: a child runs a copy of the program that is deleted before
        # the records are read: nothing can name its frames
        prog = os.path.join(work, "prog")
        out = tmpfile("late-deleted.json")
        code, _, err = run([LEAKSCOPE, "-q", "-f", "-o", out, "--", "sh", "-c",
                            f'cp "$0" {prog} && {prog}; rm -f {prog}', workload("native_leaks")],
                           env=late)
        eq(code, 0, f"exit status; stderr {err}")
        report = load_report(out)
        notes = [n for n in report["notes"] if f"its program {prog} could not be read" in n]
        eq(len(notes), 1, f"the deleted program's note: {report['notes']}")
        pid = int(notes[0].split()[1].rstrip(":"))
        nameless = sum(1 for s in report["stacks"] if s["pid"] == pid for f in s["frames"]
                       if f.startswith("[unknown"))
        check(nameless > 0, "its frames unnamed: "
              f"{[s['frames'] for s in report['stacks'] if s['pid'] == pid]}")
        check(report["unresolved_frames"] >= nameless, "and counted as unresolved")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def test_inlined_function_shows_as_its_own_frame():
    report, _ = run_fixture()
    for s in site_stacks(report, "leak_mmap_site", "mmap"):
        f = s["frames"]
        check("map_anon" in f and f.index("map_anon") == f.index("leak_mmap_site") - 1,
              f"map_anon (inlined into leak_mmap_site) right above it: {f}")
        eq(s["locations"][f.index("map_anon")].get("inlined"), True, "marked inlined")


def test_frame_pointers_alone_lose_the_caller():
    """The problem CFI solves, shown: libc's open() reuses RBP, so the
    kernel's frame-pointer walk skips leak_open_site."""
    fp_only, _ = run_fixture("--stack-snapshot", "0")
    cfi, expect = run_fixture()
    eq(site_total(fp_only, "leak_open_site", "fd"), (0, 0), "FP-only finds the site")
    eq(site_total(cfi, "leak_open_site", "fd"), expect[("leak_open_site", "fd")],
       "CFI finds it")
    eq(cfi["stats"]["stacks_broken"], 0, "no broken unwind")
    check(cfi["stats"]["stacks_unwound"] > 20, f"stats {cfi['stats']}")


def test_deep_stack_complete_with_default_snapshot():
    report, expect = run_fixture(args=("--deep", "10"))
    stacks = site_stacks(report, "deep_site", "fd")
    eq(sum(s["count"] for s in stacks), 1, "the deep fd")
    f = stacks[0]["frames"]
    eq(f.count("deep_site"), 10, "every recursion level")
    check("main" in f, f"main at the bottom: {f[-4:]}")
    eq(stacks[0]["truncated"], False, "not truncated")


def test_truncation_is_counted_and_marked():
    report, _ = run_fixture("--stack-snapshot", "4", args=("--deep", "10"))
    stacks = site_stacks(report, "deep_site", "fd")
    check(stacks, "deep stack present")
    eq(stacks[0]["truncated"], True, "marked truncated")
    check(stacks[0]["frames"].count("deep_site") < 10, "cut short")
    check(report["stats"]["stacks_truncated"] >= 1, f"counted: {report['stats']}")
    report, _ = run_fixture("--stack-depth", "3")
    s = site_stacks(report, "leak_socket_site", "fd") or [
        x for x in report["stacks"] if x["kind"] == "fd" and x["fd_kind"] == "socket"]
    check(s and all(len(x["frames"]) <= 4 for x in s), "depth limit applied")
    check(report["stats"]["stacks_truncated"] > 0, "depth truncation counted")


def test_dlopen_after_attach_is_named():
    fx = spawn([workload("dlopen_leaks")])
    pid = int(read_until(fx, "ready")[-1].split()[1])
    out = tmpfile("dlopen.json")
    attach_during_leak(fx, pid, out)
    report = load_report(out)
    eq(site_total(report, "plugin_leak_site", "fd"), (3, 0), "plugin fds")
    eq(site_total(report, "plugin_leak_site", "mmap"), (3, 3 * 3 * 4096), "plugin mmaps")
    for s in site_stacks(report, "plugin_leak_site", "fd"):
        f = s["frames"]
        check(f.index("plugin_leak_site") < f.index("load_plugin_site") < f.index("main"),
              f"plugin -> loader -> main: {f}")
        i = f.index("plugin_leak_site")
        check(s["locations"][i].get("module", "").endswith("libplugin.so"),
              f"module of the plugin frame: {s['locations'][i]}")


def test_cxx_names_are_demangled():
    out = tmpfile("cxx.json")
    p = spawn([LEAKSCOPE, "-q", "-o", out, "--", workload("cxx_leaks")])
    _, err = p.communicate(timeout=60)
    eq(p.returncode, 0, f"exit status; stderr {err}")
    report = load_report(out)
    eq(site_total(report, "leaky::Pool<int>::grow(unsigned long)", "mmap"), (4, 4 * 2 * 4096),
       "mappings of Pool<int>::grow")
    # GCC may clone the method (" [clone .isra.0]"): the name stays readable
    fds = [x for x in report["stacks"] if x["kind"] == "fd" and any(
        f.startswith("leaky::Registry::open_handle(char const*)") for f in x["frames"])]
    eq(sum(x["count"] for x in fds), 2, "fds of Registry::open_handle")


def check_cgo_stack(binary):
    out = tmpfile("cgo.json")
    p = spawn([LEAKSCOPE, "-q", "-o", out, "--", binary, "-exit"])
    stdout, err = p.communicate(timeout=60)
    eq(p.returncode, 0, f"exit status; stderr {err}")
    report = load_report(out)
    stacks = site_stacks(report, "c_leak_site", "fd")
    eq(sum(s["count"] for s in stacks), 3, f"{binary}: fds leaked in C")
    for s in stacks:
        f = s["frames"]
        # C frames, the switch, then the goroutine that called C: one stack
        for a, b in (("c_leak_site", "runtime.asmcgocall"),
                     ("runtime.asmcgocall", "main.goCallsC"), ("main.goCallsC", "main.main")):
            check(a in f and b in f and f.index(a) < f.index(b), f"{a} before {b} in {f}")
        check(not any(x.startswith("[unknown") for x in f), f"no unnamed frame in {f}")
    eq(site_total(report, "c_leak_site", "mmap"), (1, 65536), "the mapping made in C")


def test_cgo_stack_is_one_stack_from_c_into_go():
    check_cgo_stack(os.path.join(ROOT, "build", "go-fixtures", "cgoleaks"))
    check_cgo_stack(os.path.join(ROOT, "build", "go-fixtures", "cgoleaks.stripped"))
    check_cgo_stack(os.path.join(ROOT, "build", "go-fixtures", "cgoleaks.extpie"))
