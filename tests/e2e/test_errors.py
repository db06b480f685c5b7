# SPDX-License-Identifier: MIT
"""Bad input: one clear line naming the problem and a way out, the right
exit status, and nothing left attached."""
import os
import signal
import subprocess
import time

from lib import (LEAKSCOPE, attached_programs, check, eq, one_line_error, read_until, run, spawn,
                 tmpfile, workload)


def no_probes_left():
    deadline = time.time() + 10
    while attached_programs() and time.time() < deadline:
        time.sleep(0.2)
    eq(sorted(attached_programs()), [], "leakscope programs left in the kernel")


def test_no_such_pid():
    code, out, err = run([LEAKSCOPE, "-p", "999999999"])
    eq(code, 1, "exit status")
    one_line_error(err, "no process with PID 999999999")
    eq(out, "", "nothing on stdout")


def test_one_bad_pid_among_good_ones():
    code, _, err = run([LEAKSCOPE, "-p", f"{os.getpid()},999999998"])
    eq(code, 1, "exit status")
    one_line_error(err, "999999998")


def test_unknown_option_is_usage_error():
    code, _, err = run([LEAKSCOPE, "--no-such-option", "-p", "1"])
    eq(code, 2, "exit status")
    one_line_error(err, "--no-such-option", "--help")


def test_bad_values_are_usage_errors():
    for args, word in ((["-p", "abc"], "abc"), (["-p", "0"], "'0'"),
                       (["-d", "soon", "-p", "1"], "soon"), (["-d", "-3", "-p", "1"], "-3"),
                       (["-i", "x", "-p", "1"], "x"), (["--format", "xml", "-p", "1"], "xml"),
                       (["--min-age", "-1", "-p", "1"], "-1"),
                       (["--stack-depth", "500", "-p", "1"], "500"),
                       (["--ring-buffer", "3", "-p", "1"], "3"),
                       (["--stack-snapshot", "6", "-p", "1"], "6"), ([], "nothing to trace"),
                       (["-p", "1", "--", "true"], "either")):
        code, _, err = run([LEAKSCOPE, *args])
        eq(code, 2, f"exit status of {args}")
        one_line_error(err, word)


def test_command_not_found():
    code, _, err = run([LEAKSCOPE, "--", "no-such-command-xyz"])
    eq(code, 127, "exit status")
    one_line_error(err, "no-such-command-xyz", "not found")
    code, _, err = run([LEAKSCOPE, "--", "./no/such/path"])
    eq(code, 127, "exit status for a missing path")
    one_line_error(err, "no such file")
    plain = tmpfile("not-executable")
    with open(plain, "w") as f:
        f.write("data\n")
    os.chmod(plain, 0o644)
    code, _, err = run([LEAKSCOPE, "--", plain])
    eq(code, 127, "exit status for a non-executable")
    one_line_error(err, "not an executable")


def test_not_root():
    code, _, err = run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                        LEAKSCOPE, "-p", "1"])
    eq(code, 1, "exit status")
    one_line_error(err, "needs root", "sudo")


def test_no_btf():
    # Hide the BTF file in a private mount namespace of this one command.
    code, _, err = run(["unshare", "-m", "sh", "-c",
                        f"mount -t tmpfs none /sys/kernel/btf && exec {LEAKSCOPE} -p 1"])
    eq(code, 1, "exit status")
    one_line_error(err, "no BTF", "CONFIG_DEBUG_INFO_BTF")


def test_kernel_thread_pid():
    code, _, err = run([LEAKSCOPE, "-p", "2"])
    eq(code, 1, "exit status")
    one_line_error(err, "kernel thread")


def test_pid_exits_during_attach():
    victim = spawn(["sleep", "30"])
    env = dict(os.environ, LEAKSCOPE_TEST_ATTACH_DELAY_MS="1500")
    lk = spawn([LEAKSCOPE, "-p", str(victim.pid)], env=env)
    time.sleep(0.5)
    victim.kill()
    victim.wait()
    out, err = lk.communicate(timeout=60)
    eq(lk.returncode, 1, f"exit status; stderr {err}")
    one_line_error(err, f"PID {victim.pid} exited while attaching")
    eq(out, "", "no report for a target that never was traced")
    no_probes_left()


def test_killed_child_status_and_cleanup():
    lk = spawn([LEAKSCOPE, "-q", "--", workload("native_leaks"), "--wait"])
    pid = int(read_until(lk, "ready")[-1].split()[1])
    os.kill(pid, signal.SIGKILL)
    out, err = lk.communicate(timeout=60)
    eq(lk.returncode, 128 + 9, "leakscope exits 128+signal like a shell")
    check("killed by signal 9" in out, f"report says how it ended: {out[:400]}")
    no_probes_left()
    eq(subprocess.run(["grep", "-c", "tracefs", "/proc/self/mounts"],
                      capture_output=True, text=True).stdout.strip() in ("0", ""),
       True, "no tracefs mount left in our namespace")
