/* SPDX-License-Identifier: MIT */
/*
 * What the single-target tracer (main.c) and the agent (agent.c) share
 * around a running collector: the hook that recognizes a Go image and
 * attaches its probes, and the report built from the collector plus the
 * BPF side's counters.
 */
#ifndef LS_TRACING_H
#define LS_TRACING_H

#include <stdbool.h>

struct collector;
struct goprobes;
struct probes;
struct process;
struct report;

/* What the hook for new images needs. */
struct go_hook {
	struct goprobes *gp;
	bool all_processes;	/* attach for every process of a binary */
	int verbose;
	bool structured;	/* agent: logfmt lines, unreadable files quiet */
};

/*
 * collector.on_new_image: a traced process with a new image (a target
 * found, an exec, a fork). If it runs Go, attach the Go probes for it
 * and give it Go state; a binary that is not Go, or not supported, keeps
 * the native kinds only. ctx is a struct go_hook.
 */
void tracing__on_new_image(void *ctx, struct process *p);

/* Refresh what processes keep about themselves, read the drop counters
 * and build the report, with notes on what was malformed or absent.
 * goroutine_states: see struct report_options. */
struct report *tracing__build_report(struct collector *c,
				     const struct probes *p, double min_age_s,
				     bool goroutine_states);

#endif
