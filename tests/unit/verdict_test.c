// SPDX-License-Identifier: MIT
/* Leak verdicts on hand-made series: a leak, a cache that plateaus, a
 * churning pool, one step, a sawtooth, allocation volume. */
#include "check.h"
#include "report/report.h"
#include "report/verdict.h"

static enum ls_kind series_kind = KIND_MMAP;

static struct report_stack stack_of(uint64_t bytes, double oldest)
{
	static struct report_frame frame = { .name = "site" };
	struct report_stack s = { 0 };

	s.kind = series_kind;
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
	uint64_t w[] = { 100, 200, 300, 400, 500 };
	uint64_t w2[] = { 100, 200, 300, 400, 500, 600 };
	double per_min;

	CHECK(!verdict_for(w, 5, 10, &per_min));
	CHECK(!verdict_for(w2, 6, 1.0, &per_min));	/* oldest younger than 2 s */
}

TEST(one_dip_is_tolerated)
{
	uint64_t w[] = { 100, 200, 300, 250, 400, 500, 600, 700, 800, 900, 1000 };
	double per_min;

	CHECK(verdict_for(w, 11, 10, &per_min));
}

TEST(one_step_that_stays_is_not)
{
	uint64_t w[] = { 64, 64, 64, 64, 4160, 4160, 4160, 4160, 4160, 4160 };
	double per_min;

	CHECK(!verdict_for(w, 10, 10, &per_min));
}

TEST(sawtooth_is_not)
{
	uint64_t w[] = { 100, 200, 300, 400, 0, 100, 200, 300, 400, 0, 100, 200 };
	double per_min;

	CHECK(!verdict_for(w, 12, 10, &per_min));
}

TEST(filled_then_stayed_is_not_even_when_it_filled_for_a_while)
{
	uint64_t w[] = { 100, 200, 300, 400, 500, 500, 500, 500, 500, 500, 500, 500 };
	double per_min;

	CHECK(!verdict_for(w, 12, 10, &per_min));
}

TEST(allocation_volume_is_never_a_verdict)
{
	uint64_t w[] = { 100, 200, 300, 400, 500, 600, 700, 800 };
	double per_min;

	series_kind = KIND_GO_ALLOC;
	CHECK(!verdict_for(w, 8, 10, &per_min));
	CHECK(per_min == 0);
	series_kind = KIND_MMAP;
	CHECK(verdict_for(w, 8, 10, &per_min));
}

TEST(verdict_names_its_window)
{
	struct verdicts v;
	struct report r = { 0 };
	struct report_stack s;

	verdicts__init(&v, 2.0);
	for (int i = 0; i < 8; i++) {
		s = stack_of(100 * (i + 1), 10);
		r.stacks = &s;
		r.nstacks = 1;
		verdicts__observe(&v, &r, 1000000000ULL * (i + 1));
	}
	verdicts__apply(&v, &r);
	CHECK(s.suspect);
	CHECK(s.growth_window_s > 6.999 && s.growth_window_s < 7.001);
	verdicts__free(&v);
}
