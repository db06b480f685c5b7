/* SPDX-License-Identifier: MIT */
/*
 * Fleet sampling, as Parca and the OpenTelemetry profiler do it: time is
 * cut into intervals; at the start of each, this host draws a number in
 * [0, 100) and traces during the interval only when it is below the
 * threshold. Across a fleet, about threshold% of the hosts trace at any
 * time, and each host traces about threshold% of its time, so the cost
 * is bounded and spread. Threshold 100 always traces (no draw matters);
 * 0 never does (the agent then attaches nothing at all).
 */
#ifndef LS_SAMPLING_H
#define LS_SAMPLING_H

#include <stdbool.h>
#include <stdint.h>

struct sampler {
	double threshold;	/* percent */
	uint64_t interval_ns;
	uint64_t state;		/* splitmix64 */
	uint64_t next_ns;	/* start of the next interval, 0 = not started */
	bool on;		/* trace during the current interval */
	uint64_t intervals, traced_intervals;
	double last_draw;
};

void sampler__init(struct sampler *s, double threshold, double interval_s,
		   uint64_t seed);
/* The next draw, uniform in [0, 100). */
double sampler__draw(struct sampler *s);
/* At now: true when a new interval began (then s->on is its decision). */
bool sampler__tick(struct sampler *s, uint64_t now_ns);
/* A seed from the kernel's entropy (getrandom), for production runs. */
uint64_t sampler__random_seed(void);

#endif
