# SPDX-License-Identifier: MIT
"""`leakscope check` against what the kernel itself says (its BTF as
bpftool dumps it, bpftool's own feature probe, uname), and the
fallbacks forced on this kernel (LEAKSCOPE_FORCE_FALLBACK): every one of
them still traces exactly, with the programs that call no kfunc."""
import json
import os
import re
import subprocess
import time

import test_go_goroutines
import test_malloc
import test_native
import test_stacks
from lib import LEAKSCOPE, check, eq, read_until, run, spawn, stop, wait_stderr, workload

# check's name of each optional feature -> its line in the output
OPTIONAL = {
    "find_vma": "bpf_find_vma",
    "ringbuf_dynptr": "ring-buffer dynptrs",
    "read_user_dynptr": "kfunc bpf_probe_read_user_dynptr",
    "rdonly_cast": "kfunc bpf_rdonly_cast",
    "group_dead": "group_dead argument of sched_process_exit",
    "uprobe_session": "session uprobes, kfunc bpf_session_is_return",
}


def run_check(env=None, timeout=180):
    return run([LEAKSCOPE, "check"], timeout=timeout,
               env=dict(os.environ, **(env or {})))


def feature_states(out):
    """{feature line: 'yes'|'no'|'off'} of check's optional features."""
    states = {}
    for name, what in OPTIONAL.items():
        m = re.search(r"^  (yes|no|off)\s+" + re.escape(what) + r"\s", out, re.M)
        check(m, f"check lists {what!r}: {out}")
        states[name] = m.group(1)
    return states


def kernel_truth():
    """What the kernel offers, from bpftool: kfuncs and the exit
    tracepoint's arguments in its BTF, helpers from its feature probe."""
    r = subprocess.run(["bpftool", "btf", "dump", "file", "/sys/kernel/btf/vmlinux",
                        "format", "raw"], capture_output=True, text=True)
    eq(r.returncode, 0, f"bpftool btf dump: {r.stderr[-300:]}")
    lines = r.stdout.splitlines()
    funcs = {m.group(1) for m in (re.match(r"^\[\d+\] FUNC '(\w+)'", l) for l in lines) if m}
    enumerators = {m.group(1) for m in (re.match(r"^\s+'(\w+)' val=", l) for l in lines) if m}
    by_id = {}
    for i, l in enumerate(lines):
        m = re.match(r"^\[(\d+)\] (\w+) '([^']*)'(.*)$", l)
        if m:
            by_id[int(m.group(1))] = (m.group(2), m.group(3), m.group(4), i)
    # typedef btf_trace_sched_process_exit -> PTR -> FUNC_PROTO vlen=N
    tid = next(k for k, v in by_id.items()
               if v[0] == "TYPEDEF" and v[1] == "btf_trace_sched_process_exit")
    ptr = int(re.search(r"type_id=(\d+)", by_id[tid][2]).group(1))
    proto = int(re.search(r"type_id=(\d+)", by_id[ptr][2]).group(1))
    vlen = int(re.search(r"vlen=(\d+)", by_id[proto][2]).group(1))
    r = subprocess.run(["bpftool", "-j", "feature", "probe", "kernel"],
                       capture_output=True, text=True)
    eq(r.returncode, 0, f"bpftool feature probe: {r.stderr[-300:]}")
    helpers = set(json.loads(r.stdout)["helpers"]["tracepoint_available_helpers"])
    return {
        "find_vma": "bpf_find_vma" in helpers,
        "ringbuf_dynptr": "bpf_ringbuf_reserve_dynptr" in helpers,
        "read_user_dynptr": "bpf_probe_read_user_dynptr" in funcs,
        "rdonly_cast": "bpf_rdonly_cast" in funcs,
        # the tracepoint's private data, the task, then group_dead
        "group_dead": vlen == 3,
        "uprobe_session": "BPF_TRACE_UPROBE_SESSION" in enumerators
                          and "bpf_session_is_return" in funcs,
    }


def test_check_says_what_this_kernel_offers():
    code, out, err = run_check()
    eq(code, 0, f"exit status; stdout {out[-1500:]} stderr {err[-500:]}")
    release = os.uname().release
    check(out.startswith(f"leakscope check: Linux {release} "), f"names the kernel: {out[:80]}")
    truth = kernel_truth()
    states = feature_states(out)
    eq({k: v == "yes" for k, v in states.items()}, truth,
       "features check says the kernel has vs bpftool's answers")
    # the programs it loaded are the ones the features allow
    kfuncs = (truth["ringbuf_dynptr"] and truth["read_user_dynptr"]) or truth["rdonly_cast"]
    session = truth["uprobe_session"] and kfuncs
    check(re.search(r"^  ok\s+load\s+\d+ native \(%s kfunc calls\), \d+ Go, \d+ malloc \(%s\)" %
                    ("with" if kfuncs else "without",
                     "session uprobes" if session else r"uprobe \+ uretprobe"), out, re.M),
          f"the load line: {out[-600:]}")
    check(re.search(r"^  ok\s+malloc\s+%s" % ("session uprobes" if session else
                                              "an entry uprobe and a uretprobe"), out, re.M),
          f"the malloc line: {out[-1200:]}")
    for mode in ("trace", "snapshot"):
        check(re.search(r"^  ok\s+--go-goroutines=%s\s" % mode, out, re.M),
              f"the goroutine mode {mode}: {out[-1200:]}")
    fallbacks = sum(1 for v in truth.values() if not v)
    last = out.strip().splitlines()[-1]
    eq(last, "leakscope works here: every feature it can use" if not fallbacks else
       f"leakscope works here: {fallbacks} feature{'s' if fallbacks > 1 else ''} by "
       "fallback, nothing lost", "the verdict")


def test_check_forced_fallbacks_and_bad_names():
    code, out, err = run_check({"LEAKSCOPE_FORCE_FALLBACK": "all"})
    eq(code, 0, f"exit status; {out[-800:]} {err[-300:]}")
    states = feature_states(out)
    check(all(v in ("off", "no") for v in states.values()), f"every fallback taken: {states}")
    check(re.search(r"^  ok\s+load\s+\d+ native \(without kfunc calls\), \d+ Go, \d+ malloc "
                    r"\(uprobe \+ uretprobe\)", out, re.M),
          f"the programs without kfunc calls loaded: {out[-600:]}")
    code, out, err = run_check({"LEAKSCOPE_FORCE_FALLBACK": "find_vma,warp_drive"})
    eq(code, 2, "exit status for an unknown feature")
    lines = [l for l in err.splitlines() if l.strip()]
    eq(len(lines), 1, f"one line: {err!r}")
    check("'warp_drive'" in lines[0] and "find_vma" in lines[0], f"names it: {lines[0]}")
    code, _, err = run([LEAKSCOPE, "check", "--now"])
    eq(code, 2, "exit status for an argument")
    lines = [l for l in err.splitlines() if l.strip()]
    eq(len(lines), 1, f"one line: {err!r}")
    check("'--now'" in lines[0] and "--help" in lines[0], f"names it and a way out: {lines[0]}")


def test_check_without_privileges_or_btf_says_what_is_missing():
    code, out, _ = run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                        LEAKSCOPE, "check"], timeout=120)
    eq(code, 1, f"exit status without privileges: {out[-500:]}")
    last = out.strip().splitlines()[-1]
    check(last.startswith("leakscope cannot run here: missing privileges (run as root)"),
          f"the verdict names privileges: {last}")
    # BTF hidden in a private mount namespace of this one command
    code, out, _ = run(["unshare", "-m", "sh", "-c",
                        f"mount -t tmpfs none /sys/kernel/btf && exec {LEAKSCOPE} check"],
                       timeout=120)
    eq(code, 1, f"exit status without BTF: {out[-500:]}")
    check(re.search(r"^  NO\s+kernel BTF", out, re.M), f"the BTF line says NO: {out[:1500]}")
    check("missing kernel BTF" in out.strip().splitlines()[-1], f"verdict: {out[-300:]}")


def loaded_programs():
    r = subprocess.run(["bpftool", "-j", "prog", "show"], capture_output=True, text=True)
    return {p.get("name") for p in json.loads(r.stdout or "[]")}


def uprobe_programs_of(pid):
    """{'uprobe'|'uretprobe': [program name per probe]} that process pid
    holds, from the kernel's list of perf-event links (bpftool)."""
    names = {p["id"]: p.get("name") for p in json.loads(subprocess.run(
        ["bpftool", "-j", "prog", "show"], capture_output=True, text=True).stdout or "[]")}
    r = subprocess.run(["bpftool", "-j", "perf", "show"], capture_output=True, text=True)
    eq(r.returncode, 0, f"bpftool perf show: {r.stderr[-300:]}")
    held = {"uprobe": [], "uretprobe": []}
    for e in json.loads(r.stdout or "[]"):
        if e.get("pid") == pid and e.get("fd_type") in held:
            held[e["fd_type"]].append(names.get(e["prog_id"]))
    return held


def with_fallbacks(fn):
    """Run an e2e test with every fallback forced; the traced run must
    use the programs without kfunc calls (seen in the kernel's list)."""
    old = os.environ.get("LEAKSCOPE_FORCE_FALLBACK")
    os.environ["LEAKSCOPE_FORCE_FALLBACK"] = "all"
    try:
        fn()
    finally:
        if old is None:
            del os.environ["LEAKSCOPE_FORCE_FALLBACK"]
        else:
            os.environ["LEAKSCOPE_FORCE_FALLBACK"] = old


def test_every_fallback_loads_the_programs_without_kfuncs():
    """The kernel's own list of programs shows the ones without kfunc
    calls while a run with every fallback forced is attached (and only
    then: no other run loads them)."""
    env = dict(os.environ, LEAKSCOPE_FORCE_FALLBACK="all")
    fixture = spawn([workload("native_leaks"), "--wait"])
    pid = int(read_until(fixture, "ready")[-1].split()[1])
    lk = spawn([LEAKSCOPE, "-p", str(pid), "--malloc=all"], env=env)
    wait_stderr(lk, "Ctrl-C to stop")
    during = loaded_programs()
    ours = uprobe_programs_of(lk.pid)
    code, _, err = stop(lk)
    eq(code, 0, f"leakscope exit status; {err[-300:]}")
    check({"nokf_exit_mmap", "nokf_exit_brk", "nokf_malloc_return"} <= during,
          f"nokf_* programs run: {sorted(n for n in during if n and n.startswith('nokf'))}")
    # the return probes it holds (other runs on the machine may hold
    # the others); session links are not perf events: none may be there
    check(ours["uretprobe"] and set(ours["uretprobe"]) == {"nokf_malloc_return"},
          f"malloc's return probes: {ours}")
    deadline = time.time() + 10
    while "nokf_exit_mmap" in loaded_programs() and time.time() < deadline:
        time.sleep(0.2)
    check("nokf_exit_mmap" not in loaded_programs(), "nokf_exit_mmap left loaded")


def test_every_fallback_native_exact_per_site():
    with_fallbacks(test_native.test_launch_exact_per_site_and_proc)
    with_fallbacks(test_native.test_attach_pid_exact_per_site_and_proc)


def test_every_fallback_complete_stacks():
    with_fallbacks(test_stacks.test_every_site_has_its_line_and_main_below)
    with_fallbacks(test_stacks.test_deep_stack_complete_with_default_snapshot)
    # stacks other than the main thread's: their end unknown without
    # bpf_find_vma, copied page by page
    with_fallbacks(test_stacks.test_cgo_stack_is_one_stack_from_c_into_go)


def test_every_fallback_threads_exits_and_forks():
    with_fallbacks(test_native.test_threads_count_under_their_process)
    with_fallbacks(test_native.test_exiting_target_reports_what_it_held_and_its_status)
    with_fallbacks(test_native.test_follow_forks_traces_children)


def test_every_fallback_malloc_exact():
    """malloc without session uprobes (an entry probe and a uretprobe),
    its live stacks through the per-CPU buffer (nokf_malloc_return)."""
    with_fallbacks(test_malloc.test_malloc_family_exact_per_site_launched)
    with_fallbacks(test_malloc.test_malloc_sampled_scales_like_pprof)


def test_every_fallback_goroutines():
    """Goroutines traced by nokf_go_create, the creators' stacks copied
    through the per-CPU buffer: equal to the kernel's walk, and the
    goroutines equal to the runtime's own dump."""
    with_fallbacks(test_go_goroutines.test_trace_mode_has_both_goroutine_probes)
    with_fallbacks(test_go_goroutines.test_copied_creation_stacks_equal_the_kernels_walk)
