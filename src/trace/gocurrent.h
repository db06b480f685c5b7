/* SPDX-License-Identifier: MIT */
/*
 * What each goroutine of a live Go process is doing now, read from its
 * memory when a report or the live view is made (never per event): its
 * state and wait reason, how long it has waited (g.waitsince, which the
 * runtime sets at the first garbage collection that finds it blocked),
 * and its current stack, walked as the runtime's own traceback walks it
 * (from g.sched, or g.syscallpc/sp in a system call, by each function's
 * pcsp table), without runtime.goexit at its end.
 *
 * Reads are batched: the head of every g (stack bounds, g.sched, syscall
 * pc and sp, status, goid, waitsince, waitreason: one iovec of ~320
 * bytes), then the live part of each stack, [sp, stack.hi), only for
 * goroutines that stopped somewhere else since the last read. Many
 * iovecs per process_vm_readv.
 */
#ifndef LS_GOCURRENT_H
#define LS_GOCURRENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct goproc;
struct goroutine;
struct process;

struct goroutine_now {
	const char *state;	/* "chan receive", "running", ...: a constant
				 * or the binary's (goread__state_name; copy
				 * to keep); NULL: not readable (exited
				 * meanwhile) */
	uint32_t stack;		/* where it is now, in the process's tables;
				 * 0 while it runs (its saved registers are
				 * stale) or when the walk found nothing */
	double wait_s;		/* since g.waitsince; < 0: not set */
};

/* Counters of the last call, for tests and the report's stats. */
struct gocurrent_stats {
	uint64_t goroutines, heads_read, stacks_read, stacks_reused;
	uint64_t stacks_truncated, stacks_broken, bytes_read;
};

/* out[i] for grs[i], after grs is sorted by g address (neighbouring gs
 * are read as one range). Each goroutine's now_key/now_stack is updated
 * (the stack is not read again while it stays where it stopped), and its
 * last_state. */
void gocurrent__read(struct goproc *g, struct process *p, struct goroutine **grs,
		     size_t n, uint64_t now_ns, struct goroutine_now *out,
		     struct gocurrent_stats *stats);

#endif
