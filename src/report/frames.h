/* SPDX-License-Identifier: MIT */
/*
 * From an interned stack to the frames a report shows. Native stacks
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

struct report_stack;

/* Fill s->frames, s->nframes and s->truncated from s->stack_id. */
void frames__expand(struct report_stack *s);
/* go_alloc: the frames the runtime's heap profile records for the same
 * allocation (from the probe in the allocator to the caller). */
void frames__trim_go_alloc(struct report_stack *s);
/* go_heap and go_alloc: hide the runtime's leading frames, as pprof's
 * heap profile does, unless every frame is the runtime's. */
void frames__hide_go_runtime(struct report_stack *s);

#endif
