/* SPDX-License-Identifier: MIT */
/*
 * Walking a goroutine's stack from a copy of it, the way the Go runtime's
 * own traceback walks it: at each pc the function's pcsp table says how
 * far above the stack pointer the frame's return address is, and the
 * caller's stack pointer is just above that. No frame pointer is needed
 * (a goroutine stopped in a system call before Go 1.23 has none saved),
 * and assembly frames are walked too. The walk ends at runtime.goexit,
 * which every goroutine's first function returns to (not included), or
 * at the runtime's start-up frames.
 *
 * Used for the current stack of a goroutine read at report time and for
 * the creating goroutine's stack copied at the creation probe. What each
 * pc needs is looked up once per binary and kept (gobin owns the cache).
 */
#ifndef LS_GOSTACK_H
#define LS_GOSTACK_H

#include <stddef.h>
#include <stdint.h>

struct gobin;

#define GOSTACK_TRUNCATED 0x1	/* the copy or max ran out first */
#define GOSTACK_LEAF_EXACT 0x2	/* pcs[0] is a function's entry (a goroutine
				 * that has not run yet), not a return address */
#define GOSTACK_BROKEN 0x4	/* a pc in no function of the binary */

/*
 * Frames from (pc, sp) into pcs (run-time addresses, innermost first), at
 * most max. The stack's bytes from base on are in stack[0, len); bias is
 * run-time minus link-time address. Returns how many frames; *flags says
 * how the walk ended.
 */
uint32_t gostack__walk(struct gobin *bin, uint64_t bias, uint64_t pc, uint64_t sp,
		       const uint8_t *stack, uint64_t base, size_t len, uint64_t *pcs,
		       uint32_t max, unsigned *flags);

#endif
