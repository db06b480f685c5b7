// SPDX-License-Identifier: MIT
/* Leak verdicts on hand-made series: a leak, a cache that plateaus, a
 * churning pool, a one-off burst. */
#include "check.h"
#include "report/report.h"
#include "report/verdict.h"

static struct report_stack stack_of(uint64_t bytes, double oldest)
{
	static struct report_frame frame = { .name = "site" };
	struct report_stack s = { 0 };

	s.kind = KIND_MMAP;
	s.pid = 1;
	s.count = 1;
	s.bytes = bytes;
	s.oldest_s = oldest;
	s.frames = &frame;
	s.nframes = 1;
	return s;
}

/* Feed one stack's weights at one-second steps; return the verdict. */
static bool verdict_for(const uint64_t *w, size_t n, double oldest, double *per_min)
{
	struct verdicts v;
	struct report r = { 0 };
	struct report_stack s;

	verdicts__init(&v, 2.0);
	for (size_t i = 0; i < n; i++) {
		s = stack_of(w[i], oldest);
		r.stacks = &s;
		r.nstacks = 1;
		verdicts__observe(&v, &r, 1000000000ULL * (i + 1));
	}
	verdicts__apply(&v, &r);
	*per_min = s.growth_per_min;
	verdicts__free(&v);
	return s.suspect;
}

TEST(steady_growth_is_a_suspect_with_its_rate)
{
	uint64_t w[] = { 100, 200, 300, 400, 500, 600 };
	double per_min;

	CHECK(verdict_for(w, 6, 10, &per_min));
	CHECK(per_min > 5999 && per_min < 6001);	/* 100 per second */
}

TEST(cache_that_plateaus_is_not)
{
	uint64_t w[] = { 100, 800, 800, 800, 800, 800, 800 };
	double per_min;

	CHECK(!verdict_for(w, 7, 10, &per_min));
}

TEST(churning_pool_is_not)
{
	uint64_t w[] = { 100, 300, 150, 350, 120, 400, 200, 450 };
	double per_min;

	CHECK(!verdict_for(w, 8, 10, &per_min));
}

TEST(too_few_samples_or_too_young_is_not)
{
	uint64_t w[] = { 100, 200, 300 };
	uint64_t w2[] = { 100, 200, 300, 400, 500 };
	double per_min;

	CHECK(!verdict_for(w, 3, 10, &per_min));
	CHECK(!verdict_for(w2, 5, 1.0, &per_min));	/* oldest younger than 2 s */
}

TEST(one_dip_is_tolerated)
{
	uint64_t w[] = { 100, 200, 300, 250, 400, 500, 600, 700, 800, 900, 1000 };
	double per_min;

	CHECK(verdict_for(w, 11, 10, &per_min));
}
