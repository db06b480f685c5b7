#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs as PID 1 of a test guest (see tests/kernels/matrix.py), on the
# host's root filesystem shared read-only over 9p. No init system ran:
# mount what leakscope and the tests need, bring lo up, run the e2e
# tests named in the results share's tests.txt with their scratch files
# on that share, record the outcome there, power off.
# Usage (from the initramfs): guest.sh REPO
repo=$1
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/tmp PYTHONDONTWRITEBYTECODE=1 LANG=C.UTF-8

off() {
	sync
	echo o >/proc/sysrq-trigger
	sleep 30
}

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs dev /dev
mkdir -p /dev/pts /dev/shm 2>/dev/null
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
mount -t bpf bpf /sys/fs/bpf
mount -t tracefs tracefs /sys/kernel/tracing
mount -t debugfs debugfs /sys/kernel/debug
mkdir -p /tmp/results
if ! mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 results /tmp/results; then
	echo "guest: cannot mount the results share" >/dev/console
	off
fi
# the repository, wherever it is (a clone under /tmp is hidden by the
# tmpfs above), read-only at its own path
mkdir -p "$repo" 2>/dev/null
if ! mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose,msize=512000 repo "$repo"; then
	echo "guest: cannot mount the repository share at $repo" >/dev/console
	off
fi
ip link set lo up

out=/tmp/results
exec >"$out/console.log" 2>&1
echo "# kernel $(uname -r)"
cd "$repo" || off
if [ -f "$out/run.sh" ]; then	# matrix.py --run: a command of the developer's
	sh "$out/run.sh" >"$out/run.log" 2>&1
	echo $? >"$out/status"
	off
fi
tests=$(cat "$out/tests.txt")
LEAKSCOPE_TEST_TMP=$out/tmp LEAKSCOPE_TEST_PATIENCE=5 /usr/bin/python3 tests/e2e/run.py --no-build --final-check always --tests "$tests" \
	>"$out/tap.log" 2>&1
echo $? >"$out/status"
off
