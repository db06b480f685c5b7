/* SPDX-License-Identifier: MIT */
/*
 * From a stack in the collector's tables to the frames a report shows. Native stacks
 * expand every pc into the functions inlined there. Go stacks are shown
 * as the Go runtime's own profiles show them (what `go tool pprof
 * -traces` prints), so the two can be read side by side:
 *   - a stack the runtime recorded itself (its heap profile buckets)
 *     already holds one pc per inlined call: each pc is one frame, and
 *     only the last is expanded (the runtime's expandFinalInlineFrame);
 *   - compiler-made wrappers are left out unless their callee panicked;
 *   - runtime.goexit, the bottom of every goroutine, is left out;
 *   - allocation stacks start at the code that asked for memory: the
 *     runtime's leading frames are hidden unless the stack is all
 *     runtime, and what ran on the system stack ends where the runtime
 *     switched to it (runtime.systemstack, runtime.mcall).
 */
#ifndef LS_REPORT_FRAMES_H
#define LS_REPORT_FRAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct report;
struct report_frame;
struct report_stack;
struct tables;

/* Fill s->frames, s->nframes and s->truncated from s->stack_id in the
 * collector's tables t; names and files are copied into r's strings. */
void frames__expand(const struct tables *t, struct report *r, struct report_stack *s);
/* The same for any stack of t (a goroutine's current stack, a creator's
 * creation stack): *frames to free; *unresolved frames had no function.
 * keep_wrappers: keep compiler-made wrappers, flagged (current stacks, as
 * a GOTRACEBACK=system dump has them; the text leaves them out). */
void frames__expand_id(const struct tables *t, struct report *r, uint32_t stack_id,
		       bool keep_wrappers, struct report_frame **frames, size_t *nframes,
		       bool *truncated, uint32_t *unresolved);
/* go_alloc: the frames the runtime's heap profile records for the same
 * allocation (from the probe in the allocator to the caller). */
void frames__trim_go_alloc(struct report_stack *s);
/* go_heap and go_alloc: hide the runtime's leading frames, as pprof's
 * heap profile does, unless every frame is the runtime's. */
void frames__hide_go_runtime(struct report_stack *s);

/* A frame of the language runtime or a system library (Go's standard
 * library and runtime, libc, the loader, libraries under /usr/lib), as
 * opposed to the program's own code: what a shortened stack drops first. */
bool frames__is_system(const struct report_frame *f);
/* The frames of s to show when at most max fit: [*from, *to), dropping
 * system frames from the leaf end, then from the root end, never the
 * program's own (so more than max may be shown). */
void frames__shorten(const struct report_stack *s, size_t max, size_t *from, size_t *to);

#endif
