/* SPDX-License-Identifier: MIT */
/*
 * Stack interning. A stack is stored once, as normalized frames that do
 * not depend on where a process loaded its code: (module, file offset),
 * so the same code path in two processes (or before and after an exec
 * with ASLR) is one stack. Events refer to stacks by a 32-bit id.
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

uint32_t stacks__intern(const uint64_t *frames, uint32_t n, uint32_t flags);
/* Normalize raw addresses through the address space, then intern.
 * unresolved counts frames that could not be placed in any module. */
uint32_t stacks__intern_raw(const struct addrspace *as, const uint64_t *ips,
			    uint32_t n, uint32_t flags, uint32_t *unresolved);
const uint64_t *stacks__frames(uint32_t id, uint32_t *n, uint32_t *flags);
uint32_t stacks__count(void);
size_t stacks__bytes(void);

#endif
