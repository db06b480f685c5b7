#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Builds every Go fixture under tests/workloads/go/<name>/ with Debian's Go:
# OUTDIR/<name> (normal, optimized, with symbols and DWARF),
# OUTDIR/<name>.stripped (-ldflags="-s -w": no .symtab, no DWARF),
# OUTDIR/<name>.pie (-buildmode=pie) and, when gcc is there,
# OUTDIR/<name>.extpie (PIE linked by gcc, -linkmode=external: its
# pclntab has no section of its own and runtime.text is not .text's
# start). Go's caches stay under OUTDIR, so nothing is written to $HOME.
# Rebuilds only what is older than its source.
# Usage: tests/workloads/go/build.sh OUTDIR
set -eu
out=${1:?usage: $0 OUTDIR}
here=$(cd "$(dirname "$0")" && pwd)
GO=${GO:-/usr/lib/go-1.19/bin/go}
if [ ! -x "$GO" ]; then
	echo "build.sh: $GO not found (Debian package golang-1.19-go)" >&2
	exit 1
fi
mkdir -p "$out"
out=$(cd "$out" && pwd)
export GOCACHE="$out/.gocache" GOPATH="$out/.gopath" GOFLAGS= GO111MODULE=on \
	GOTOOLCHAIN=local GOPROXY=off CGO_ENABLED=0

for dir in "$here"/*/; do
	name=$(basename "$dir")
	[ -f "$dir/main.go" ] || continue
	newest=$(find "$dir" -type f -newer "$out/$name.pie" 2>/dev/null | head -1)
	if [ -f "$out/$name.pie" ] && [ -z "$newest" ]; then
		continue
	fi
	# fixtures that call C (import "C") are built with cgo
	cgo=0
	grep -q '^import "C"' "$dir"/*.go && cgo=1
	(cd "$dir" && export CGO_ENABLED=$cgo &&
		"$GO" build -o "$out/$name" . &&
		"$GO" build -ldflags="-s -w" -o "$out/$name.stripped" . &&
		"$GO" build -buildmode=pie -o "$out/$name.pie.tmp" . &&
		if command -v gcc >/dev/null; then
			CGO_ENABLED=1 "$GO" build -buildmode=pie \
				-ldflags=-linkmode=external -o "$out/$name.extpie" . 2>/dev/null
		fi &&
		mv "$out/$name.pie.tmp" "$out/$name.pie")
	echo "built $out/$name{,.stripped,.pie,.extpie} with $("$GO" version | cut -d' ' -f3)"
done
