/* SPDX-License-Identifier: MIT */
/* Building the report model (report.h) from a running collector. */
#ifndef LS_REPORT_BUILD_H
#define LS_REPORT_BUILD_H

#include "report/report.h"

struct probes;

struct collector;

struct report_options {
	double min_age_s;	/* < 0: automatic (see build.c) */
	uint64_t drops[LS_DROP_MAX];	/* read from the BPF counters */
	uint64_t now_ns;
	/* Read what each goroutine is doing now (two remote reads per
	 * goroutine): for reports a user sees, not for the samples behind
	 * verdicts and metrics, which only weigh stacks. */
	bool goroutine_states;
};

struct report *report__build(const struct collector *c,
			     const struct report_options *o);
/* Refresh what processes keep about themselves (Go heap profiles...),
 * read the BPF side's drop counters and build the report, with notes on
 * what was malformed or absent. goroutine_states: see report_options. */
struct report *report__build_traced(struct collector *c, const struct probes *p,
				    double min_age_s, bool goroutine_states);

#endif
