/* SPDX-License-Identifier: MIT */
/* The human-readable report (final report and the live view). */
#ifndef LS_REPORT_TEXT_H
#define LS_REPORT_TEXT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct report;
struct report_stack;

struct text_options {
	size_t top;		/* stacks per kind, 0 = all */
	size_t max_frames;	/* frames per stack, 0 = all */
	/* Live view: growth since the previous interval for a stack, or
	 * NULL in a final report. */
	int64_t (*growth)(void *ctx, const struct report_stack *s);
	void *growth_ctx;
};

int report_text__write(FILE *f, const struct report *r,
		       const struct text_options *o);
/* "12.3 MiB" */
const char *format_bytes(uint64_t n, char *buf, size_t size);

#endif
