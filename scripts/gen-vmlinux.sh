#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Regenerates vmlinux/x86/vmlinux.h from the running kernel's BTF.
# The header is committed so a build needs no BTF; CO-RE relocations make
# the BPF objects portable to other kernels with BTF anyway.
set -euo pipefail
out=${1:-vmlinux/x86/vmlinux.h}
btf=/sys/kernel/btf/vmlinux
[ -r "$btf" ] || { echo "gen-vmlinux: $btf not readable (kernel built without CONFIG_DEBUG_INFO_BTF?)" >&2; exit 1; }
command -v bpftool >/dev/null || { echo "gen-vmlinux: bpftool missing; run scripts/install-deps.sh" >&2; exit 1; }
mkdir -p "$(dirname "$out")"
bpftool btf dump file "$btf" format c >"$out.tmp"
mv "$out.tmp" "$out"
echo "gen-vmlinux: wrote $out ($(wc -l <"$out") lines)"
