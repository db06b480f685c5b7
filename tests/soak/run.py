#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""`make soak`: the target-safety soak (tests/soak/soak.py) for
--minutes (default 10). Prints "ok - soak" or "not ok - soak" with every
difference, and one summary line."""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import soak  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
import run as e2e_run  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=10)
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("not ok - soak (needs root: BPF)")
        return 1
    e2e_run.build_fixtures()
    s = soak.Soak().run(args.minutes * 60)
    for c in s.crashes:
        print(f"  {c}")
    print(f"{'not ok' if s.crashes or not s.runs else 'ok'} - soak")
    print(f"{1 if not s.crashes and s.runs else 0} passed, {1 if s.crashes or not s.runs else 0} failed")
    return 1 if s.crashes or not s.runs else 0


if __name__ == "__main__":
    sys.exit(main())
