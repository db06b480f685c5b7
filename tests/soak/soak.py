# SPDX-License-Identifier: MIT
"""Target-safety soak: programs that stress what a tracer can break, run
again and again under full tracing, each run's output compared byte for
byte with an untraced run of the same program. A crash of the target, a
wrong result or a changed exit status is a difference.

  go_launch    the Go stress program (tests/workloads/go/stress: deep
               recursion in 48 goroutines, panics, 20,000 goroutines a
               round, cgo, preemption) launched under leakscope with every
               allocation probed (--go-alloc=all); normal, stripped and
               PIE builds in turn
  go_attach    the same, leakscope attaching (-p) while it runs
  c_threads    tests/workloads/thread_exit.c under -f: threads that die
               inside traced syscalls (cancelled in accept(), killed by
               the group's exit in open(), mmap, munmap, close); once
               plain and once with every malloc-family call probed too
               (--malloc=all: threads cancelled and killed between a
               malloc's entry and its return)

Goroutine modes: GOROUTINE_MODES lists them; "trace" is the default and
needs no option, any other is passed as --go-goroutines=MODE, so a new
mode is one word here.

Used by `make soak` (tests/soak/run.py, 10 minutes) and by the 1-minute
test inside `make test` (tests/e2e/test_soak.py)."""
import json
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
import lib  # noqa: E402

GOROUTINE_MODES = ["trace", "snapshot"]
C_MALLOC_MODES = ["off", "all"]
GO_ROUNDS = 3       # rounds of the Go program per run (~0.2 s each untraced)
C_ROUNDS = 20       # forked children per run of the C program
GO_VARIANTS = ["", ".stripped", ".pie"]


def go_fixture(variant):
    return os.path.join(lib.ROOT, "build", "go-fixtures", "stress" + variant)


def mode_args(mode):
    return [] if mode == "trace" else [f"--go-goroutines={mode}"]


class Soak:
    def __init__(self):
        self.runs = 0
        self.crashes = []       # what differed, one line each
        self.records = 0
        self.lost = 0
        self.reference = {}

    def untraced(self, argv):
        key = tuple(argv)
        if key not in self.reference:
            p = subprocess.run(argv, capture_output=True, text=True, timeout=300)
            if p.returncode != 0:
                raise lib.Failure(f"{argv} fails untraced: status {p.returncode}, {p.stderr[-500:]}")
            self.reference[key] = p.stdout
        return self.reference[key]

    def judge(self, name, argv, code, out, report_path, lk_err):
        """One traced run against the untraced reference."""
        self.runs += 1
        want = self.untraced(argv)
        if code != 0 or out != want:
            diff = next((f"line {i + 1}: {a!r} != {b!r}" for i, (a, b) in
                         enumerate(zip(out.splitlines(), want.splitlines())) if a != b),
                        f"{len(out)} vs {len(want)} bytes")
            self.crashes.append(f"{name}: status {code}, output differs ({diff}); "
                                f"leakscope stderr {lk_err[-300:]!r}")
            return
        try:
            report = lib.load_report(report_path)
        except (OSError, ValueError) as e:
            self.crashes.append(f"{name}: no report from leakscope ({e}); stderr {lk_err[-300:]!r}")
            return
        self.records += report.get("stats", {}).get("records", 0)
        self.lost += report.get("lost_events", 0)
        bad = [n for n in report.get("notes", []) if "malformed" in n]
        if bad:
            self.crashes.append(f"{name}: {bad}")

    def go_launch(self, variant, mode):
        argv = [go_fixture(variant), str(GO_ROUNDS)]
        out = lib.tmpfile("soak-go-launch.json")
        p = subprocess.run([lib.LEAKSCOPE, "-q", "--go-alloc=all", *mode_args(mode), "-o", out,
                            "--", *argv], capture_output=True, text=True, timeout=600)
        self.judge(f"go_launch{variant} ({mode})", argv, p.returncode, p.stdout, out, p.stderr)

    def go_attach(self, variant, mode):
        argv = [go_fixture(variant), str(GO_ROUNDS)]
        out = lib.tmpfile("soak-go-attach.json")
        target = lib.spawn(argv)
        time.sleep(0.05)   # attach while it is in its first round
        lk = lib.spawn([lib.LEAKSCOPE, "-q", "--go-alloc=all", *mode_args(mode), "-o", out,
                        "-p", str(target.pid)])
        t_out, _ = target.communicate(timeout=600)
        _, lk_err = lk.communicate(timeout=120)
        if lk.returncode != 0:
            # the target may end before attach completes: that is no crash
            if "exited while attaching" in lk_err or "no process" in lk_err:
                self.runs += 1
                self.untraced(argv)
                if target.returncode != 0 or t_out != self.untraced(argv):
                    self.crashes.append(f"go_attach{variant}: target status {target.returncode}")
                return
            self.crashes.append(f"go_attach{variant} ({mode}): leakscope status {lk.returncode}: "
                                f"{lk_err[-300:]!r}")
            return
        self.judge(f"go_attach{variant} ({mode})", argv, target.returncode, t_out, out, lk_err)

    def c_threads(self, malloc):
        argv = [lib.workload("thread_exit"), str(C_ROUNDS)]
        out = lib.tmpfile("soak-c.json")
        p = subprocess.run([lib.LEAKSCOPE, "-q", "-f", f"--malloc={malloc}", "-o", out, "--",
                            *argv], capture_output=True, text=True, timeout=600)
        self.judge(f"c_threads (--malloc={malloc})", argv, p.returncode, p.stdout, out, p.stderr)

    def run(self, seconds, log=print):
        """Cycle through every program, variant and mode until seconds
        have passed, and at least once each kind (launch, C threads,
        attach)."""
        # every kind of run early, then the variants
        cycle = [(self.go_launch, ("", m)) for m in GOROUTINE_MODES]
        cycle += [(self.c_threads, (m,)) for m in C_MALLOC_MODES]
        cycle += [(self.go_attach, ("", m)) for m in GOROUTINE_MODES]
        cycle += [(self.go_launch, (v, m)) for v in GO_VARIANTS[1:] for m in GOROUTINE_MODES]
        first = len(C_MALLOC_MODES) + 2 * len(GOROUTINE_MODES)
        start = time.time()
        i = 0
        while time.time() - start < seconds or i < first:
            fn, args = cycle[i % len(cycle)]
            try:
                fn(*args)
            finally:
                lib.kill_all()
            i += 1
        self.seconds = time.time() - start
        log(f"# soak: {self.runs} traced runs in {self.seconds / 60:.1f} min, "
            f"{len(self.crashes)} target crashes or differences, {self.records} records, "
            f"{self.lost} lost")
        return self
