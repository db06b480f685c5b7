#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs leakscope's tests: unit tests (no root), then end-to-end tests
# (root, BPF). Every test prints "ok - name" or "not ok - name"; this
# script counts them and ends with one line: "N passed, N failed".
# --ci adds what takes too long for every `make test` (CI has 90 minutes):
# every fuzz target for a minute, and the unit tests and a subset of the
# end-to-end tests against the ASan+UBSan build (names prefixed san_).
# --sanitize runs only the sanitizer part, --fuzz N only the fuzz targets
# for N seconds each, --extra N both (what --ci adds to make test).
# --kernels runs only the kernel matrix (Debian's 6.1 and 6.12 under qemu).
# Usage: tests/run.sh [--unit|--e2e|--kernels|--ci|--sanitize|--fuzz N|--extra N] [NAME-FILTER]
set -u
cd "$(dirname "$0")/.."
mode=all
ci=0
case "${1:-}" in
--unit) mode=unit; shift ;;
--e2e) mode=e2e; shift ;;
--kernels) mode=kernels; shift ;;
--ci) ci=1; shift ;;
--sanitize) mode=sanitize; shift ;;
--fuzz) mode=fuzz; fuzz_seconds=$2; shift 2 ;;
--extra) mode=extra; fuzz_seconds=$2; shift 2 ;;
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

# libFuzzer targets (tests/fuzz/): each replays its committed corpus
# (seeds and the inputs of every crash found and fixed), then fuzzes
# (--runs N from a fixed seed in `make test`, --seconds N in CI).
run_fuzz() {
	local names=()
	[ -z "$filter" ] || [[ fuzz_ == *"$filter"* || $filter == fuzz_* ]] || return 0
	[[ $filter != fuzz_?* ]] || names=("${filter#fuzz_}")
	if ! make -s FUZZ=1 fuzz-bins >"$out/fuzz-build.log" 2>&1; then
		tail -20 "$out/fuzz-build.log"
		echo "not ok - fuzz targets build (see $out/fuzz-build.log)"
		return
	fi
	tests/fuzz/run.sh "$@" "${names[@]}"
}

# The ASan+UBSan build (make SANITIZE=1, build-san/): the unit tests and
# the end-to-end tests that cover each command and stage (launch and -p,
# forks and exec, pre-existing items, Go probes, convert, the agent,
# errors, malloc blocks, goroutine snapshots and copied creation
# stacks). Leaks count: LeakSanitizer runs at every exit.
SAN_E2E=test_native,test_attach,test_errors,test_export,test_goroutines_per_site,test_go_alloc_and_heap,test_prometheus_scrapes,test_push_survives,test_malloc_family_exact_per_site_launched,test_malloc_fork_child_inherits_blocks,test_snapshot_mode_attaches_no_goroutine_probe_and_matches_dump,test_copied_creation_stacks_equal_the_kernels_walk
run_sanitized() {
	local bin
	export ASAN_OPTIONS=detect_leaks=1:fast_unwind_on_malloc=0:abort_on_error=0
	export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
	if ! make -s SANITIZE=1 all unit-bins >"$out/san-build.log" 2>&1; then
		tail -20 "$out/san-build.log"
		echo "not ok - sanitizer build (see $out/san-build.log)"
		return
	fi
	for bin in build-san/tests/*_test; do
		# smaps_test compares this process's own memory read twice:
		# ASan keeps touching and releasing pages between the reads
		(cd tests/unit && if [ "${bin##*/}" = smaps_test ]; then
			ASAN_OPTIONS=$ASAN_OPTIONS:quarantine_size_mb=0:thread_local_quarantine_size_kb=0:allocator_release_to_os_interval_ms=-1 \
				timeout 600 "../../$bin"
		else
			timeout 600 "../../$bin"
		fi) 2>&1 | sed -E 's/^(not )?ok - /&san_/'
		[ "${PIPESTATUS[0]}" -le 1 ] || echo "not ok - san_$(basename "$bin") (crashed or timed out)"
	done
	[ "$(id -u)" = 0 ] || return 0
	LEAKSCOPE_BIN=$PWD/build-san/leakscope timeout 2400 /usr/bin/python3 tests/e2e/run.py \
		--prefix san_ --filter "$SAN_E2E" || true
	unset ASAN_OPTIONS UBSAN_OPTIONS
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

# End-to-end tests. With a filter, one run. Otherwise in two phases, so
# that make test stays within its time on two cores (the tests mostly
# wait on their targets: one run keeps the machine a quarter busy):
#   1. the test files whose tests look only at their own tracer and
#      targets, in two runs side by side (each its own scratch dir);
#   2. those that look at the whole machine (every BPF program loaded,
#      the agent tracing every process, the int3s in a shared libc, pid
#      reuse, ring-buffer bursts on every core), alone; the kernel
#      matrix's guests run meanwhile (another kernel: they cannot touch
#      the host's programs, only share its CPUs), and the closing
#      no_probe_left_behind check covers both phases.
# A test file not named here runs in phase 1's second run.
E2E_SHARED_A=test_go,test_native,test_export,test_attach,test_help,test_bad_input,test_check
E2E_WHOLE_MACHINE=test_agent,test_agent_hardening,test_errors,test_hard_kills,test_lifecycle,test_overflow,test_privileges,test_tables
kernels_log=
kernels_pid=
e2e_pids=

run_e2e() {
	local e2e="timeout 1500 /usr/bin/python3 tests/e2e/run.py" a b pa pb
	if [ "$(id -u)" != 0 ]; then
		echo "not ok - e2e tests: they need root (BPF); run: sudo make test"
		return
	fi
	if [ -n "$filter" ]; then
		$e2e --filter "$filter" || true
		return
	fi
	$e2e --build-only || { echo "not ok - e2e fixtures build"; return; }
	a=$(mktemp) b=$(mktemp)
	LEAKSCOPE_TEST_TMP=$out/tmp-a $e2e --no-build --final-check never \
		--modules "$E2E_SHARED_A" >"$a" 2>&1 &
	pa=$!
	LEAKSCOPE_TEST_TMP=$out/tmp-b $e2e --no-build --final-check never \
		--exclude-modules "$E2E_SHARED_A,$E2E_WHOLE_MACHINE" >"$b" 2>&1 &
	pb=$!
	e2e_pids="$pa $pb"
	wait $pa $pb
	e2e_pids=
	cat "$a" "$b"
	rm -f "$a" "$b"
	[ "$mode" != all ] || start_kernels
	$e2e --no-build --final-check always --modules "$E2E_WHOLE_MACHINE" || true
}

# The e2e tests that matter per kernel, inside Debian's 6.1 and 6.12
# booted under qemu (tests/kernels/matrix.py): "ok - 6.1: NAME" lines.
# The filter picks tests by name there too.
kernel_tests() {
	/usr/bin/python3 -c 'import sys; sys.path.insert(0, "tests/kernels")
import matrix; print(",".join(t for t in matrix.TESTS if sys.argv[1] in t))' "$filter"
}

run_kernels() {
	start_kernels
	finish_kernels
}

# The matrix in the background (its lines printed by finish_kernels);
# timeout passes a TERM on to matrix.py, which takes its guests down.
start_kernels() {
	local tests
	if [ "$(id -u)" != 0 ]; then
		echo "not ok - kernel matrix: needs root (run: sudo make test)"
		return
	fi
	tests=$(kernel_tests)
	[ -n "$tests" ] || return 0
	kernels_log=$(mktemp)
	timeout 900 /usr/bin/python3 tests/kernels/matrix.py --tests "$tests" >"$kernels_log" 2>&1 &
	kernels_pid=$!
}

finish_kernels() {
	[ -n "$kernels_pid" ] || return 0
	wait "$kernels_pid" ||
		echo "not ok - kernel matrix: tests/kernels/matrix.py failed or timed out" >>"$kernels_log"
	cat "$kernels_log"
	rm -f "$kernels_log"
	kernels_pid=
}

{
	# a run cut short takes the kernel matrix (and its guests) with it
	trap 'kill $kernels_pid $e2e_pids 2>/dev/null' EXIT
	trap 'exit 130' INT TERM
	case $mode in
	sanitize | fuzz | extra)
		[ "$mode" = sanitize ] || run_fuzz --seconds "$fuzz_seconds"
		[ "$mode" = fuzz ] || { fetch_go_binaries; run_sanitized; }
		exit 0
		;;
	esac
	fetch_go_binaries
	case $mode in
	kernels) run_kernels ;;
	*)
		[ "$mode" = e2e ] || run_unit
		[ "$mode" = e2e ] || run_fuzz --runs 1000
		[ "$mode" = e2e ] || run_export
		[ "$mode" = unit ] || run_e2e
		finish_kernels
		[ "$mode" = unit ] || run_bench_short
		[ $ci = 0 ] || run_fuzz --seconds 60
		[ $ci = 0 ] || run_sanitized
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
