/* SPDX-License-Identifier: MIT */
/*
 * Which processes the agent traces. Filters of different kinds must all
 * match (--cgroup /x --comm nginx: nginx in /x); the values of one kind
 * are alternatives (--comm nginx --comm redis-server). No filter at all:
 * every process. comm and exe take shell globs (fnmatch); a cgroup
 * matches itself and everything below it, in any hierarchy (v1 or v2)
 * listed in /proc/PID/cgroup.
 *
 * Matching happens in userspace, once per exec (and once per running
 * process at start): the BPF side only announces execs, so untraced
 * processes never send their syscalls up.
 */
#ifndef LS_AGENT_FILTER_H
#define LS_AGENT_FILTER_H

#include <stdbool.h>
#include <stddef.h>

struct agent_options;

struct agent_filter {
	const char *const *comms;
	size_t ncomms;
	const char *const *exes;
	size_t nexes;
	char **cgroups;		/* normalized: "/a/b", no trailing '/' */
	size_t ncgroups;
	const int *pids;
	size_t npids;
	int self_pid;		/* never traced: the agent itself */
};

/* What is known of a process when it is matched. */
struct proc_identity {
	int pid;
	const char *comm;
	const char *exe;		/* /proc/PID/exe, NULL if unknown */
	const char *exe_as_run;		/* the path given to exec, or NULL */
	const char *cgroup_text;	/* contents of /proc/PID/cgroup, or NULL */
};

/* The filter of o's options (points into o; cgroups are copied). */
void agent_filter__init(struct agent_filter *f, const struct agent_options *o);
void agent_filter__free(struct agent_filter *f);
bool agent_filter__matches(const struct agent_filter *f, const struct proc_identity *id);
/* Could a process of this pid and comm match? (Checked on the exec
 * record alone, before anything is read from /proc.) */
bool agent_filter__may_match(const struct agent_filter *f, int pid, const char *comm);
/* Fill id from /proc (comm, exe, cgroup read into the caller's buffers);
 * -errno when the process is gone. exe_as_run is left as it is. */
int agent_filter__read_identity(int pid, struct proc_identity *id, char *comm,
				size_t comm_size, char *exe, size_t exe_size,
				char **cgroup_text);

/* Pure parts, exposed for tests. */
/* "/sys/fs/cgroup/unified/a/b/" -> "/a/b" (mount points from mounts, a
 * /proc/mounts text, or NULL for /proc/self/mounts); "a/b" -> "/a/b". */
char *agent_filter__normalize_cgroup(const char *path, const char *mounts);
/* Is any hierarchy's path in a /proc/PID/cgroup text want or below it? */
bool agent_filter__cgroup_match(const char *want, const char *cgroup_text);

#endif
