/* SPDX-License-Identifier: MIT */
/*
 * Where to put a uprobe on a native (C, C++) function so that every call
 * costs one emulated hit and its arguments can still be read: the first
 * instruction on the way in that the kernel emulates (push, jcc, jmp,
 * call, nop; everything else is single-stepped, ~20x slower here),
 * provided every argument is still in some register there. Decoded with
 * capstone, following register copies (mimalloc's malloc moves its size
 * from RDI to RSI before its first branch) and stack-pointer moves.
 */
#ifndef LS_PROBE_SITE_H
#define LS_PROBE_SITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PROBE_SITE_MAX_ARGS 3

struct probe_site {
	uint64_t vaddr;		/* the instruction to probe */
	uint32_t sp_words;	/* 8-byte words the stack pointer moved down
				 * since the entry (the return address is at
				 * sp + 8 * sp_words) */
	int arg_reg[PROBE_SITE_MAX_ARGS];	/* LS_REG_* of each argument */
	char insn[48];		/* "push %r12", "je 0x98fb8" */
	bool thunk;		/* the function is a jump elsewhere ... */
	uint64_t target;	/* ... to here (rel32/rel8 jmp) */
};

/* Why no site was found (for -v and the report). */
enum probe_site_fail {
	PROBE_SITE_OK = 0,
	PROBE_SITE_NO_EMULATED,		/* none before a return or indirect jump */
	PROBE_SITE_ARG_LOST,		/* an argument overwritten before it */
	PROBE_SITE_SP_UNKNOWN,		/* the stack pointer moved in a way not followed */
	PROBE_SITE_REENTERED,		/* a branch leads back to it: not once per call */
	PROBE_SITE_UNDECODABLE,
};

/*
 * code holds the function's bytes (len of them, at link-time vaddr; the
 * whole function when size is known, so branches back into its start
 * can be seen). nargs: how many integer arguments must be readable.
 * Returns PROBE_SITE_OK and fills *out, or why not.
 */
enum probe_site_fail probe_site__find(const uint8_t *code, size_t len, uint64_t vaddr,
				      int nargs, struct probe_site *out);
const char *probe_site__why(enum probe_site_fail f);
/* Where the function's straight line ends in an unconditional jump (a
 * tail call, like glibc's reallocarray ending in `jmp realloc`): its
 * target, or 0. */
uint64_t probe_site__tail_jump(const uint8_t *code, size_t len, uint64_t vaddr);
/* The GOT slot a PLT stub at code jumps through (jmp *disp(%rip)), 0 if
 * it is not such a stub. */
uint64_t probe_site__plt_slot(const uint8_t *code, size_t len, uint64_t vaddr);

#endif
