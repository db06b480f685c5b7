/* SPDX-License-Identifier: MIT */
/*
 * Leak verdicts: which outstanding stacks are leaking, as opposed to a
 * pool or cache that grew and then stayed. Each stack's weight (bytes for
 * memory kinds, count for fds and goroutines) is sampled once per
 * interval (the window: the last VERDICT_WINDOW samples); a stack is a
 * suspected leak when, over the window:
 *   - there are at least VERDICT_MIN_POINTS samples,
 *   - it grew: least-squares slope > 0,
 *   - it grew in each third of the window, and the lowest weight of the
 *     last third is above the highest of the first (sustained growth),
 *   - it rarely shrank: at most 1 in 5 steps went down,
 *   - and its oldest item is older than the minimum suspect age.
 * A cache that fills and plateaus grows in the first third only; one
 * step grows in one third; a sawtooth falls back below where it was; a
 * pool that churns shrinks often. go_alloc (allocation volume, which
 * only grows) and pre-existing items never get a verdict.
 */
#ifndef LS_VERDICT_H
#define LS_VERDICT_H

#include <stddef.h>
#include <stdint.h>

#define VERDICT_MIN_POINTS 6	/* two per third of the window */
#define VERDICT_WINDOW 120	/* samples kept per stack */

struct report;
struct u64map;

struct verdicts {
	struct u64map *series;	/* stack key -> struct series * */
	uint64_t first_ns;	/* times are seconds since the first sample */
	uint64_t last_ns;
	double min_age_s;	/* oldest item must be older than this */
	uint64_t rounds;
};

void verdicts__init(struct verdicts *v, double min_age_s);
void verdicts__free(struct verdicts *v);
/* Record one sample of every stack in r taken at t_ns (stacks that are
 * gone count as zero). */
void verdicts__observe(struct verdicts *v, const struct report *r, uint64_t t_ns);
/* Set growth_per_min and suspect on r's stacks, and sort suspects first. */
void verdicts__apply(const struct verdicts *v, struct report *r);
/* Drop the series of pid's stacks (a process the caller forgot).
 * Returns how many were dropped. */
size_t verdicts__forget_pid(struct verdicts *v, int pid);
size_t verdicts__count(const struct verdicts *v);	/* series kept */

#endif
