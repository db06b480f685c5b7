/* SPDX-License-Identifier: MIT */
/*
 * What the single-target tracer (cli/) and the agent share around a
 * running collector: the hook that recognizes a Go image and attaches
 * its probes.
 */
#ifndef LS_SESSION_H
#define LS_SESSION_H

#include <stdbool.h>

struct collector;
struct goprobes;
struct mallocprobes;
struct probes;
struct process;

/* What the hook for new images needs. */
struct go_hook {
	struct goprobes *gp;
	bool all_processes;	/* attach for every process of a binary */
	int verbose;
	bool structured;	/* agent: logfmt lines, unreadable files quiet */
	struct mallocprobes *mp;	/* --malloc (NULL: not for this command) */
};

/*
 * collector.on_new_image: a traced process with a new image (a target
 * found, an exec, a fork). If it runs Go, attach the Go probes for it
 * and give it Go state; a binary that is not Go, or not supported, keeps
 * the native kinds only; a native one gets the malloc family's probes on
 * its allocators (--malloc). ctx is a struct go_hook.
 */
void session__on_new_image(void *ctx, struct process *p);

/* Is p traced as a Go program (a supported Go binary, probes placed)? */
bool session__traced_as_go(const struct process *p);

#endif
