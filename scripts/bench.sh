#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# leakscope's benchmark suite (`make bench`): what every probe costs on
# this machine against the floor of an empty probe, real workloads traced
# vs untraced, the tracer's own CPU and memory, and bpftrace side by side.
# Prints one table; the full run also writes BENCHMARKS.md.
#
#   scripts/bench.sh [--short] [-v] [PART...]
#   PART: floor native go malloc redis esbuild memory bpftrace agent (default: all;
#         the floor is measured in every run, every ratio needs it)
#
# --short: one small round of each part (~2 minutes), printing
# "ok - bench_PART" / "not ok - bench_PART: why" (TAP-like, for
# tests/run.sh): checks that the suite runs and its numbers are sane,
# never timing thresholds.
#
# Needs root. Builds its helpers under build/bench/. Leaves nothing
# behind: every process it starts is stopped, BPF statistics are turned
# on through an fd (the kernel turns them off when it closes), and
# tracefs, when it is not mounted, is mounted in a private mount
# namespace that ends with the run.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" != 0 ]; then
	echo "bench: needs root (BPF): run 'sudo make bench'" >&2
	exit 1
fi

# tracefs for the floor's tracepoints and for bpftrace, in a mount
# namespace of our own: the host sees no new mount.
if [ "${1:-}" = --in-private-ns ]; then
	shift
	mount -t tracefs nodev /sys/kernel/tracing
elif [ ! -d /sys/kernel/tracing/events/syscalls ]; then
	exec unshare --mount --propagation private -- "$0" --in-private-ns "$@"
fi

out=build/bench
mkdir -p "$out"

# The probes' own state must be what we found: BPF statistics are only
# ever enabled through an fd, but restore the sysctl should anything
# have flipped it during the run.
stats_before=$(cat /proc/sys/kernel/bpf_stats_enabled 2>/dev/null || echo 0)
py_pid=
cleanup() {
	if [ -n "$py_pid" ] && kill -0 "$py_pid" 2>/dev/null; then
		kill -TERM "$py_pid" 2>/dev/null || true
		wait "$py_pid" 2>/dev/null || true
	fi
	if [ "$(cat /proc/sys/kernel/bpf_stats_enabled 2>/dev/null || echo 0)" != "$stats_before" ]; then
		echo "$stats_before" >/proc/sys/kernel/bpf_stats_enabled
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

build_failed() {
	echo "not ok - bench_build: $1"
	exit 1
}

# The floor's BPF object comes from `make` (every bpf/*.bpf.c); only
# leakscope itself is left to `make` when it is missing.
make -s build/bench.skel.h >"$out/make.log" 2>&1 ||
	build_failed "make build/bench.skel.h failed (see $out/make.log)"
if [ -z "${LEAKSCOPE:-}" ] && [ ! -x ./leakscope ]; then
	make -s leakscope >>"$out/make.log" 2>&1 || build_failed "make failed (see $out/make.log)"
fi

newer() { [ ! -e "$1" ] || [ -n "$(find "${@:2}" -newer "$1" 2>/dev/null | head -1)" ]; }

# The floor's driver: probed functions of its own, libbpf, the skeleton.
if newer "$out/bench_floor" tests/workloads/bench/bench_floor.c build/bench.skel.h; then
	gcc -O2 -g -fno-omit-frame-pointer -Wall -std=gnu11 -D_GNU_SOURCE -Ibuild -Ibpf \
		tests/workloads/bench/bench_floor.c -o "$out/bench_floor" -lbpf -lelf -lz \
		2>"$out/build.log" || build_failed "bench_floor does not build (see $out/build.log)"
fi
# Built like the other C fixtures: like distribution code, no frame pointers.
if newer "$out/syscall_loop" tests/workloads/syscall_loop.c; then
	gcc -O2 -fomit-frame-pointer -g -Wall tests/workloads/syscall_loop.c -o "$out/syscall_loop" \
		2>>"$out/build.log" || build_failed "syscall_loop does not build (see $out/build.log)"
fi
# The malloc kind's workload: malloc+free loops and a steady leak.
if newer "$out/malloc_churn" tests/workloads/malloc_churn.c; then
	gcc -O2 -fomit-frame-pointer -g -Wall tests/workloads/malloc_churn.c -o "$out/malloc_churn" \
		2>>"$out/build.log" || build_failed "malloc_churn does not build (see $out/build.log)"
fi
# Go workloads (churn, manyg) with Debian's Go 1.19, next to the test fixtures.
tests/workloads/go/build.sh build/go-fixtures >"$out/go-build.log" 2>&1 ||
	build_failed "Go workloads do not build (see $out/go-build.log)"

/usr/bin/python3 scripts/bench/bench.py "$@" &
py_pid=$!
wait "$py_pid"
