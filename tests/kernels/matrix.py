#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The kernel matrix: boots Debian's newest generic 6.1 and 6.12 kernels
under qemu (software emulation; no KVM needed) and runs leakscope's e2e
tests that matter per kernel inside each, on the host's own root
filesystem shared read-only over 9p. Prints one "ok - 6.1: NAME" /
"not ok - 6.1: NAME" line per test, counted by tests/run.sh.

Kernels come from Debian's archive (apt-get download, dpkg-deb -x) into
tests/.cache/kernels/, never installed into /boot. Each guest boots a
tiny initramfs (busybox-static, the virtio/9p modules, init.sh) that
switch_roots into guest.sh. Guests write only to a second 9p share,
build/kernels/LABEL/, and never outlive the run: each has a deadline
after which it is killed, and every exit path kills it.

Usage: tests/kernels/matrix.py [--kernels 6.1,6.12] [--tests a,b]
       tests/kernels/matrix.py --kernels 6.1 --run 'SHELL COMMAND'
(--run: a command of your own in the guest, from the repository, instead
of the tests; its output is printed)"""
import argparse
import ctypes
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import threading
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CACHE = os.path.join(ROOT, "tests", ".cache", "kernels")
OUT = os.path.join(ROOT, "build", "kernels")
BUSYBOX = "/bin/busybox"  # busybox-static: runs before any library is there

# label -> the package names of that series, newest build picked (the
# generic flavour: the cloud one has no 9p)
KERNELS = {
    "6.1": re.compile(r"^linux-image-6\.1\.0-(\d+)-amd64-unsigned$"),
    "6.12": re.compile(r"^linux-image-6\.12\.(\d+)\+deb(\d+)-amd64-unsigned$"),
}

# What each kernel must run: native exact per site (launch and attach),
# complete CFI stacks, a target that exits, follow-forks, Go goroutines
# and heap exact, malloc exact per site (uprobe + uretprobe, live stacks
# through the per-CPU buffer there), goroutines traced (creators' stacks
# copied) and their current stacks against the runtime's dump, `leakscope
# check`; run.py adds no_probe_left_behind.
TESTS = [
    "test_launch_exact_per_site_and_proc",
    "test_attach_pid_exact_per_site_and_proc",
    "test_every_site_has_its_line_and_main_below",
    "test_exiting_target_reports_what_it_held_and_its_status",
    "test_follow_forks_traces_children",
    "test_goroutines_per_site_match_sigquit_dump",
    "test_go_alloc_and_heap_equal_runtime_records",
    "test_malloc_family_exact_per_site_launched",
    "test_trace_mode_has_both_goroutine_probes",
    "test_check_says_what_this_kernel_offers",
]

# A boot takes 5-7 s and these tests 1-2.5 min under emulation; beyond
# this the guest is hung, and is killed.
GUEST_DEADLINE_S = 420
MODULES = ["virtio_pci", "9pnet_virtio", "9p"]


_vms = set()  # running guests, killed on every way out
_vms_lock = threading.Lock()


def kill_vms(*_):
    """Kill every guest (also on SIGTERM/SIGINT: a run that is stopped
    leaves no VM behind)."""
    with _vms_lock:
        for vm in _vms:
            try:
                os.killpg(vm.pid, signal.SIGKILL)
            except OSError:
                pass


def die_with_parent():
    """In the guest's qemu before exec: killed when the thread that
    started it ends, even if this script is killed outright."""
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


class Skip(Exception):
    """A kernel that cannot be prepared: one failure line, the reason."""


def log(msg):
    print(f"# {msg}", flush=True)


def newest_package(pattern):
    r = subprocess.run(["apt-cache", "pkgnames", "linux-image-6."], capture_output=True,
                       text=True)
    found = []
    for name in r.stdout.split():
        m = pattern.match(name)
        if m:
            found.append((tuple(int(g) for g in m.groups()), name))
    return max(found)[1] if found else None


def run(args, **kw):
    return subprocess.run(args, capture_output=True, text=True, **kw)


def fetch(label):
    """The newest package of the series, ready to boot: (package,
    version, kernel release, its vmlinuz, its initramfs). Cached under
    CACHE/PACKAGE/ as just those (plus .ready: version and release); the
    unpacked package (~0.5 GB) is deleted once the initramfs is built."""
    pkg = newest_package(KERNELS[label])
    if not pkg:
        run(["apt-get", "update", "-qq"])
        pkg = newest_package(KERNELS[label])
    if not pkg:
        raise Skip(f"apt-cache finds no {KERNELS[label].pattern} package "
                   "(no Debian archive in sources.list, or no network)")
    os.makedirs(CACHE, exist_ok=True)
    # one build per series stays cached
    for old in os.listdir(CACHE):
        if old != pkg and KERNELS[label].match(old):
            shutil.rmtree(os.path.join(CACHE, old), ignore_errors=True)
    tree = os.path.join(CACHE, pkg)
    ready = os.path.join(tree, ".ready")
    initrd = os.path.join(tree, "initramfs.cpio")
    init = os.path.join(ROOT, "tests", "kernels", "init.sh")
    if not os.path.exists(ready) or os.path.getmtime(initrd) < os.path.getmtime(init):
        shutil.rmtree(tree, ignore_errors=True)
        os.makedirs(tree)
        version, release = unpack(pkg, tree)
        build_initramfs(tree, release, initrd + ".new")
        os.rename(os.path.join(tree, "boot", f"vmlinuz-{release}"),
                  os.path.join(tree, "vmlinuz"))
        for d in os.listdir(tree):
            if d not in ("vmlinuz", "initramfs.cpio.new"):
                shutil.rmtree(os.path.join(tree, d), ignore_errors=True)
        os.replace(initrd + ".new", initrd)
        with open(ready, "w") as f:
            f.write(f"{version} {release}\n")
    with open(ready) as f:
        version, release = f.read().split()
    return pkg, version, release, os.path.join(tree, "vmlinuz"), initrd


def unpack(pkg, tree):
    """apt-get download and dpkg-deb -x into tree, modules.dep made:
    (package version, kernel release)."""
    dl = ["apt-get", "download", "-o", "APT::Sandbox::User=root", pkg]
    r = run(dl, cwd=tree)
    if r.returncode != 0:
        run(["apt-get", "update", "-qq"])
        r = run(dl, cwd=tree)
    debs = [f for f in os.listdir(tree) if f.endswith(".deb")]
    if r.returncode != 0 or len(debs) != 1:
        raise Skip(f"apt-get download {pkg} failed: {(r.stderr or r.stdout).strip()[-300:]}")
    r = run(["dpkg-deb", "-x", debs[0], "."], cwd=tree)
    if r.returncode != 0:
        raise Skip(f"dpkg-deb -x {debs[0]} failed: {r.stderr.strip()[-300:]}")
    version = debs[0].split("_")[1]
    os.unlink(os.path.join(tree, debs[0]))
    release = os.listdir(os.path.join(tree, "lib", "modules"))[0]
    r = run(["depmod", "-b", tree, release])
    if r.returncode != 0:
        raise Skip(f"depmod -b {tree} {release} failed: {r.stderr.strip()[-300:]}")
    return version, release


def module_files(tree, release):
    """The .ko files that MODULES need, dependencies first, each once."""
    r = run(["modprobe", "-d", tree, "-S", release, "-a", "--show-depends", *MODULES])
    if r.returncode != 0:
        raise Skip(f"modprobe --show-depends failed: {r.stderr.strip()[-300:]}")
    files = []
    for line in r.stdout.splitlines():
        parts = line.split()
        if parts and parts[0] == "insmod" and parts[1] not in files:
            files.append(parts[1])
    return files


class Cpio:
    """An initramfs: the kernel's "newc" cpio format, written directly."""

    def __init__(self, path):
        self.f = open(path, "wb")
        self.ino = 1

    def add(self, name, mode, data=b"", rdev=(0, 0)):
        fields = [self.ino, mode, 0, 0, 1, 0, len(data), 0, 0, rdev[0], rdev[1],
                  len(name) + 1, 0]
        self.ino += 1
        hdr = b"070701" + b"".join(b"%08X" % v for v in fields)
        self.f.write(hdr + name.encode() + b"\0")
        self.f.write(b"\0" * (-(len(hdr) + len(name) + 1) % 4))
        self.f.write(data)
        self.f.write(b"\0" * (-len(data) % 4))

    def close(self):
        self.add("TRAILER!!!", 0)
        self.f.close()


def build_initramfs(tree, release, path):
    kos = module_files(tree, release)
    cpio = Cpio(path + ".tmp")
    for d in ("bin", "dev", "proc", "sys", "newroot", "modules"):
        cpio.add(d, stat.S_IFDIR | 0o755)
    # the kernel opens /dev/console for /init before anything is mounted
    cpio.add("dev/console", stat.S_IFCHR | 0o600, rdev=(5, 1))
    with open(BUSYBOX, "rb") as f:
        cpio.add("bin/busybox", stat.S_IFREG | 0o755, f.read())
    cpio.add("bin/sh", stat.S_IFLNK | 0o777, b"busybox")
    with open(os.path.join(ROOT, "tests", "kernels", "init.sh"), "rb") as f:
        cpio.add("init", stat.S_IFREG | 0o755, f.read())
    order = []
    for ko in kos:
        name = os.path.basename(ko)
        if name.endswith(".xz"):  # busybox insmod takes plain modules
            data = run_bytes(["xz", "-dc", ko])
            name = name[:-3]
        else:
            with open(ko, "rb") as f:
                data = f.read()
        cpio.add("modules/" + name, stat.S_IFREG | 0o644, data)
        order.append(name)
    cpio.add("modules.order", stat.S_IFREG | 0o644, ("\n".join(order) + "\n").encode())
    cpio.close()
    os.replace(path + ".tmp", path)


def run_bytes(args):
    return subprocess.run(args, check=True, capture_output=True).stdout


def qemu_command(kernel, initrd, results):
    # Two vCPUs (per-CPU maps, migration) run by one host thread: with a
    # thread per vCPU, qemu's emulation races with the kernel patching
    # its own code while another CPU runs it (static keys flipped when
    # a tracepoint is enabled), and the guest dies of a stray int3.
    return ["qemu-system-x86_64", "-accel", "tcg,thread=single", "-cpu", "max",
            "-smp", "2", "-m", "2048",
            "-nographic", "-no-reboot", "-nic", "none",
            "-kernel", kernel, "-initrd", initrd,
            "-append", f"console=ttyS0 panic=-1 quiet loglevel=4 ls_repo={ROOT}",
            "-virtfs", "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,"
            "multidevs=remap",
            "-virtfs", f"local,path={results},mount_tag=results,security_model=none,"
            "multidevs=remap",
            # the repository on its own: the guest's /tmp, /run and
            # /dev/shm are its own tmpfs, which hide a clone made there
            "-virtfs", f"local,path={ROOT},mount_tag=repo,security_model=none,readonly=on,"
            "multidevs=remap"]


def boot(label, cmd, results):
    """Run the guest to its end or its deadline; (finished, seconds)."""
    t0 = time.time()
    with open(os.path.join(results, "qemu.log"), "w") as console:
        vm = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=console,
                              stderr=subprocess.STDOUT, start_new_session=True,
                              preexec_fn=die_with_parent)
        with _vms_lock:
            _vms.add(vm)
        try:
            vm.wait(timeout=GUEST_DEADLINE_S)
        except subprocess.TimeoutExpired:
            pass
        finally:
            if vm.poll() is None:
                os.killpg(vm.pid, signal.SIGKILL)
                vm.wait()
            with _vms_lock:
                _vms.discard(vm)
    return os.path.exists(os.path.join(results, "status")), time.time() - t0


def report(label, tests, results, finished, seconds):
    """The guest's TAP lines, each named with the kernel; a test that
    never reported is a failure too."""
    rel = os.path.relpath(results, ROOT)
    seen = set()
    try:
        with open(os.path.join(results, "tap.log")) as f:
            lines = f.read().splitlines()
    except OSError:
        lines = []
    for line in lines:
        m = re.match(r"^(not ok|ok) - (\S+)(.*)$", line)
        if m:
            seen.add(m.group(2))
            print(f"{m.group(1)} - {label}: {m.group(2)}{m.group(3)}", flush=True)
        elif line.strip():
            print(f"  {label}: {line.strip()}", flush=True)
    for name in tests + ["no_probe_left_behind"]:
        if name not in seen:
            why = (f"the guest ended after {seconds:.0f}s without finishing (deadline "
                   f"{GUEST_DEADLINE_S}s)" if not finished else "it never reported")
            print(f"not ok - {label}: {name} ({why}; see {rel}/)", flush=True)
    log(f"{label}: guest ran {seconds:.0f}s; logs in {rel}/")


def prepare(label, tests, command):
    """The kernel, its initramfs and the guest's share: the qemu command
    line, or None after a failure line."""
    results = os.path.join(OUT, label)
    shutil.rmtree(results, ignore_errors=True)
    os.makedirs(os.path.join(results, "tmp"))
    try:
        pkg, version, release, kernel, initrd = fetch(label)
        log(f"{label}: {pkg} {version} (Linux {release})")
    except Skip as e:
        print(f"not ok - {label}: kernel {e}", flush=True)
        return None
    with open(os.path.join(results, "tests.txt"), "w") as f:
        f.write(",".join(tests) + "\n")
    if command:
        with open(os.path.join(results, "run.sh"), "w") as f:
            f.write(command + "\n")
    return qemu_command(kernel, initrd, results)


def run_kernels(labels, tests, command=None):
    """Every guest at once: under emulation a guest waits on its tests'
    sleeps and pipes much of the time, so two share the cores well."""
    booted = {}
    for label in labels:
        cmd = prepare(label, tests, command)
        if cmd:
            booted[label] = (cmd, {})
    threads = [threading.Thread(target=lambda l=l, c=c, r=r: r.update(
        zip(("finished", "seconds"), boot(l, c, os.path.join(OUT, l)))))
        for l, (c, r) in booted.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for label, (_, r) in booted.items():
        results = os.path.join(OUT, label)
        if command:
            log(f"{label}:")
            with open(os.path.join(results, "run.log")) as f:
                print(f.read(), end="")
            continue
        report(label, tests, results, r["finished"], r["seconds"])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kernels", default=",".join(KERNELS))
    ap.add_argument("--tests", default=",".join(TESTS))
    ap.add_argument("--run", help="a shell command to run in each guest instead")
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("not ok - kernel matrix: needs root (qemu's 9p shares the root filesystem)")
        return 1
    for tool in ("qemu-system-x86_64", "modprobe", "depmod", "xz", BUSYBOX):
        if not shutil.which(tool):
            print(f"not ok - kernel matrix: {tool} missing (scripts/install-deps.sh test)")
            return 1
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, kill_vms)
    tests = [t for t in args.tests.split(",") if t]
    labels = []
    for label in args.kernels.split(","):
        if label not in KERNELS:
            print(f"not ok - kernel matrix: no kernel series {label!r} ({', '.join(KERNELS)})")
            continue
        labels.append(label)
    try:
        run_kernels(labels, tests, args.run)
    finally:
        kill_vms()
    return 0


if __name__ == "__main__":
    sys.exit(main())
