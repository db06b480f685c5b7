// SPDX-License-Identifier: MIT
#include "agent/sampling.h"
#include "base/util.h"

#include <sys/random.h>
#include <time.h>

void sampler__init(struct sampler *s, double threshold, double interval_s,
		   uint64_t seed)
{
	s->threshold = threshold;
	s->interval_ns = (uint64_t)(interval_s * NS_PER_S);
	if (!s->interval_ns)
		s->interval_ns = 1;
	s->state = seed;
	s->next_ns = 0;
	s->on = false;
	s->intervals = s->traced_intervals = 0;
	s->last_draw = 0;
}

double sampler__draw(struct sampler *s)
{
	uint64_t z = (s->state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	z ^= z >> 31;
	/* 53 random bits: exactly representable, uniform in [0, 1) */
	return (double)(z >> 11) / (double)(1ULL << 53) * 100.0;
}

bool sampler__tick(struct sampler *s, uint64_t now_ns)
{
	if (s->next_ns && now_ns < s->next_ns)
		return false;
	/* Intervals missed while the agent was busy are not made up: the
	 * next one starts now. */
	s->next_ns = now_ns + s->interval_ns;
	s->last_draw = sampler__draw(s);
	s->on = s->threshold >= 100 || s->last_draw < s->threshold;
	s->intervals++;
	s->traced_intervals += s->on;
	return true;
}

uint64_t sampler__random_seed(void)
{
	uint64_t seed = 0;

	if (getrandom(&seed, sizeof(seed), 0) != sizeof(seed))
		seed = now_ns() ^ (uint64_t)time(NULL) << 20;
	return seed;
}
