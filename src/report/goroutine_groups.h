/* SPDX-License-Identifier: MIT */
/*
 * The goroutine kind of a report, the way Go developers read goroutine
 * leaks: live goroutines grouped by creation stack, the function they
 * run (g.startpc) and, for goroutines started inside the standard
 * library, the creation stacks of their creators up to the user's code
 * (as GODEBUG=tracebackancestors shows them); inside each group, where
 * they are now, grouped by current stack as pprof's goroutine profile
 * groups them, with the wait reason and how long they have waited. The
 * runtime's own goroutines (those runtime.Stack(all) hides: started from
 * a runtime function) are counted apart, not listed.
 */
#ifndef LS_REPORT_GOROUTINE_GROUPS_H
#define LS_REPORT_GOROUTINE_GROUPS_H

#include <stdbool.h>
#include <stdint.h>

struct process;
struct report;
struct report_stack;
struct report_target;
struct tables;

/* Ancestors shown at most, as tracebackancestors=N does. */
#define GOROUTINE_ANCESTRY_MAX 8

/* The builder's way to count one goroutine into its group's entry
 * (keyed by creation stack, sub and pre-existence) or into the hidden
 * totals (then NULL). walked: found by a walk of the runtime's list
 * (snapshot mode), never in flight. */
typedef struct report_stack *(*goroutine_add_fn)(void *ctx, uint32_t stack, uint32_t sub,
						 bool preexisting, bool walked,
						 uint64_t birth_ns);

/*
 * Every live goroutine of p into the report through add, and t's Go
 * goroutine figures. read_now: read what each goroutine does now from the
 * process (for reports a user sees; not for the samples behind verdicts).
 */
void goroutine_groups__add(struct report *r, struct report_target *t,
			   const struct process *p, bool read_now, uint64_t now_ns,
			   goroutine_add_fn add, void *ctx);

/* Frames for s's current stacks and ancestors from the collector's
 * tables t, as frames__expand makes them (after s's own frames are);
 * its creation frames start at the `go` statement. */
void goroutine_groups__symbolize(const struct tables *t, struct report *r,
				 struct report_stack *s);

/* dst and src read the same: dst takes src's goroutines' current stacks. */
void goroutine_groups__merge(struct report_stack *dst, struct report_stack *src);

/* Is this function the standard library's or the runtime's (its
 * package path's first element has no dot, and it is not main)? */
bool goroutine_groups__std_function(const char *name);

#endif
