#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs leakscope's tests: unit tests (no root), then end-to-end tests
# (root, BPF). Every test prints "ok - name" or "not ok - name"; this
# script counts them and ends with one line: "N passed, N failed".
# Usage: tests/run.sh [--unit|--e2e|--kernels] [NAME-FILTER]
set -u
cd "$(dirname "$0")/.."
mode=all
case "${1:-}" in
--unit) mode=unit; shift ;;
--e2e) mode=e2e; shift ;;
--kernels) mode=kernels; shift ;;
esac
filter=${1:-}
out=build/tests
mkdir -p "$out"
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# Real third-party Go binaries (stripped, Go 1.18 to 1.27) come from npm
# at test time, cached under tests/.cache (git-ignored); never committed.
fetch_go_binaries() {
	scripts/fetch-go-binaries.sh tests/.cache/go-binaries >"$out/fetch-go.log" 2>&1 ||
		echo "# fetching Go binaries from npm failed (the tests needing them fail): see $out/fetch-go.log"
}

# Unit test binaries are built by the Makefile (same flags and libraries
# as the tool); the name filter picks which run.
run_unit() {
	local bin name rc
	if ! make -s unit-bins >"$out/unit-build.log" 2>&1; then
		cat "$out/unit-build.log"
		echo "not ok - unit tests build (see $out/unit-build.log)"
		return
	fi
	# the stages of src/ and who may use whom (src/README.md)
	[ -z "$filter" ] || [[ layers == *"$filter"* ]] && /usr/bin/python3 tests/unit/check_layers.py
	for bin in build/tests/*_test; do
		name=$(basename "$bin")
		[ -z "$filter" ] || [[ $name == *"$filter"* ]] || continue
		# exit 1: failed checks, already printed; anything else is a
		# crash or a timeout, which would otherwise hide the tests after it
		(cd tests/unit && timeout 300 "../../$bin")
		rc=$?
		[ $rc -le 1 ] || echo "not ok - $name (exit status $rc: crashed or timed out)"
	done
}

# Exported formats read back by the tools users open them with:
# go tool pprof, and a real browser for the SVG flame graph; the graph's
# script on its own as JavaScript (parse, lint, its helpers).
run_export() {
	/usr/bin/python3 tests/export/check_pprof.py || true
	node tests/export/flamegraph_test.js || true
	node tests/export/check_svg.js || true
}

# The benchmark suite's short mode: every part still runs and its figures
# are sane (no timing thresholds; the full suite is `make bench`).
run_bench_short() {
	[ "$(id -u)" = 0 ] || return 0
	[ -z "$filter" ] || return 0
	timeout 600 scripts/bench.sh --short >"$out/bench-short.log" 2>&1
	grep -E '^(not )?ok - ' "$out/bench-short.log"
	grep -q '^ok - bench_floor' "$out/bench-short.log" ||
		echo "not ok - bench_short: see $out/bench-short.log"
}

run_e2e() {
	if [ "$(id -u)" != 0 ]; then
		echo "# e2e tests skipped: they need root (BPF); run: sudo make test"
		return
	fi
	timeout 1500 /usr/bin/python3 tests/e2e/run.py ${filter:+--filter "$filter"} || true
}

# The e2e tests that matter per kernel, inside Debian's 6.1 and 6.12
# booted under qemu (tests/kernels/matrix.py): "ok - 6.1: NAME" lines.
# The filter picks tests by name there too.
run_kernels() {
	if [ "$(id -u)" != 0 ]; then
		echo "not ok - kernel matrix: needs root (run: sudo make test)"
		return
	fi
	local tests
	tests=$(/usr/bin/python3 -c 'import sys; sys.path.insert(0, "tests/kernels")
import matrix; print(",".join(t for t in matrix.TESTS if sys.argv[1] in t))' "$filter")
	[ -n "$tests" ] || return 0
	timeout 900 /usr/bin/python3 tests/kernels/matrix.py --tests "$tests" ||
		echo "not ok - kernel matrix: tests/kernels/matrix.py failed or timed out"
}

{
	fetch_go_binaries
	case $mode in
	kernels) run_kernels ;;
	*)
		[ "$mode" = e2e ] || run_unit
		[ "$mode" = e2e ] || run_export
		[ "$mode" = unit ] || run_bench_short
		[ "$mode" = unit ] || run_e2e
		[ "$mode" != all ] || run_kernels
		;;
	esac
} 2>&1 | tee "$log"

passed=$(grep -c '^ok - ' "$log")
failed=$(grep -c '^not ok - ' "$log")
if [ "$failed" != 0 ]; then
	echo
	echo "failed:"
	grep '^not ok - ' "$log" | sed 's/^not ok - /  /'
fi
echo "$passed passed, $failed failed"
[ "$failed" = 0 ] && [ "$passed" != 0 ]
