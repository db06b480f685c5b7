// SPDX-License-Identifier: MIT
#include "agent/filter.h"
#include "agent/options.h"
#include "base/util.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The longest cgroup mount point that prefixes path, from a mounts text. */
static size_t cgroup_mount_prefix(const char *path, const char *mounts)
{
	const char *line = mounts;
	size_t best = 0;

	while (line && *line) {
		char dev[256], dir[1024], type[64];
		const char *next = strchr(line, '\n');

		if (sscanf(line, "%255s %1023s %63s", dev, dir, type) == 3 &&
		    (!strcmp(type, "cgroup") || !strcmp(type, "cgroup2"))) {
			size_t n = strlen(dir);

			if (n > best && !strncmp(path, dir, n) && (path[n] == '/' || !path[n]))
				best = n;
		}
		line = next ? next + 1 : NULL;
	}
	return best;
}

char *agent_filter__normalize_cgroup(const char *path, const char *mounts)
{
	char *own = NULL, *out;
	size_t skip = 0, n;

	if (!mounts) {
		size_t len;

		own = read_file("/proc/self/mounts", &len);
		mounts = own;
	}
	if (mounts && path[0] == '/')
		skip = cgroup_mount_prefix(path, mounts);
	free(own);
	path += skip;
	out = xasprintf("%s%s", path[0] == '/' ? "" : "/", path);
	n = strlen(out);
	while (n > 1 && out[n - 1] == '/')
		out[--n] = '\0';
	return out;
}

bool agent_filter__cgroup_match(const char *want, const char *text)
{
	const char *line = text;
	size_t wn = strlen(want);

	if (!text)
		return false;
	while (line && *line) {
		const char *next = strchr(line, '\n');
		const char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		size_t len = next ? (size_t)(next - line) : strlen(line);

		/* "hierarchy-ID:controllers:path" */
		if (c2 && c2 < line + len) {
			const char *p = c2 + 1;
			size_t pn = line + len - p;

			if (!strcmp(want, "/") ||
			    (pn >= wn && !strncmp(p, want, wn) && (pn == wn || p[wn] == '/')))
				return true;
		}
		line = next ? next + 1 : NULL;
	}
	return false;
}

void agent_filter__init(struct agent_filter *f, const struct agent_options *o)
{
	memset(f, 0, sizeof(*f));
	f->comms = (const char *const *)o->comms.v;
	f->ncomms = o->comms.n;
	f->exes = (const char *const *)o->exes.v;
	f->nexes = o->exes.n;
	f->pids = o->pids;
	f->npids = o->npids;
	f->self_pid = getpid();
	if (o->cgroups.n) {
		f->cgroups = xcalloc(o->cgroups.n, sizeof(*f->cgroups));
		for (size_t i = 0; i < o->cgroups.n; i++)
			f->cgroups[i] = agent_filter__normalize_cgroup(o->cgroups.v[i], NULL);
		f->ncgroups = o->cgroups.n;
	}
}

void agent_filter__free(struct agent_filter *f)
{
	for (size_t i = 0; i < f->ncgroups; i++)
		free(f->cgroups[i]);
	free(f->cgroups);
	memset(f, 0, sizeof(*f));
}

static bool any_glob(const char *const *pats, size_t n, const char *s)
{
	for (size_t i = 0; s && i < n; i++)
		if (fnmatch(pats[i], s, 0) == 0)
			return true;
	return false;
}

bool agent_filter__may_match(const struct agent_filter *f, int pid, const char *comm)
{
	bool ok = !f->npids;

	for (size_t i = 0; i < f->npids; i++)
		ok |= f->pids[i] == pid;
	return ok && pid != f->self_pid && (!f->ncomms || any_glob(f->comms, f->ncomms, comm));
}

bool agent_filter__matches(const struct agent_filter *f, const struct proc_identity *id)
{
	bool ok;

	if (id->pid == f->self_pid)
		return false;
	if (f->npids) {
		ok = false;
		for (size_t i = 0; i < f->npids; i++)
			ok |= f->pids[i] == id->pid;
		if (!ok)
			return false;
	}
	if (f->ncomms && !any_glob(f->comms, f->ncomms, id->comm))
		return false;
	if (f->nexes && !any_glob(f->exes, f->nexes, id->exe) &&
	    !any_glob(f->exes, f->nexes, id->exe_as_run))
		return false;
	if (f->ncgroups) {
		ok = false;
		for (size_t i = 0; i < f->ncgroups && !ok; i++)
			ok = agent_filter__cgroup_match(f->cgroups[i], id->cgroup_text);
		if (!ok)
			return false;
	}
	return true;
}

int agent_filter__read_identity(int pid, struct proc_identity *id, char *comm,
				size_t comm_size, char *exe, size_t exe_size,
				char **cgroup_text)
{
	char path[64];
	ssize_t n;
	size_t len;

	id->pid = pid;
	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	if (read_line(path, comm, comm_size))
		return -ESRCH;
	id->comm = comm;
	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	n = readlink(path, exe, exe_size - 1);
	if (n > 0) {
		exe[n] = '\0';
		/* a replaced binary still runs: match its old name */
		if (n > 10 && !strcmp(exe + n - 10, " (deleted)"))
			exe[n - 10] = '\0';
		id->exe = exe;
	} else {
		id->exe = NULL;	/* a kernel thread, or gone */
	}
	snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
	*cgroup_text = read_file(path, &len);
	id->cgroup_text = *cgroup_text;
	return 0;
}
