#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs leakscope's libFuzzer targets (built by `make FUZZ=1 fuzz-bins`
# into build-fuzz/fuzz/). Each target first runs every input of its
# committed corpus (tests/fuzz/corpus/NAME/: real seeds and the inputs of
# crashes found and fixed), then fuzzes:
#   --runs N      N inputs from a fixed seed (the form inside `make test`:
#                 the same inputs on every run, so a failure reproduces)
#   --seconds N   N seconds from a random seed (`make fuzz`, CI)
# Prints "ok - fuzz_NAME" or "not ok - fuzz_NAME" per target, and a "#"
# line with the number of executions. What the fuzzer finds interesting
# is kept in build-fuzz/corpus/NAME/ (git-ignored) for the next run;
# a crash's input is saved in build-fuzz/crashes/NAME/ and named in the
# output: copy it into the committed corpus once fixed.
# Usage: tests/fuzz/run.sh (--runs N | --seconds N) [NAME...]
set -u
cd "$(dirname "$0")/../.."
budget=()
case "${1:-}" in
--runs) budget=(-runs="$2" -seed=1); shift 2 ;;
--seconds) budget=(-max_total_time="$2"); shift 2 ;;
*) echo "usage: $0 (--runs N | --seconds N) [NAME...]" >&2; exit 2 ;;
esac
names=("$@")
if [ ${#names[@]} = 0 ]; then
	for src in tests/fuzz/*.c; do
		n=$(basename "$src" .c)
		[ "$n" = fuzz_util ] || names+=("$n")
	done
fi

for n in "${names[@]}"; do
	bin=build-fuzz/fuzz/$n
	seeds=tests/fuzz/corpus/$n
	work=build-fuzz/corpus/$n
	crashes=build-fuzz/crashes/$n
	log=build-fuzz/logs/$n.log
	mkdir -p "$work" "$crashes" "$(dirname "$log")"
	if [ ! -x "$bin" ] || [ ! -d "$seeds" ]; then
		echo "  $bin or $seeds is missing (make FUZZ=1 fuzz-bins)"
		echo "not ok - fuzz_$n"
		continue
	fi
	# -timeout: an input running 25 s is a hang (an infinite loop), not
	# slowness; -rss_limit_mb: unbounded memory is a defect too.
	"$bin" "${budget[@]}" -timeout=25 -rss_limit_mb=2048 -max_len=65536 \
		-print_final_stats=1 -artifact_prefix="$crashes/" \
		"$work" "$seeds" >"$log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	secs=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -1)
	echo "# fuzz_$n: ${runs:-0} executions in ${secs:-?} s, corpus $(ls "$work" | wc -l) + $(ls "$seeds" | wc -l) inputs"
	if [ $rc = 0 ]; then
		echo "ok - fuzz_$n"
	else
		grep -E 'ERROR|SUMMARY|runtime error|fuzz: |Test unit written' "$log" | head -8 | sed 's/^/  /'
		echo "  full log: $log"
		echo "not ok - fuzz_$n"
	fi
done
