#!/bin/busybox sh
# SPDX-License-Identifier: MIT
# /init of the guest's initramfs (tests/kernels/matrix.py builds it):
# busybox, the modules that 9p over virtio needs and this script. It
# loads them, mounts the host's root read-only and hands over to
# tests/kernels/guest.sh there. Nothing else: the guest runs no init
# system, so the guest script mounts what the tests need itself.
# Kernel command line: ls_repo=DIR (the repository on the host root).
/bin/busybox mkdir -p /proc /sys /dev /newroot
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t devtmpfs dev /dev
say() { echo "init: $*" >/dev/console; }
poweroff() { echo o >/proc/sysrq-trigger; /bin/busybox sleep 10; }

# /modules.order: one file a line, dependencies first (modprobe's order).
while read -r ko; do
	/bin/busybox insmod "/modules/$ko" || say "insmod $ko failed"
done </modules.order

repo=
for arg in $(/bin/busybox cat /proc/cmdline); do
	case $arg in ls_repo=*) repo=${arg#ls_repo=} ;; esac
done
# The host root changes under nobody during a run: cache it loosely,
# which keeps python and the tool starting fast over 9p.
if ! /bin/busybox mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose,msize=512000 \
	hostroot /newroot; then
	say "cannot mount the host root over 9p"
	poweroff
fi
if [ ! -x "/newroot$repo/tests/kernels/guest.sh" ]; then
	say "no $repo/tests/kernels/guest.sh on the host root"
	poweroff
fi
/bin/busybox umount /proc
/bin/busybox umount /dev
exec /bin/busybox switch_root /newroot /bin/sh "$repo/tests/kernels/guest.sh" "$repo"
