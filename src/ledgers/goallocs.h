/* SPDX-License-Identifier: MIT */
/*
 * Go heap allocations of one process during the session, tallied per
 * allocation stack: sampled ones (the runtime's profiler sample, scaled
 * like pprof at report time) or every one (--go-alloc=all).
 */
#ifndef LS_GOALLOCS_H
#define LS_GOALLOCS_H

#include <stddef.h>
#include <stdint.h>

struct u64map;

struct goalloc_tally {
	uint32_t stack;
	uint32_t sampled;	/* tallied from samples: scale at report */
	uint64_t count, bytes;	/* as seen (unscaled) */
	uint64_t first_ns;
};

struct goallocs {
	struct u64map *by_stack;	/* stack << 1 | sampled -> index */
	struct goalloc_tally *t;
	size_t n, cap;
};

void goallocs__init(struct goallocs *a);
void goallocs__clear(struct goallocs *a);
void goallocs__add(struct goallocs *a, uint32_t stack, uint64_t size,
		   int sampled, uint64_t ts_ns);
/*
 * pprof's scaling of a sampled record (runtime/pprof scaleHeapSample):
 * an allocation of average size s is sampled with probability
 * 1 - exp(-s / rate), so count and bytes are divided by that.
 */
void goallocs__scale(uint64_t count, uint64_t bytes, uint64_t rate,
		     uint64_t *scaled_count, uint64_t *scaled_bytes);

#endif
