/* SPDX-License-Identifier: MIT */
/*
 * The Go side of one traced process: its goroutine and allocation
 * ledgers, and what was last read from its memory (the runtime's heap
 * profile, MemProfileRate), kept for after the process exits. Reading a
 * live process is trace/goread.c's job; this is state only.
 */
#ifndef LS_GOPROC_H
#define LS_GOPROC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ledgers/goallocs.h"
#include "ledgers/goroutines.h"

struct go_binary;

/* One allocation stack of the runtime's heap profile, scaled like pprof. */
struct goheap_entry {
	uint32_t stack;
	uint64_t inuse_count, inuse_bytes;
	uint64_t alloc_count, alloc_bytes;
	uint64_t bucket;	/* its address in the target: stable for life */
	/* The first reading that showed its in-use heap grow while traced
	 * (0: never); preexisting: it held heap when leakscope attached and
	 * has not grown since. Objects carry no birth time of their own. */
	uint64_t grew_ns;
	bool preexisting;
};

struct goproc {
	struct go_binary *bin;
	uint64_t bias;		/* runtime address - link-time address */
	bool bias_known;
	uint64_t mbuckets;	/* runtime address of runtime.mbuckets, 0 unknown */
	uint64_t rate;		/* MemProfileRate; 0 = memory profiling off */
	const char *rate_source;	/* "runtime.MemProfileRate", "GODEBUG", ... */
	struct goroutines gor;
	/* --go-goroutines=snapshot: no probe on goroutine creation or exit;
	 * the live goroutines come from walks of runtime.allgs, spaced so
	 * that their CPU stays within a budget (trace/goread.c). */
	bool snapshot;
	struct goroutine_walks {
		uint32_t gen;		/* walks so far: marks what each saw */
		uint64_t next_ns;	/* when the next periodic walk is due */
		uint64_t interval_ns;	/* as last adapted */
		uint64_t last_cpu_ns;	/* the last walk's CPU time */
		uint64_t last_seen;	/* goroutines it found */
		uint64_t cpu_ns, count;	/* all walks */
		int err;		/* the last walk's, 0 if it worked */
	} walk;
	struct goallocs allocs;
	/* the heap profile as last read (kept for after the process exits) */
	struct goheap_entry *heap;
	size_t nheap, capheap;
	bool heap_read;
	/* No GC has published a profile cycle yet: the readings count the
	 * unpublished cycles, as runtime.MemProfile does then. */
	bool heap_unpublished;
	char heap_why[128];	/* why there is no heap profile, if none */
};

struct goproc *goproc__new(struct go_binary *bin);
void goproc__free(struct goproc *g);

#endif
