/* SPDX-License-Identifier: MIT */
/*
 * Unwinding a native user stack in userspace from what the BPF side
 * copied at the event: three registers and the top of the stack. Each
 * frame is unwound with its module's CFI where there is one, and by the
 * frame-pointer chain where there is not (Go code, JIT code), so a mixed
 * stack (cgo) comes out as one.
 */
#ifndef LS_UNWIND_H
#define LS_UNWIND_H

#include <stddef.h>
#include <stdint.h>

struct addrspace;

struct unwind_regs {
	uint64_t ip, sp, bp;
};

struct unwind_snapshot {
	uint64_t base;		/* user address of data[0] */
	const uint8_t *data;
	size_t len;
};

/* Why unwinding stopped (UNWIND_END_*) and what it had to do. */
#define UNWIND_END_CLEAN 0x1	/* reached the outermost frame */
#define UNWIND_END_SNAPSHOT 0x2	/* needed memory beyond the snapshot */
#define UNWIND_END_DEPTH 0x4	/* filled the frame buffer */
#define UNWIND_END_BROKEN 0x8	/* no rule and no usable frame pointer */
#define UNWIND_USED_FP 0x10	/* some frames came from the RBP chain */

/* Writes up to max raw pcs (innermost first; the first is exact, the
 * rest return addresses). Returns the number written; *flags gets the
 * UNWIND_* bits. */
uint32_t unwind__stack(const struct addrspace *as, const struct unwind_regs *r,
		       const struct unwind_snapshot *s, uint64_t *pcs,
		       uint32_t max, uint32_t *flags);

/* Continue a stack that ended because the snapshot ran out, with the
 * frame-pointer stack the kernel captured: if the last pc appears in
 * fp[], what follows it there is appended. Returns the new count. */
uint32_t unwind__stitch(uint64_t *pcs, uint32_t n, uint32_t max,
			const uint64_t *fp, uint32_t nfp);

#endif
