/* SPDX-License-Identifier: MIT */
/*
 * pprof export: a gzip-compressed perftools.profiles.Profile that
 * `go tool pprof`, Pyroscope and speedscope open, with Go's conventions:
 *
 *   kind        sample types (type/unit)                      period
 *   go_alloc    alloc_objects/count alloc_space/bytes
 *               inuse_objects/count inuse_space/bytes         space/bytes 524288
 *   go_heap     inuse_objects/count inuse_space/bytes         space/bytes 524288
 *   mmap, brk,  inuse_objects/count inuse_space/bytes         space/bytes 1
 *   malloc
 *   goroutine   goroutine/count                               goroutine/count 1
 *   fd          open_fds/count                                open_fds/count 1
 *
 * One kind per profile when a kind filter is given or the report holds
 * stacks of one kind only. Otherwise every kind goes into one profile,
 * each with its own value columns (memory kinds other than go_alloc are
 * then named "<kind>_objects" and "<kind>_space" so they never add up
 * with each other: malloc'd blocks live inside brk and mmap memory) and
 * zeros in the others' columns; pick one with -sample_index=open_fds.
 *
 * Every sample carries a numeric label "pid" and string labels "comm",
 * "fd_kind" (fds), "kind" (mixed profiles), "suspect" and "preexisting"
 * ("true", when set): -tagfocus=comm=nginx, -tags.
 */
#ifndef LS_EXPORT_PPROF_H
#define LS_EXPORT_PPROF_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct report;

#define PPROF_GO_PERIOD 524288	/* runtime.MemProfileRate's default */

struct pprof_options {
	int kind_filter;	/* an enum ls_kind, or EXPORT_ALL_KINDS (-1) */
};

/* The serialized Profile, not compressed, in a malloc'd buffer (for tests
 * and for pushing to a backend that compresses itself). 0 or -errno. */
int pprof__encode(const struct report *r, const struct pprof_options *o,
		  uint8_t **buf, size_t *len);

/* Write the gzip-compressed profile. 0 or -errno. */
int pprof__write(FILE *f, const struct report *r, const struct pprof_options *o);

#endif
