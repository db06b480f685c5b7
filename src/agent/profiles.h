/* SPDX-License-Identifier: MIT */
/*
 * The profiles the agent pushes, writes and serves: one gzip pprof per
 * process and kind, cut from one report (the writers behind
 * export/export.h do the encoding). In-use kinds (mmap, brk, fd, goroutine, go_heap) are
 * snapshots; go_alloc is sent as what was allocated since the previous
 * push of that process (all four of its columns), as Pyroscope expects
 * for alloc_* profiles.
 */
#ifndef LS_AGENT_PROFILES_H
#define LS_AGENT_PROFILES_H

#include <stddef.h>
#include <stdint.h>

struct report;
struct u64map;

/* A report holding only pid's stacks (pid < 0: every process) and its
 * target; it shares the frames of r: free it with _free, before r. */
struct report *profile__view(const struct report *r, int pid);
void profile__view_free(struct report *v);
/* Kinds with at least one stack with a value in v (bit per kind). */
unsigned profile__kinds(const struct report *v);
/* v's stacks of kind as a gzip pprof (malloc'd). 0 or -errno. */
int profile__pprof(const struct report *v, int kind, uint8_t **buf, size_t *len);

/* go_alloc cumulative values at the previous push, per process. */
struct alloc_deltas {
	struct u64map *by_pid;	/* pid -> its table (profiles.c) */
};

void alloc_deltas__init(struct alloc_deltas *d);
void alloc_deltas__free(struct alloc_deltas *d);
/* Turn v's go_alloc stacks (one process) into deltas since the last
 * call for that process, and remember the cumulative values. */
void alloc_deltas__apply(struct alloc_deltas *d, struct report *v, int pid);
void alloc_deltas__forget(struct alloc_deltas *d, int pid);

#endif
