// SPDX-License-Identifier: MIT
#include "trace/resync.h"
#include "trace/mallocprobes.h"
#include "trace/collector.h"
#include "trace/preexisting.h"
#include "ledgers/process.h"
#include "base/strtab.h"
#include "symbols/tables.h"
#include "base/procmaps.h"
#include "base/util.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define QUIET_NS 1000000000ULL
#define USER_SPACE_END (1ULL << 63)	/* above any user address */

/* The fds /proc shows, with their kinds; NULL when the process is gone. */
static uint8_t *proc_fd_kinds(int pid, size_t *n)
{
	char dir[64], link[96], target[PATH_MAX];
	uint8_t *kinds = NULL;
	size_t cap = 0;
	struct dirent *d;
	DIR *dp;

	*n = 0;
	snprintf(dir, sizeof(dir), "/proc/%d/fd", pid);
	dp = opendir(dir);
	if (!dp)
		return NULL;
	while ((d = readdir(dp))) {
		struct stat st;
		ssize_t len;
		int fd;

		if (d->d_name[0] < '0' || d->d_name[0] > '9')
			continue;
		fd = atoi(d->d_name);
		snprintf(link, sizeof(link), "%s/%d", dir, fd);
		len = readlink(link, target, sizeof(target) - 1);
		if (len <= 0)
			continue;
		target[len] = '\0';
		if ((size_t)fd >= *n) {
			grow_array((void **)&kinds, &cap, fd + 1, 1);
			memset(kinds + *n, 0, fd + 1 - *n);
			*n = fd + 1;
		}
		/* +1: 0 means "not open" */
		kinds[fd] = 1 + fd_kind_from_link(target, stat(link, &st) ? 0 : st.st_mode);
	}
	closedir(dp);
	return kinds ? kinds : xcalloc(1, 1);
}

static void resync_fds(struct process *p, uint64_t now_ns, struct resync_stats *st)
{
	size_t nopen;
	uint8_t *open = proc_fd_kinds(p->pid, &nopen);
	uint64_t added = 0;

	if (!open)
		return;
	for (size_t fd = 0; fd < p->fds.cap; fd++) {
		const struct fd_item *it = p->fds.fds[fd];

		if (!it)
			continue;
		/* gone, or the number now holds something of another kind (a
		 * lost close, then a lost open) */
		if (fd >= nopen || !open[fd] ||
		    (it->kind != FD_UNKNOWN && open[fd] - 1 != FD_UNKNOWN &&
		     open[fd] - 1 != it->kind)) {
			fdtable__close(&p->fds, (int)fd);
			st->fds_removed++;
		}
	}
	free(open);
	preexisting__scan_fds(p, now_ns, &added);
	st->fds_added += added;
}

static bool is_kernel_area(const char *path)
{
	return !strcmp(path, "[vvar]") || !strcmp(path, "[vdso]") ||
	       !strcmp(path, "[vsyscall]") || !strcmp(path, "[vvar_vclock]");
}

static void resync_memory(struct process *p, const struct procmap *maps, size_t n,
			  uint64_t now_ns, struct resync_stats *st)
{
	uint64_t prev = 0, before = p->maps.bytes;
	const struct procmap *heap = NULL;

	/* Mapped in the ledger, not in /proc: the munmap was lost. */
	for (size_t i = 0; i < n; i++) {
		if (maps[i].start > prev)
			mappings__unmap(&p->maps, prev, maps[i].start - prev);
		prev = MAX(prev, maps[i].end);
		if (!strcmp(maps[i].path, "[heap]"))
			heap = &maps[i];
	}
	if (prev < USER_SPACE_END)
		mappings__unmap(&p->maps, prev, USER_SPACE_END - prev);
	st->bytes_removed += before - p->maps.bytes;
	/* In /proc, not in the ledger: the mmap was lost. */
	before = p->maps.bytes;
	for (size_t i = 0; i < n; i++) {
		const struct procmap *m = &maps[i];

		if (is_kernel_area(m->path) || m == heap)
			continue;
		mappings__adopt(&p->maps, m->start, m->end - m->start, now_ns,
				m->inode ? MAPPING_FILE : 0,
				strtab__intern(p->tables->strings,
					       m->path[0] ? m->path : "[anonymous]"));
	}
	st->bytes_added += p->maps.bytes - before;
	/* The heap ends where /proc says; growth we never saw has no stack. */
	before = p->brk.bytes;
	if (!heap) {
		if (p->brk.top && p->brk.n)
			brkheap__moved(&p->brk, 0, p->brk.segs[0].start, 0, now_ns);
	} else if (p->brk.top != heap->end) {
		size_t n_before = p->brk.n;

		brkheap__moved(&p->brk, p->brk.top ? 0 : heap->start, heap->end, 0, now_ns);
		if (p->brk.n > n_before)
			p->brk.segs[p->brk.n - 1].preexisting = 1;
	}
	if (p->brk.bytes > before)
		st->bytes_added += p->brk.bytes - before;
	else
		st->bytes_removed += before - p->brk.bytes;
}

int resync__process(struct process *p, uint64_t now_ns, struct resync_stats *st)
{
	struct procmap *maps;
	size_t n;
	int err;

	if (p->exited)
		return -ESRCH;
	err = procmaps__read(p->pid, &maps, &n);
	if (err)
		return err;
	resync_fds(p, now_ns, st);
	resync_memory(p, maps, n, now_ns, st);
	procmaps__free(maps, n);
	return 0;
}

/* Malloc probes on p (heap.allocator alone is only what it allocates
 * with, named even under --malloc=off), or blocks from them (a fork's
 * copy). */
static bool process_traces_malloc(const struct collector *c, const struct process *p)
{
	return (mallocprobes__mode(c->malloc) != MALLOC_OFF && p->heap.allocator) ||
	       p->heap.n || p->heap.allocs || p->heap.frees;
}

static void resync_all(struct collector *c, uint64_t lost, uint64_t now_ns)
{
	struct resync_stats *st = &c->resync;

	for (size_t i = 0; i < c->nprocs; i++) {
		struct process *p = c->procs[i];

		/* Exited while losses were pending: what it held at exit may
		 * be off either way. Go ledgers and malloc blocks have nothing
		 * to re-read (no outside view lists a process's heap blocks): a
		 * lost malloc hides a block (its free is then counted as of an
		 * unknown block, never below zero), a lost free keeps one. */
		if (p->exited && p->exit_ns >= st->pending_since_ns)
			st->inexact = true;
		else if (!p->exited && resync__process(p, now_ns, st) == 0 &&
			 (p->go || process_traces_malloc(c, p)))
			st->inexact = true;
	}
	st->lost_handled = lost;
	st->pending_since_ns = 0;
	st->runs++;
}

void resync__tick(struct collector *c, uint64_t lost, uint64_t now_ns)
{
	struct resync_stats *st = &c->resync;
	uint64_t prev_tick = st->last_tick_ns ? st->last_tick_ns : c->start_ns;

	st->last_tick_ns = now_ns;
	if (lost > st->last_lost) {
		/* lost somewhere since the previous tick: still losing */
		st->last_lost = lost;
		st->quiet_since_ns = now_ns;
		if (!st->pending_since_ns)
			st->pending_since_ns = prev_tick;
		return;
	}
	if (st->pending_since_ns && now_ns - st->quiet_since_ns >= QUIET_NS)
		resync_all(c, lost, now_ns);
}

void resync__finish(struct collector *c, uint64_t lost, uint64_t now_ns)
{
	struct resync_stats *st = &c->resync;

	if (lost <= st->lost_handled)
		return;
	if (!st->pending_since_ns)	/* lost since the last tick */
		st->pending_since_ns = st->last_tick_ns ? st->last_tick_ns : c->start_ns;
	st->last_lost = lost;
	resync_all(c, lost, now_ns);
}
