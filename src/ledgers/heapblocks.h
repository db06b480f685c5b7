/* SPDX-License-Identifier: MIT */
/*
 * The malloc ledger of one process: heap blocks still allocated (by
 * address), each with its size, allocation stack and birth, and per
 * stack what was allocated while traced (pprof's alloc_objects and
 * alloc_space). With sampling, the blocks are the sampler's picks and
 * are weighed at report time like pprof's (goallocs__scale).
 *
 * A free of an address it does not hold (a block from before attach, or
 * whose record was lost) changes nothing and is counted; a block at an
 * address it already holds replaces the old one (whose free was not
 * seen) and is counted too. Nothing ever goes negative.
 */
#ifndef LS_HEAPBLOCKS_H
#define LS_HEAPBLOCKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct u64map;

struct heap_block {
	uint64_t addr;
	uint64_t size;		/* bytes asked for */
	uint64_t birth_ns;
	uint32_t stack;
	uint32_t pad;
};

struct heap_tally {
	uint32_t stack;
	uint32_t pad;
	uint64_t count, bytes;	/* allocated while traced (sampled: unscaled) */
};

struct heapblocks {
	struct u64map *by_addr;		/* addr -> index in b[] */
	struct heap_block *b;		/* dense: a removal moves the last in */
	size_t n, cap;
	uint64_t bytes;			/* outstanding, as asked for (unscaled) */
	struct u64map *tally_by_stack;	/* stack -> index in t[] */
	struct heap_tally *t;
	size_t nt, capt;
	uint64_t sample_mean;		/* 0: every block is here */
	uint64_t allocs, frees;		/* seen while traced */
	uint64_t unknown_frees;		/* of blocks it never held */
	uint64_t replaced;		/* blocks whose free was never seen */
	/* in the process's tables' strings (process__mark keeps them) */
	const char *allocator;		/* what the process allocates with, or NULL */
	const char *skipped;		/* functions left unprobed, or NULL */
};

void heapblocks__init(struct heapblocks *h);
void heapblocks__clear(struct heapblocks *h);
/* A child's copy (fork): the same blocks, stacks, ages; no tallies. */
void heapblocks__copy(struct heapblocks *dst, const struct heapblocks *src);
void heapblocks__alloc(struct heapblocks *h, uint64_t addr, uint64_t size,
		       uint32_t stack, uint64_t ts_ns);
/* free: true if the block was held. */
bool heapblocks__free(struct heapblocks *h, uint64_t addr);
/*
 * realloc's old block, retired when the call succeeded: only if the block
 * held there is the one the call was given (born before call_ns; another
 * thread may have been given the address anew since). count_unknown:
 * whether a miss counts as a free of an unknown block.
 */
bool heapblocks__retire(struct heapblocks *h, uint64_t addr, uint64_t call_ns,
			bool count_unknown);
const struct heap_block *heapblocks__get(const struct heapblocks *h, uint64_t addr);
/* What the blocks stand for: themselves, or sampled blocks each weighed
 * like pprof's (1 / (1 - exp(-size / mean)) blocks of its size). */
void heapblocks__weight(const struct heapblocks *h, uint64_t *count, uint64_t *bytes);

#endif
