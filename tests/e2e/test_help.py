# SPDX-License-Identifier: MIT
"""--help tells the truth: every kind a real session reports is in its
"Kinds" paragraph, every kind named there is one --kind accepts, the
other commands it names exist, and it sends people to no made-up
address."""
import os
import re

from lib import LEAKSCOPE, ROOT, check, eq, load_report, run, tmpfile

GOLEAKS = os.path.join(ROOT, "build", "go-fixtures", "goleaks")


def kinds_paragraph(text):
    m = re.search(r"^Kinds: (.*?)(?:\n\n|\Z)", text, re.M | re.S)
    check(m, f"--help has a 'Kinds:' paragraph: {text[-1500:]!r}")
    return " ".join(m.group(1).split())


def test_help_lists_every_kind_a_session_reports():
    # Ground truth: the kinds a real session of a Go program reports (the
    # totals of its JSON report), not a list copied from the code.
    out = tmpfile("help-kinds.json")
    code, _, err = run([LEAKSCOPE, "-q", "-o", out, "--", GOLEAKS, "-now", "-exit"])
    eq(code, 0, f"tracing goleaks to its end; stderr {err[-800:]!r}")
    reported = set(load_report(out)["totals"])
    check({"mmap", "brk", "fd", "goroutine", "go_heap"} <= reported,
          f"a Go session reports native and Go kinds: {sorted(reported)}")
    code, text, _ = run([LEAKSCOPE, "--help"])
    eq(code, 0, "exit status of --help")
    para = kinds_paragraph(text)
    words = set(re.findall(r"[a-z_]+", para))
    for kind in sorted(reported):
        check(kind in words, f"--help's Kinds paragraph names {kind!r}: {para!r}")
    # Every kind it names (the word before a parenthesis) is one the
    # tracer takes: a known kind gets past --kind to "nothing to trace".
    named = re.findall(r"([a-z_]+) \(", para)
    check(len(named) >= len(reported), f"kinds named with what they are: {named}")
    for kind in named:
        code, _, err = run([LEAKSCOPE, "--kind", kind])
        eq(code, 2, f"exit status of --kind {kind} without a target")
        check("nothing to trace" in err, f"--kind {kind} accepted: {err.strip()!r}")
    code, _, err = run([LEAKSCOPE, "--kind", "heap"])
    check(code == 2 and "unknown --kind" in err, f"a made-up kind is refused: {err!r}")


def test_help_names_the_other_commands_and_no_fake_address():
    code, text, _ = run([LEAKSCOPE, "--help"])
    eq(code, 0, "exit status of --help")
    for cmd in ("agent", "convert"):
        check(f"leakscope {cmd}" in text, f"--help mentions `leakscope {cmd}`")
        code, usage, err = run([LEAKSCOPE, cmd, "--help"])
        eq(code, 0, f"`leakscope {cmd} --help` exists; stderr {err!r}")
        check(usage.startswith(f"Usage: leakscope {cmd}"), f"{cmd} usage: {usage[:200]!r}")
    eq(re.findall(r"\w+://\S+", text), [], "addresses in --help (the project has none)")
    check("Report bugs" not in text, "no bug-report address")
    check("README.md" in text, "--help points at the README")
