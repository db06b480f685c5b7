// SPDX-License-Identifier: MIT
#include "ledgers/goallocs.h"
#include "base/hashmap.h"
#include "base/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void goallocs__init(struct goallocs *a)
{
	memset(a, 0, sizeof(*a));
	a->by_stack = u64map__new(16);
}

void goallocs__clear(struct goallocs *a)
{
	u64map__free(a->by_stack);
	free(a->t);
	memset(a, 0, sizeof(*a));
}

void goallocs__add(struct goallocs *a, uint32_t stack, uint64_t size,
		   int sampled, uint64_t ts_ns)
{
	uint64_t key = (uint64_t)stack << 1 | (sampled != 0), idx;
	struct goalloc_tally *t;

	if (!a->by_stack)
		a->by_stack = u64map__new(16);
	if (!u64map__get(a->by_stack, key, &idx)) {
		grow_array((void **)&a->t, &a->cap, a->n + 1, sizeof(*a->t));
		idx = a->n++;
		a->t[idx] = (struct goalloc_tally){ stack, sampled != 0, 0, 0, ts_ns };
		u64map__put(a->by_stack, key, idx);
	}
	t = &a->t[idx];
	t->count++;
	t->bytes += size;
}

void goallocs__scale(uint64_t count, uint64_t bytes, uint64_t rate,
		     uint64_t *scaled_count, uint64_t *scaled_bytes)
{
	double avg, scale;

	if (!count || !bytes || rate <= 1) {
		*scaled_count = count;
		*scaled_bytes = bytes;
		return;
	}
	avg = (double)bytes / (double)count;
	scale = 1.0 / (1.0 - exp(-avg / (double)rate));
	*scaled_count = (uint64_t)((double)count * scale);
	*scaled_bytes = (uint64_t)((double)bytes * scale);
}
