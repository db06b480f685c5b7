# SPDX-License-Identifier: MIT
"""Target safety: one minute of the soak (`make soak` runs ten): Go and C
stress programs under full tracing, each traced run's output equal to an
untraced run's, byte for byte, and no target crash."""
import os
import sys

from lib import Failure

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "soak"))
import soak  # noqa: E402


def test_soak_one_minute_targets_unharmed():
    s = soak.Soak().run(60)
    if s.crashes:
        raise Failure(f"{len(s.crashes)} of {s.runs} traced runs differ:\n    " +
                      "\n    ".join(s.crashes))
