#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `make demo`: build the bundled leaky program and trace it, with a live
# view every second and the final report when it exits; the same run
# also writes a flame graph of what it leaked (build/demo-flamegraph.svg)
# and a pprof profile (build/demo.pb.gz).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p build/workloads
gcc -O2 -fomit-frame-pointer -g tests/workloads/demo_leaky.c -o build/workloads/demo_leaky
if [ "$(id -u)" != 0 ]; then
	echo "demo: leakscope needs root (BPF): run 'sudo make demo'" >&2
	exit 1
fi
echo "== leakscope -i 1 -o build/demo-flamegraph.svg -o build/demo.pb.gz -o - -- build/workloads/demo_leaky"
./leakscope -i 1 --top 4 -o build/demo-flamegraph.svg -o build/demo.pb.gz \
	--format text -o - -- build/workloads/demo_leaky
echo
echo "Open build/demo-flamegraph.svg in a browser (hover, click to zoom, search);"
echo "go tool pprof -top build/demo.pb.gz, or -http=: for its web UI."
