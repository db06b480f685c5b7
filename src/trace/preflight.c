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

bool preflight__has_cap(int cap)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2] = { 0 };

	if (cap < 0 || cap >= 64 || syscall(SYS_capget, &hdr, d))
		return false;
	return (d[cap / 32].effective >> (cap % 32)) & 1;
}

unsigned preflight__caps(void)
{
	unsigned caps = 0;

	if (preflight__has_cap(CAP_SYS_ADMIN))
		caps |= PREFLIGHT_CAP_SYS_ADMIN;
	if (preflight__has_cap(CAP_BPF))
		caps |= PREFLIGHT_CAP_BPF;
	if (preflight__has_cap(CAP_PERFMON))
		caps |= PREFLIGHT_CAP_PERFMON;
	if (preflight__has_cap(CAP_SYS_PTRACE))
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
		logger__say(log, LOG_ERROR, "needs root, or CAP_BPF, CAP_PERFMON and "
			    "CAP_SYS_PTRACE (CAP_SYS_ADMIN too for Go programs): run it with "
			    "sudo");
	else
		logger__say(log, LOG_ERROR, "missing capabilit%s %s (it needs CAP_BPF, "
			    "CAP_PERFMON and CAP_SYS_PTRACE; CAP_SYS_ADMIN for Go programs): "
			    "run it as root with its full capabilities",
			    strchr(missing + 2, ',') ? "ies" : "y", missing + 2);
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

/* The state letter of /proc/PID/stat (R, S, Z...), 0 if unreadable. The
 * command name before it is in parentheses and may hold anything. */
static char process_state(int pid)
{
	char path[64], buf[512], *close;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	close = strrchr(buf, ')');
	return close && close[1] == ' ' ? close[2] : 0;
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
	if (tgid > 0 && tgid == getpid()) {
		fprintf(stderr, "leakscope: PID %d is this leakscope: it cannot trace "
			"itself (its own records would feed it without end)\n", pid);
		return -EINVAL;
	}
	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	if (readlink(path, buf, sizeof(buf)) < 0 && errno == ENOENT) {
		/* No executable: a zombie (exited, not yet reaped) or a kernel
		 * thread; /proc/PID/stat's state tells them apart. */
		if (process_state(pid) == 'Z')
			fprintf(stderr, "leakscope: PID %d has exited (a zombie its parent has "
				"not reaped): nothing is left to trace\n", pid);
		else
			fprintf(stderr, "leakscope: PID %d is a kernel thread; it has no user "
				"memory or fds to trace\n", pid);
		return -EINVAL;
	}
	return tgid > 0 ? tgid : pid;
}
