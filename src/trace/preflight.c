// SPDX-License-Identifier: MIT
#include "trace/preflight.h"
#include "base/logfmt.h"
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

static int has_cap(const struct __user_cap_data_struct d[2], int cap)
{
	return (d[cap / 32].effective >> (cap % 32)) & 1;
}

unsigned preflight__caps(void)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2] = { 0 };
	unsigned caps = 0;

	if (syscall(SYS_capget, &hdr, data))
		return 0;
	if (has_cap(data, CAP_SYS_ADMIN))
		caps |= PREFLIGHT_CAP_SYS_ADMIN;
	if (has_cap(data, CAP_BPF))
		caps |= PREFLIGHT_CAP_BPF;
	if (has_cap(data, CAP_PERFMON))
		caps |= PREFLIGHT_CAP_PERFMON;
	if (has_cap(data, CAP_SYS_PTRACE))
		caps |= PREFLIGHT_CAP_SYS_PTRACE;
	return caps;
}

bool preflight__caps_enough(unsigned caps)
{
	return ((caps & PREFLIGHT_CAP_SYS_ADMIN) ||
		((caps & PREFLIGHT_CAP_BPF) && (caps & PREFLIGHT_CAP_PERFMON))) &&
	       (caps & PREFLIGHT_CAP_SYS_PTRACE);
}

int preflight__privileges(const struct logger *log)
{
	if (preflight__caps_enough(preflight__caps()))
		return 0;
	logger__say(log, LOG_ERROR, "needs root, or CAP_BPF, CAP_PERFMON and "
		    "CAP_SYS_PTRACE: run it with sudo");
	return -EPERM;
}

int preflight__btf(const struct logger *log)
{
	if (access("/sys/kernel/btf/vmlinux", R_OK) == 0)
		return 0;
	logger__say(log, LOG_ERROR, "this kernel has no BTF (/sys/kernel/btf/vmlinux "
		    "missing): use a kernel built with CONFIG_DEBUG_INFO_BTF=y");
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
