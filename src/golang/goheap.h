/* SPDX-License-Identifier: MIT */
/*
 * The Go runtime's own heap profile, read from outside the process: the
 * list of memory-profile buckets (runtime.mbuckets), each an allocation
 * stack with its sampled allocs and frees, exactly what runtime/pprof's
 * heap profile is made of.
 *
 * Layout (amd64, unchanged from Go 1.13 to 1.27): a bucket is
 *   next, allnext *bucket; typ int; hash, size, nstk uintptr   (48 bytes)
 *   stk [nstk]uintptr
 *   memRecord { active, future[3] memRecordCycle }
 * and memRecordCycle is { allocs, frees, alloc_bytes, free_bytes }.
 * pprof reports memRecord.active, as published at the end of a GC; the
 * future cycles hold what no GC has published yet, which
 * runtime.MemProfile counts instead while no bucket has an active record
 * (a program younger than its first GC).
 */
#ifndef LS_GOHEAP_H
#define LS_GOHEAP_H

#include <stddef.h>
#include <stdint.h>

#define GOHEAP_MAX_STACK 1024

struct goheap_bucket {
	uint64_t addr;		/* of the bucket in the target */
	uint64_t size;		/* object size of the bucket */
	uint32_t nstk;
	uint64_t pcs[GOHEAP_MAX_STACK];	/* return addresses, innermost first */
	uint64_t allocs, frees, alloc_bytes, free_bytes;	/* active */
	uint64_t pending[4];	/* the future cycles added up, same order */
};

typedef void (*goheap_fn)(void *ctx, const struct goheap_bucket *b);

/* Walk the list whose head pointer is stored at mbuckets_var (a runtime
 * address). Returns buckets visited, or -errno (-ESRCH gone, -EFAULT
 * unreadable, -ELOOP more than max_buckets). */
long goheap__walk(int pid, uint64_t mbuckets_var, goheap_fn fn, void *ctx,
		  size_t max_buckets);

#endif
