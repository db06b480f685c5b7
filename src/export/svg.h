/* SPDX-License-Identifier: MIT */
/*
 * A self-contained interactive SVG flame graph, written by leakscope
 * itself (no script, no network): frame widths by weight, root at the
 * bottom, one graph per kind (tabs switch between them when a report
 * holds several), hover for details, click to zoom, Search (a regular
 * expression, or plain text when it is not one) with a "Matched: X%"
 * readout, Reset zoom, Esc to reset both. Frames narrower than 0.1% of
 * the whole are not drawn (their weight stays in their parent), so a
 * report with thousands of stacks stays light. Opened as an <img>, the
 * first graph still shows, without the interaction.
 *
 * Colors: memory kinds green to blue, fds violet, goroutines teal;
 * stacks flagged as growing (suspect) orange-red; items held before
 * tracing began grey.
 */
#ifndef LS_EXPORT_SVG_H
#define LS_EXPORT_SVG_H

#include <stdio.h>

struct report;

#define SVG_WIDTH 1200		/* px; the graph spans SVG_WIDTH - 20 */
#define SVG_MIN_SHARE 0.001	/* frames narrower than this are skipped */

struct svg_options {
	int kind_filter;	/* an enum ls_kind, or EXPORT_ALL_KINDS (-1) */
	const char *title;	/* NULL: "leakscope: KIND, UNITS, TARGETS, DURATION" */
};

/* 0 or -EIO. */
int svg__write(FILE *f, const struct report *r, const struct svg_options *o);

#endif
