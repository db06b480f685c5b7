// SPDX-License-Identifier: MIT
#include "trace/preflight.h"
#include "base/util.h"

#include <errno.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

bool preflight__has_cap(int cap)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2] = { 0 };

	if (cap < 0 || cap >= 64 || syscall(SYS_capget, &hdr, d))
		return false;
	return (d[cap / 32].effective >> (cap % 32)) & 1;
}

int preflight__privileges(void)
{
	bool admin = preflight__has_cap(CAP_SYS_ADMIN);
	char missing[128] = "";

	if (!admin && !preflight__has_cap(CAP_BPF))
		strcat(missing, ", CAP_BPF");
	if (!admin && !preflight__has_cap(CAP_PERFMON))
		strcat(missing, ", CAP_PERFMON");
	if (!preflight__has_cap(CAP_SYS_PTRACE))
		strcat(missing, ", CAP_SYS_PTRACE");
	if (!missing[0])
		return 0;
	if (geteuid() != 0)
		fprintf(stderr, "leakscope: needs root, or CAP_BPF, CAP_PERFMON and "
			"CAP_SYS_PTRACE (CAP_SYS_ADMIN too for Go programs): run it with "
			"sudo\n");
	else
		fprintf(stderr, "leakscope: missing capabilit%s %s (it needs CAP_BPF, "
			"CAP_PERFMON and CAP_SYS_PTRACE; CAP_SYS_ADMIN for Go programs): run it "
			"as root with its full capabilities\n", strchr(missing + 2, ',') ?
			"ies" : "y", missing + 2);
	return -EPERM;
}

int preflight__btf(void)
{
	if (access("/sys/kernel/btf/vmlinux", R_OK) == 0)
		return 0;
	fprintf(stderr, "leakscope: this kernel has no BTF (/sys/kernel/btf/vmlinux "
		"missing): use a kernel built with CONFIG_DEBUG_INFO_BTF=y\n");
	return -ENOENT;
}

int preflight__pid(int pid)
{
	char path[64], buf[256];
	int tgid = -1;
	FILE *f;

	if (kill(pid, 0) && errno == ESRCH) {
		fprintf(stderr, "leakscope: no process with PID %d (check it with ps)\n", pid);
		return -ESRCH;
	}
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "re");
	if (!f) {
		fprintf(stderr, "leakscope: no process with PID %d (check it with ps)\n", pid);
		return -ESRCH;
	}
	while (fgets(buf, sizeof(buf), f))
		if (sscanf(buf, "Tgid: %d", &tgid) == 1)
			break;
	fclose(f);
	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	if (readlink(path, buf, sizeof(buf)) < 0 && errno == ENOENT) {
		fprintf(stderr, "leakscope: PID %d is a kernel thread; it has no user "
			"memory or fds to trace\n", pid);
		return -EINVAL;
	}
	return tgid > 0 ? tgid : pid;
}
