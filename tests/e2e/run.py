#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Runs leakscope's end-to-end tests: every function named test_* in
tests/e2e/test_*.py. Prints "ok - name" / "not ok - name" per test (and
why), and leaves no process or probe behind, pass or fail."""
import argparse
import importlib
import os
import signal
import subprocess
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lib  # noqa: E402

FIXTURE_CFLAGS = ["-O2", "-fomit-frame-pointer", "-g", "-pthread", "-Wall"]
# More builds of some fixtures: the same code on other allocators (Debian's
# jemalloc and tcmalloc, as programs link them) and statically linked.
VARIANTS = {
    "cxx_heap.cpp": [("cxx_heap_jemalloc", ["-ljemalloc"]),
                     ("cxx_heap_tcmalloc", ["-ltcmalloc_minimal"])],
    "malloc_leaks.c": [("malloc_leaks_static", ["-static"])],
}


def build_fixtures():
    """C workloads are built -O2 -fomit-frame-pointer: like distribution
    code, complete stacks through them need CFI."""
    os.makedirs(lib.WORKLOADS, exist_ok=True)
    src_dir = os.path.join(lib.ROOT, "tests", "workloads")
    for name in sorted(os.listdir(src_dir)):
        base, ext = os.path.splitext(name)
        if ext not in (".c", ".cpp"):
            continue
        src = os.path.join(src_dir, name)
        compiler = "g++" if ext == ".cpp" else "gcc"
        if base.startswith("lib"):  # a shared library for dlopen
            out = os.path.join(lib.WORKLOADS, base + ".so")
            extra = ["-shared", "-fPIC"]
        else:
            out = os.path.join(lib.WORKLOADS, base)
            extra = ["-ldl"] if "dlopen" in name else []
        for path, more in [(out, [])] + [(os.path.join(lib.WORKLOADS, v), flags)
                                         for v, flags in VARIANTS.get(name, [])]:
            if os.path.exists(path) and os.path.getmtime(path) > os.path.getmtime(src):
                continue
            subprocess.run([compiler, *FIXTURE_CFLAGS, src, "-o", path, *extra, *more],
                           check=True)
    # Go fixtures: normal, stripped, PIE (Debian's Go 1.19)
    subprocess.run([os.path.join(src_dir, "go", "build.sh"),
                    os.path.join(lib.ROOT, "build", "go-fixtures")], check=True,
                   stdout=subprocess.DEVNULL)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--filter", default="",
                    help="run tests whose name or file holds one of these (comma-separated)")
    ap.add_argument("--prefix", default="",
                    help="put before each test's name (san_: the sanitizer build's run)")
    ap.add_argument("--tests", default="", help="exact test names, comma-separated")
    ap.add_argument("--modules", default="",
                    help="only these test files (comma-separated, without .py)")
    ap.add_argument("--exclude-modules", default="",
                    help="all test files but these (comma-separated, without .py)")
    ap.add_argument("--build-only", action="store_true", help="build the fixtures, run nothing")
    ap.add_argument("--final-check", choices=("auto", "always", "never"), default="auto",
                    help="the closing no_probe_left_behind check: auto (reported when it "
                    "fails, or passes on a whole run), always, or never (another run "
                    "shares the machine)")
    ap.add_argument("--no-build", action="store_true",
                    help="fixtures are built already (a guest of tests/kernels)")
    args = ap.parse_args()
    # a run stopped from outside (make test cut short) still kills what
    # the current test started: the exit unwinds through its finally
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    filters = [f for f in args.filter.split(",") if f]
    pre = args.prefix
    wanted = set(filter(None, args.tests.split(",")))
    modules = set(filter(None, args.modules.split(",")))
    excluded = set(filter(None, args.exclude_modules.split(",")))
    if not args.no_build:
        build_fixtures()
    if args.build_only:
        return 0
    tests = []
    for name in sorted(os.listdir(os.path.dirname(os.path.abspath(__file__)))):
        if name.startswith("test_") and name.endswith(".py") and \
                (not modules or name[:-3] in modules) and name[:-3] not in excluded:
            mod = importlib.import_module(name[:-3])
            for attr in dir(mod):
                if attr.startswith("test_") and callable(getattr(mod, attr)):
                    fn = getattr(mod, attr)
                    tests.append((fn.__code__.co_firstlineno, name, attr, fn))
    tests.sort(key=lambda t: (t[1], t[0]))
    failed = 0
    for _, modname, name, fn in tests:
        if filters and not any(f in name or f in modname for f in filters):
            continue
        if wanted and name not in wanted:
            continue
        t0 = time.time()
        try:
            fn()
            print(f"ok - {pre}{name} ({time.time() - t0:.1f}s)", flush=True)
        except lib.Failure as e:
            failed += 1
            print(f"  {e}", flush=True)
            print(f"not ok - {pre}{name}", flush=True)
        except Exception:
            failed += 1
            print("  " + traceback.format_exc().replace("\n", "\n  "), flush=True)
            print(f"not ok - {pre}{name}", flush=True)
        finally:
            lib.kill_all()
    for name in sorted(wanted - {t[2] for t in tests}):
        failed += 1
        print(f"not ok - {name} (no such test)")
    if args.final_check == "never":
        return 1 if failed else 0
    # Nothing may outlive the run: no process of ours, no probe. The
    # kernel frees detached programs after a grace period: allow it.
    deadline = time.time() + 10
    try:
        left = lib.attached_programs()
        while left and time.time() < deadline:
            time.sleep(0.2)
            left = lib.attached_programs()
    except lib.Failure as e:
        left = [f"cannot tell: {e}"]
    if left:
        failed += 1
        print(f"  BPF programs still loaded: {sorted(left)}")
        print(f"not ok - {pre}no_probe_left_behind")
    elif args.final_check == "always" or not (filters or modules or excluded or wanted):
        print(f"ok - {pre}no_probe_left_behind")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
