/* SPDX-License-Identifier: MIT */
/*
 * The mmap ledger of one process: which address ranges it still has
 * mapped, and for each, the allocation (mmap or mremap growth) it came
 * from. An allocation stays outstanding while any byte of it is mapped,
 * wherever mremap moved it.
 */
#ifndef LS_MAPPINGS_H
#define LS_MAPPINGS_H

#include <stdint.h>
#include "base/ranges.h"

struct mapping_alloc {
	uint64_t birth_ns;
	uint64_t bytes;		/* still mapped */
	uint64_t first_start;	/* where it was created (for --items) */
	const char *file;	/* path of a file mapping (tables' strings), or NULL */
	uint32_t stack;
	uint32_t flags;		/* MAPPING_* */
	/* What its pieces used when last measured (trace/memusage.c):
	 * resident in RAM, and committed (counted against the kernel's
	 * commit limit). measured_ns 0: never measured. */
	uint64_t resident_bytes, committed_bytes, measured_ns;
};

#define MAPPING_FILE 0x1	/* backed by a file (not anonymous) */
#define MAPPING_PREEXISTING 0x2	/* found at attach, not seen created */
#define MAPPING_COMMITS 0x4	/* private writable when mapped: committed */
#define MAPPING_ALLOCATOR 0x8	/* made by malloc for its blocks (--malloc):
				 * those are counted under malloc */

struct mappings {
	struct ranges ranges;
	uint64_t bytes;		/* total mapped, all allocations */
	uint64_t allocs;	/* allocations with bytes left */
	uint64_t page_size;
};

void mappings__init(struct mappings *m, uint64_t page_size);
void mappings__clear(struct mappings *m);
/* A successful mmap at addr (also MAP_FIXED over older ranges). */
void mappings__map(struct mappings *m, uint64_t addr, uint64_t len,
		   uint32_t stack, uint64_t ts_ns, uint32_t flags,
		   const char *file);
void mappings__unmap(struct mappings *m, uint64_t addr, uint64_t len);
/* A mapping found at attach: added only where no range is tracked yet
 * (what the events already told us is newer). */
void mappings__adopt(struct mappings *m, uint64_t addr, uint64_t len,
		     uint64_t ts_ns, uint32_t flags, const char *name);
/* A successful mremap: old span, new span; growth is a new allocation
 * owned by the stack that grew it, with flags. dontunmap: MREMAP_DONTUNMAP. */
void mappings__remap(struct mappings *m, uint64_t old_addr, uint64_t old_len,
		     uint64_t new_addr, uint64_t new_len, int dontunmap,
		     uint32_t stack, uint64_t ts_ns, uint32_t flags);
/* Every allocation once, in address order of its pieces. */
typedef void (*mapping_visit_fn)(void *ctx, const struct mapping_alloc *a);
void mappings__visit_allocs(const struct mappings *m, mapping_visit_fn fn,
			    void *ctx);
/* Every piece still mapped, in address order, with its allocation. */
typedef void (*mapping_piece_fn)(void *ctx, struct mapping_alloc *a,
				 uint64_t start, uint64_t end);
void mappings__visit_pieces(struct mappings *m, mapping_piece_fn fn, void *ctx);
/* Copy of a parent's ledger for a forked child (same stacks and ages). */
void mappings__copy(struct mappings *dst, const struct mappings *src);

#endif
