// SPDX-License-Identifier: MIT
#include "trace/tracefs.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#define TRACEFS "/sys/kernel/tracing"
#define DEBUGFS_TRACING "/sys/kernel/debug/tracing"

int tracefs__ensure(void)
{
	/* libbpf looks in debugfs first when that path exists. */
	if (access(DEBUGFS_TRACING "/events/syscalls", F_OK) == 0 ||
	    access(TRACEFS "/events/syscalls", F_OK) == 0)
		return 0;
	if (unshare(CLONE_NEWNS)) {
		int err = -errno;

		if (err == -EPERM)
			fprintf(stderr, "leakscope: tracefs is not mounted, and mounting it "
				"needs CAP_SYS_ADMIN: mount it (mount -t tracefs tracefs "
				TRACEFS ") or run leakscope as root\n");
		else
			fprintf(stderr, "leakscope: tracefs is not mounted and a private "
				"mount namespace failed: %s (mount it: mount -t tracefs "
				"tracefs " TRACEFS ")\n", strerror(errno));
		return err;
	}
	/* Nothing we mount may propagate back to the host. */
	if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) ||
	    mount("tracefs", TRACEFS, "tracefs", 0, NULL)) {
		int err = -errno;

		fprintf(stderr, "leakscope: cannot mount tracefs at " TRACEFS
			": %s (is CONFIG_TRACING enabled?)\n", strerror(errno));
		return err;
	}
	if (access(TRACEFS "/events/syscalls", F_OK)) {
		fprintf(stderr, "leakscope: this kernel has no syscall tracepoints "
			"(CONFIG_FTRACE_SYSCALLS is off); leakscope needs them\n");
		return -ENOENT;
	}
	return 0;
}
