/* SPDX-License-Identifier: MIT */
/*
 * The brk ledger of one process: the heap's growth as a stack of
 * segments, each owned by the call stack that moved the break up. A
 * shrink releases the most recent growth first, as the break itself does.
 * Bytes are counted in whole pages, like the [heap] mapping in
 * /proc/PID/maps, so the two can be compared exactly.
 */
#ifndef LS_BRKHEAP_H
#define LS_BRKHEAP_H

#include <stddef.h>
#include <stdint.h>

struct brk_segment {
	uint64_t start, end;	/* page-aligned */
	uint64_t birth_ns;
	uint32_t stack;
	uint32_t preexisting;	/* found at attach (-p): creator unknown */
	uint32_t allocator;	/* grown inside malloc (--malloc): its blocks
				 * are counted under malloc */
	/* As for a mapping (mappings.h): last measured use, 0 = never. */
	uint64_t resident_bytes, committed_bytes, measured_ns;
};

struct brkheap {
	struct brk_segment *segs;
	size_t n, cap;
	uint64_t page_size;
	uint64_t top;		/* page-aligned break we last saw, 0 = none */
	uint64_t bytes;
};

void brkheap__init(struct brkheap *h, uint64_t page_size);
void brkheap__clear(struct brkheap *h);
/* The break moved from old_brk to new_brk (unaligned, as the kernel keeps
 * them). old_brk 0 means unknown: the last break seen is used instead. */
void brkheap__moved(struct brkheap *h, uint64_t old_brk, uint64_t new_brk,
		    uint32_t stack, uint64_t ts_ns);
void brkheap__copy(struct brkheap *dst, const struct brkheap *src);

#endif
