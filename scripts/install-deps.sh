#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installs every build and test dependency of leakscope from Debian's
# archive. Idempotent: packages already present are not touched, so the
# Makefile can call this before every build at no cost.
set -euo pipefail

# Why each package (see README "Dependencies"):
#   clang llvm          compile bpf/*.bpf.c to BPF objects
#   bpftool             BPF skeletons and vmlinux.h from BTF
#   libbpf-dev          loading, attaching, ring buffer (Debian's 1.1.x)
#   libelf-dev zlib1g-dev  libbpf's own needs, ELF reading
#   libdw-dev           symbols, DWARF line tables, CFI unwinding (elfutils)
#   libcapstone-dev     x86 decoding to place uprobes on emulated instructions
#   libjansson-dev      JSON parsing for `leakscope convert` (errors with line)
#   libcurl4-openssl-dev pushing profiles in agent mode
#   libmicrohttpd-dev   the agent's /metrics and /debug/pprof endpoint
#   prometheus          a real Prometheus server scraping the agent in tests, and
#                       a real Go server whose /debug/pprof/heap is ground truth
#   golang-1.19-go      Go test fixtures and `go tool pprof` in tests
#   python3             the end-to-end test harness (standard library only)
#   libc6-dbg           libc symbols and lines, so tests can name libc frames
#   libprotobuf-c-dev protobuf-c-compiler  pprof encoding (profile.proto)
#   graphviz            `go tool pprof -svg` in tests
#   chromium            the SVG flame graph opened in a real browser in tests
#   redis-server        a real workload for the benchmark suite (redis-benchmark),
#                       and a program started through a symlink in tests
#   binutils            objcopy: debug info split off by build id in tests
#   bpftrace            the peer the benchmark suite compares leakscope with
#   libjemalloc-dev libgoogle-perftools-dev libmimalloc2.0
#                       the allocators the malloc kind is tested on: test
#                       fixtures link jemalloc and tcmalloc (-dev: the link
#                       names), one dlopens mimalloc
#   valgrind            memcheck's leak records: ground truth for the malloc
#                       kind; and that the tables' sweep frees what it drops
#                       and reads nothing freed (tests)
#   nodejs npm          drives chromium (playwright-core) and fetches real Go
#                       binaries from npm in tests (skipped if node is there)
#   eslint              lints the SVG flame graph's script (src/export/flamegraph.js)
#   qemu-system-x86     boots Debian's 6.1 and 6.12 kernels for the kernel
#                       matrix in tests (tests/kernels/; software emulation)
#   busybox-static      the guests' initramfs (static: runs before any library)
#   kmod xz-utils       depmod/modprobe order the guests' 9p modules; .ko.xz
#   libclang-rt-14-dev  libFuzzer and the ASan/UBSan runtimes for clang 14
#                       (make fuzz, make SANITIZE=1)
#   (tests drop capabilities with setpriv, from util-linux, always installed)
#   pkg-config make gcc build plumbing
BUILD_PKGS=(clang llvm bpftool libbpf-dev libelf-dev zlib1g-dev libdw-dev
	libcapstone-dev libjansson-dev libcurl4-openssl-dev libprotobuf-c-dev
	protobuf-c-compiler pkg-config make gcc libmicrohttpd-dev)
TEST_PKGS=(golang-1.19-go python3 procps iproute2 psmisc libc6-dbg graphviz chromium prometheus redis-server bpftrace eslint binutils valgrind
	libjemalloc-dev libgoogle-perftools-dev libmimalloc2.0 libclang-rt-14-dev
	qemu-system-x86 busybox-static kmod xz-utils)

want=("${BUILD_PKGS[@]}")
case "${1:-build}" in
build) ;;
test) want+=("${TEST_PKGS[@]}") ;;
*) echo "usage: $0 [build|test]" >&2; exit 2 ;;
esac

# Node may come from elsewhere (nodesource): only install Debian's when
# there is none, so apt never fights over it.
if [ "${1:-build}" = test ] && ! { command -v node && command -v npm; } >/dev/null 2>&1; then
	want+=(nodejs npm)
fi

missing=()
for p in "${want[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing+=("$p")
done
((${#missing[@]})) || exit 0

if [ "$(id -u)" != 0 ]; then
	echo "install-deps: missing packages: ${missing[*]}; run as root (sudo $0)" >&2
	exit 1
fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq || apt-get update
apt-get install -y -qq --no-install-recommends "${missing[@]}"
