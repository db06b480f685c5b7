# SPDX-License-Identifier: MIT
"""Every misuse a user can make, as a table: exactly one line on stderr
that names the problem (the words listed), nothing on stdout, exit status
2 for usage errors and 1 for runtime failures, and nothing left behind.
A row is (arguments, exit status, words the line must hold)."""
import json
import os
import subprocess
import time

from lib import LEAKSCOPE, Failure, check, eq, run, tmpfile

USAGE, RUNTIME = 2, 1


def one_line(err):
    lines = [line for line in err.splitlines() if line.strip()]
    return lines


def zombie():
    """A process that has exited and not been reaped: a zombie."""
    p = subprocess.Popen(["sh", "-c", "exit 0"])
    deadline = time.time() + 10
    while time.time() < deadline:
        with open(f"/proc/{p.pid}/stat") as f:
            if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                return p
        time.sleep(0.01)
    return p


def files():
    """Inputs for convert: empty, truncated, binary, huge, not a report."""
    paths = {}
    good = os.path.join(os.path.dirname(__file__), "..", "export", "sample_report.json")
    with open(good) as f:
        text = f.read()
    for name, data in (("empty.json", ""), ("truncated.json", text[:len(text) // 2]),
                       ("binary.json", "\x7fELF\x00\x01\x02" * 100),
                       ("array.json", "[1, 2, 3]"),
                       ("huge.json", '{"version": 1, "pad": "' + "x" * (64 << 20) + '"')):
        path = tmpfile(name)
        with open(path, "w") as f:
            f.write(data)
        paths[name] = path
    cfg = tmpfile("bad.conf")
    with open(cfg, "w") as f:
        f.write("comm = nginx\nthis line has no equals sign\n")
    paths["bad.conf"] = cfg
    plain = tmpfile("not-executable")
    with open(plain, "w") as f:
        f.write("data\n")
    os.chmod(plain, 0o644)
    paths["plain"] = plain
    return paths


def rows(f, z):
    me = os.getpid()
    return [
        # which process
        (["-p", "999999999"], RUNTIME, ["999999999", "no process"]),
        (["-p", "2"], RUNTIME, ["kernel thread"]),
        (["-p", str(z.pid)], RUNTIME, [str(z.pid), "exited"]),
        (["-p", "abc"], USAGE, ["abc"]),
        (["-p", "0"], USAGE, ["0"]),
        (["-p", "-5"], USAGE, ["-5"]),
        (["-p", "99999999999999999999"], USAGE, ["99999999999999999999"]),
        (["-p", f"{me},abc"], USAGE, ["abc"]),
        # numbers out of range
        (["--stack-depth", "0", "-p", str(me)], USAGE, ["--stack-depth"]),
        (["--stack-depth", "128", "-p", str(me)], USAGE, ["--stack-depth", "128"]),
        (["--stack-depth", "-1", "-p", str(me)], USAGE, ["--stack-depth"]),
        (["--ring-buffer", "0", "-p", str(me)], USAGE, ["--ring-buffer"]),
        (["--ring-buffer", "3", "-p", str(me)], USAGE, ["--ring-buffer", "3"]),
        (["--ring-buffer", "99999999", "-p", str(me)], USAGE, ["--ring-buffer"]),
        (["-d", "-3", "-p", str(me)], USAGE, ["-3"]),
        (["-d", "1e9", "-p", str(me)], USAGE, ["1e9", "10000000"]),
        (["-d", "nan", "-p", str(me)], USAGE, ["nan"]),
        (["-i", "x", "-p", str(me)], USAGE, ["x"]),
        (["--min-age", "-1", "-p", str(me)], USAGE, ["-1"]),
        (["--top", "-2", "-p", str(me)], USAGE, ["-2"]),
        # outputs
        (["-o", "/nonexistent/dir/r.json", "-p", str(me)], USAGE, ["/nonexistent/dir"]),
        (["-o", "/proc/r.json", "-p", str(me)], USAGE, ["/proc/r.json"]),
        (["--format", "xml", "-p", str(me)], USAGE, ["xml"]),
        (["-o", tmpfile("r.xyz"), "-p", str(me)], USAGE, [".xyz"]),
        (["--kind", "heap", "-p", str(me)], USAGE, ["heap"]),
        # malloc and goroutine modes (the shared option table)
        (["--malloc=most", "-p", str(me)], USAGE, ["--malloc", "most", "off, sampled or all"]),
        (["--malloc-rate", "0", "-p", str(me)], USAGE, ["--malloc-rate", "'0'"]),
        (["--malloc-rate", "-1", "-p", str(me)], USAGE, ["--malloc-rate", "-1"]),
        (["--malloc-rate", "abc", "-p", str(me)], USAGE, ["--malloc-rate", "abc"]),
        (["--malloc-rate", "2T", "-p", str(me)], USAGE, ["--malloc-rate", "2T", "1024G"]),
        (["--malloc-prefix=", "-p", str(me)], USAGE, ["--malloc-prefix", "''"]),
        (["--malloc-prefix", "x" * 33, "-p", str(me)], USAGE, ["--malloc-prefix", "32"]),
        (["--malloc-prefix", "9x", "-p", str(me)], USAGE, ["--malloc-prefix", "9x"]),
        (["--malloc-prefix", "je_;rm", "-p", str(me)], USAGE, ["--malloc-prefix", "je_;rm"]),
        (sum((["--malloc-prefix", f"p{i}_"] for i in range(5)), []) + ["-p", str(me)], USAGE,
         ["--malloc-prefix", "at most 4"]),
        (["--go-goroutines=stacks", "-p", str(me)], USAGE,
         ["--go-goroutines", "stacks", "trace or snapshot"]),
        (["--go-goroutines=", "-p", str(me)], USAGE, ["--go-goroutines"]),
        # the command
        (["--", "no-such-command-xyz"], 127, ["no-such-command-xyz", "not found"]),
        (["--", f["plain"]], 127, ["not an executable"]),
        (["-p", str(me), "--", "true"], USAGE, ["either"]),
        ([], USAGE, ["nothing to trace"]),
        (["--no-such-option"], USAGE, ["--no-such-option"]),
        # convert
        (["convert", f["empty.json"], "-o", tmpfile("c.svg")], RUNTIME, ["empty.json"]),
        (["convert", f["truncated.json"], "-o", tmpfile("c.svg")], RUNTIME, ["truncated.json"]),
        (["convert", f["binary.json"], "-o", tmpfile("c.svg")], RUNTIME, ["binary.json"]),
        (["convert", f["array.json"], "-o", tmpfile("c.svg")], RUNTIME, ["array.json"]),
        (["convert", f["huge.json"], "-o", tmpfile("c.svg")], RUNTIME, ["huge.json"]),
        (["convert", "/nonexistent.json", "-o", tmpfile("c.svg")], RUNTIME, ["/nonexistent.json"]),
        (["convert"], USAGE, ["convert"]),
        # agent (nothing loaded and no endpoint, should a row be accepted)
        (AGENT + ["--config", f["bad.conf"]], USAGE, ["bad.conf", "line 2"]),
        (AGENT + ["--push-url", "not a url"], USAGE, ["--push-url"]),
        (AGENT + ["--push-url", "http://"], USAGE, ["--push-url"]),
        (AGENT + ["--push-url", "ftp://host/"], USAGE, ["--push-url"]),
        (AGENT + ["--push-header", "nocolon"], USAGE, ["--push-header", "nocolon"]),
        (AGENT + ["--push-header", "X-A: b\r\nX-Injected: 1"], USAGE, ["--push-header"]),
        (["agent", "--probabilistic-threshold", "0", "--listen", "nowhere"], USAGE,
         ["nowhere"]),
        (AGENT + ["--pid", "abc"], USAGE, ["abc"]),
        # the agent probes every process: only sampled malloc tracing
        (AGENT + ["--malloc=all"], USAGE, ["--malloc", "all", "off or sampled"]),
        (AGENT + ["--malloc-rate", "0"], USAGE, ["--malloc-rate"]),
        (AGENT + ["--go-goroutines=stacks"], USAGE, ["--go-goroutines", "stacks"]),
    ]


AGENT = ["agent", "--probabilistic-threshold", "0", "--listen", "off"]


def test_every_misuse_gives_one_line_and_the_right_status():
    f = files()
    z = zombie()
    failures = []
    for args, status, words in rows(f, z):
        try:
            code, out, err = run([LEAKSCOPE, *args], timeout=20)
        except Failure as e:   # it went on tracing: the input was accepted
            failures.append(f"{args}: {e}")
            continue
        lines = one_line(err)
        problems = []
        if code != status:
            problems.append(f"exit {code}, expected {status}")
        if len(lines) != 1:
            problems.append(f"{len(lines)} lines")
        elif not lines[0].startswith("leakscope"):
            problems.append("line does not name leakscope")
        missing = [w for w in words if w not in err]
        if missing:
            problems.append(f"does not say {missing}")
        if out:
            problems.append(f"stdout {out[:80]!r}")
        if problems:
            failures.append(f"{args}: {'; '.join(problems)}: {err.strip()[:200]!r}")
    z.wait()
    check(not failures, f"{len(failures)} of {len(rows(f, z))} rows fail:\n    " +
          "\n    ".join(failures))


def test_tracing_itself_is_refused_in_one_line():
    code, out, err = run(["sh", "-c", f'exec {LEAKSCOPE} -p $$'], timeout=60)
    eq(code, RUNTIME, "exit status")
    lines = one_line(err)
    eq(len(lines), 1, f"one line: {err!r}")
    check("itself" in lines[0], f"says why: {lines[0]!r}")


def test_report_that_cannot_be_written_at_the_end_goes_elsewhere():
    """-o is checked before tracing; if its directory is gone by the end,
    the report is written where it can be, and said where."""
    d = os.path.join(os.path.dirname(tmpfile("x")), "vanishing-dir")
    os.makedirs(d, exist_ok=True)
    out = os.path.join(d, "r.json")
    p = subprocess.Popen([LEAKSCOPE, "-o", out, "-d", "2", "--", "sleep", "30"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(0.5)
    os.rmdir(d)
    _, err = p.communicate(timeout=60)
    moved = [line for line in err.splitlines() if "is in " in line]
    eq(len(moved), 1, f"it says where the report went: {err!r}")
    fallback = moved[0].rsplit("is in ", 1)[1].split(" instead")[0]
    check(fallback.endswith(".json"), f"the fallback keeps the format: {fallback}")
    with open(fallback) as f:
        eq(json.load(f)["targets"][0]["comm"], "sleep", "the report in the fallback")
    eq(oct(os.stat(fallback).st_mode & 0o777), "0o600", "fallback mode")
    os.unlink(fallback)
