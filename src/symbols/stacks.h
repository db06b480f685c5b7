/* SPDX-License-Identifier: MIT */
/*
 * Stack interning. A stack is stored once, as normalized frames that do
 * not depend on where a process loaded its code: (module, file offset),
 * so the same code path in two processes (or before and after an exec
 * with ASLR) is one stack. Events refer to stacks by a 32-bit id.
 *
 * The table belongs to the collector's tables (tables.h). A long-running
 * owner marks the ids its ledgers still hold and sweeps: marked stacks
 * keep their ids, the others are freed and their ids given to new
 * stacks later.
 */
#ifndef LS_STACKS_H
#define LS_STACKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A normalized frame: module id in the top 16 bits, file offset below;
 * module 0 means the address could not be placed and is kept raw. */
#define FRAME_MODULE(f) ((uint32_t)((f) >> 48))
#define FRAME_OFFSET(f) ((f) & ((1ULL << 48) - 1))
#define FRAME_MAKE(mod, off) (((uint64_t)(mod) << 48) | ((off) & ((1ULL << 48) - 1)))

#define STACK_NONE 0		/* id of "no stack captured" */

/* stack flags */
#define STACK_TRUNCATED 0x1	/* capture filled its buffer */
#define STACK_LEAF_EXACT 0x2	/* frame 0 is an exact pc (uprobe), not a
				 * return address */
#define STACK_GO_LOGICAL 0x4	/* recorded by the Go runtime (heap profile
				 * buckets): one pc per inlined call already */

struct addrspace;
struct stacks;

struct stacks *stacks__new(void);
void stacks__free(struct stacks *st);
uint32_t stacks__intern(struct stacks *st, const uint64_t *frames, uint32_t n,
			uint32_t flags);
/* Normalize raw addresses through the address space, then intern.
 * unresolved counts frames that could not be placed in any module. */
uint32_t stacks__intern_raw(struct stacks *st, const struct addrspace *as,
			    const uint64_t *ips, uint32_t n, uint32_t flags,
			    uint32_t *unresolved);
/* Frames of a live id; NULL with *n 0 for STACK_NONE or a freed id. */
const uint64_t *stacks__frames(const struct stacks *st, uint32_t id, uint32_t *n,
			       uint32_t *flags);
bool stacks__live(const struct stacks *st, uint32_t id);
uint32_t stacks__count(const struct stacks *st);
size_t stacks__bytes(const struct stacks *st);

/* Mark and sweep (see above). */
void stacks__mark(struct stacks *st, uint32_t id);
bool stacks__marked(const struct stacks *st, uint32_t id);
/* Free the stacks not marked since the last sweep, clear the marks, and
 * return how many were freed. */
size_t stacks__sweep(struct stacks *st);

#endif
