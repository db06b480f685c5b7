// SPDX-License-Identifier: MIT
#include "trace/tracefs.h"
#include "base/logfmt.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#define TRACEFS "/sys/kernel/tracing"
#define DEBUGFS_TRACING "/sys/kernel/debug/tracing"

const char *tracefs__mounted(void)
{
	/* libbpf looks in debugfs first when that path exists. */
	if (access(DEBUGFS_TRACING "/events", F_OK) == 0)
		return DEBUGFS_TRACING;
	if (access(TRACEFS "/events", F_OK) == 0)
		return TRACEFS;
	return NULL;
}

int tracefs__ensure(const struct logger *log)
{
	/* libbpf looks in debugfs first when that path exists. */
	if (access(DEBUGFS_TRACING "/events/syscalls", F_OK) == 0 ||
	    access(TRACEFS "/events/syscalls", F_OK) == 0)
		return 0;
	if (unshare(CLONE_NEWNS)) {
		int err = -errno;

		if (err == -EPERM)
			logger__say(log, LOG_ERROR, "tracefs is not mounted, and mounting it "
				    "needs CAP_SYS_ADMIN: mount it (mount -t tracefs tracefs "
				    TRACEFS ") or run leakscope as root");
		else
			logger__say(log, LOG_ERROR, "tracefs is not mounted and a private "
				    "mount namespace failed: %s (mount it: mount -t tracefs "
				    "tracefs " TRACEFS ")", strerror(errno));
		return err;
	}
	/* Nothing we mount may propagate back to the host. */
	if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) ||
	    mount("tracefs", TRACEFS, "tracefs", 0, NULL)) {
		int err = -errno;

		logger__say(log, LOG_ERROR, "cannot mount tracefs at " TRACEFS
			    ": %s (is CONFIG_TRACING enabled?)", strerror(errno));
		return err;
	}
	if (access(TRACEFS "/events/syscalls", F_OK)) {
		logger__say(log, LOG_ERROR, "this kernel has no syscall tracepoints "
			    "(CONFIG_FTRACE_SYSCALLS is off); leakscope needs them");
		return -ENOENT;
	}
	return 0;
}
