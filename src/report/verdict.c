// SPDX-License-Identifier: MIT
#include "report/verdict.h"
#include "base/hashmap.h"
#include "report/report.h"
#include "base/util.h"

#include <stdlib.h>
#include <string.h>

struct series {
	double t[VERDICT_WINDOW];	/* seconds since the first round */
	double w[VERDICT_WINDOW];
	unsigned n, head;		/* ring: oldest at head when full */
	uint64_t seen_round;
	int pid;			/* whose stack */
};

void verdicts__init(struct verdicts *v, double min_age_s)
{
	memset(v, 0, sizeof(*v));
	v->series = u64map__new(64);
	v->min_age_s = min_age_s;
}

void verdicts__free(struct verdicts *v)
{
	uint64_t val;
	size_t it = 0;

	while (u64map__next(v->series, &it, NULL, &val))
		free((void *)(uintptr_t)val);
	u64map__free(v->series);
	v->series = NULL;
}

static double weight(const struct report_stack *s)
{
	return (double)(kind_has_bytes(s->kind) ? s->bytes : s->count);
}

/* Samples closer than this replace the previous one (a final report
 * right after a periodic sample would otherwise look like a plateau). */
#define MIN_GAP_S 0.5

static void push(struct series *s, double t, double w)
{
	unsigned at = (s->head + s->n) % VERDICT_WINDOW;

	if (s->n && t - s->t[(s->head + s->n - 1) % VERDICT_WINDOW] < MIN_GAP_S) {
		at = (s->head + s->n - 1) % VERDICT_WINDOW;
		s->t[at] = t;
		s->w[at] = w;
		return;
	}
	if (s->n == VERDICT_WINDOW) {
		s->t[s->head] = t;
		s->w[s->head] = w;
		s->head = (s->head + 1) % VERDICT_WINDOW;
		return;
	}
	s->t[at] = t;
	s->w[at] = w;
	s->n++;
}

void verdicts__observe(struct verdicts *v, const struct report *r, uint64_t t_ns)
{
	double t;
	uint64_t val, key;
	size_t it = 0;

	if (!v->first_ns)
		v->first_ns = t_ns;
	t = (t_ns - v->first_ns) / (double)NS_PER_S;
	v->rounds++;
	for (size_t i = 0; i < r->nstacks; i++) {
		struct series *s;

		key = report__stack_key(&r->stacks[i]);
		if (u64map__get(v->series, key, &val)) {
			s = (struct series *)(uintptr_t)val;
			/* the same key twice in one report: add up */
			if (s->seen_round == v->rounds) {
				s->w[(s->head + s->n - 1) % VERDICT_WINDOW] += weight(&r->stacks[i]);
				continue;
			}
		} else {
			s = xcalloc(1, sizeof(*s));
			s->pid = r->stacks[i].pid;
			u64map__put(v->series, key, (uint64_t)(uintptr_t)s);
		}
		push(s, t, weight(&r->stacks[i]));
		s->seen_round = v->rounds;
	}
	/* Stacks that released everything: a zero sample. */
	while (u64map__next(v->series, &it, &key, &val)) {
		struct series *s = (struct series *)(uintptr_t)val;

		if (s->seen_round != v->rounds) {
			push(s, t, 0);
			s->seen_round = v->rounds;
		}
	}
	v->last_ns = t_ns;
}

/* Least-squares slope of w over t, per second. */
static double slope(const struct series *s)
{
	double mt = 0, mw = 0, num = 0, den = 0;

	for (unsigned i = 0; i < s->n; i++) {
		mt += s->t[(s->head + i) % VERDICT_WINDOW];
		mw += s->w[(s->head + i) % VERDICT_WINDOW];
	}
	mt /= s->n;
	mw /= s->n;
	for (unsigned i = 0; i < s->n; i++) {
		double dt = s->t[(s->head + i) % VERDICT_WINDOW] - mt;

		num += dt * (s->w[(s->head + i) % VERDICT_WINDOW] - mw);
		den += dt * dt;
	}
	return den > 0 ? num / den : 0;
}

static double at(const struct series *s, unsigned i)
{
	return s->w[(s->head + i) % VERDICT_WINDOW];
}

/*
 * Sustained growth over the window, told apart from a cache that filled
 * and stayed, a single step, and a pool that churns: the window's samples
 * in three equal parts, the weight rose within each part (a step rises
 * in one, a filled cache in the first), the lowest weight of the last
 * part is above the highest of the first (a sawtooth falls back to where
 * it was), and it rarely went down.
 */
static int is_suspect(const struct series *s, double per_s)
{
	unsigned down = 0, part = s->n / 3;
	double first_max = 0, last_min = 0;

	if (s->n < VERDICT_MIN_POINTS || per_s <= 0)
		return 0;
	for (unsigned p = 0; p < 3; p++) {
		unsigned from = p * part, to = p == 2 ? s->n : (p + 1) * part;
		bool rose = false;

		for (unsigned i = from; i < to; i++)
			rose |= i > 0 && at(s, i) > at(s, i - 1);
		if (!rose)
			return 0;
	}
	for (unsigned i = 0; i < part; i++)
		first_max = i ? MAX(first_max, at(s, i)) : at(s, i);
	for (unsigned i = s->n - part; i < s->n; i++)
		last_min = i > s->n - part ? MIN(last_min, at(s, i)) : at(s, i);
	if (last_min <= first_max)
		return 0;
	for (unsigned i = 1; i < s->n; i++)
		down += at(s, i) < at(s, i - 1);
	return down * 5 <= s->n - 1;
}

void verdicts__apply(const struct verdicts *v, struct report *r)
{
	for (size_t i = 0; i < r->nstacks; i++) {
		struct report_stack *st = &r->stacks[i];
		const struct series *s;
		uint64_t val;
		double per_s;

		st->growth_per_min = st->growth_window_s = 0;
		st->suspect = false;
		/* Allocation volume only ever grows: never a leak verdict. */
		if (st->kind == KIND_GO_ALLOC ||
		    !u64map__get(v->series, report__stack_key(st), &val))
			continue;
		s = (const struct series *)(uintptr_t)val;
		if (s->n < 2)
			continue;
		per_s = slope(s);
		st->growth_per_min = per_s * 60;
		st->growth_window_s = s->t[(s->head + s->n - 1) % VERDICT_WINDOW] -
				      s->t[s->head];
		st->suspect = !st->preexisting && !st->allocator && st->oldest_s > v->min_age_s &&
			      is_suspect(s, per_s);
	}
	report__sort(r);
}

size_t verdicts__forget_pid(struct verdicts *v, int pid)
{
	uint64_t *gone = NULL, key, val;
	size_t n = 0, cap = 0, it = 0;

	/* keys first: the map must not change while it is walked */
	while (u64map__next(v->series, &it, &key, &val))
		if (((struct series *)(uintptr_t)val)->pid == pid) {
			grow_array((void **)&gone, &cap, n + 1, sizeof(*gone));
			gone[n++] = key;
		}
	for (size_t i = 0; i < n; i++)
		if (u64map__del(v->series, gone[i], &val))
			free((void *)(uintptr_t)val);
	free(gone);
	return n;
}

size_t verdicts__count(const struct verdicts *v)
{
	return u64map__len(v->series);
}
