// SPDX-License-Identifier: MIT
#include "ledgers/heapblocks.h"
#include "ledgers/goallocs.h"
#include "base/hashmap.h"
#include "base/util.h"

#include <stdlib.h>
#include <string.h>

void heapblocks__init(struct heapblocks *h)
{
	memset(h, 0, sizeof(*h));
	h->by_addr = u64map__new(64);
	h->tally_by_stack = u64map__new(16);
}

void heapblocks__clear(struct heapblocks *h)
{
	u64map__free(h->by_addr);
	u64map__free(h->tally_by_stack);
	free(h->b);
	free(h->t);
	memset(h, 0, sizeof(*h));
}

void heapblocks__copy(struct heapblocks *dst, const struct heapblocks *src)
{
	heapblocks__clear(dst);
	heapblocks__init(dst);
	dst->sample_mean = src->sample_mean;
	dst->allocator = src->allocator;
	dst->skipped = src->skipped;
	for (size_t i = 0; i < src->n; i++) {
		const struct heap_block *b = &src->b[i];

		grow_array((void **)&dst->b, &dst->cap, dst->n + 1, sizeof(*dst->b));
		dst->b[dst->n] = *b;
		u64map__put(dst->by_addr, b->addr, dst->n++);
		dst->bytes += b->size;
	}
}

static void tally(struct heapblocks *h, uint32_t stack, uint64_t size)
{
	uint64_t idx;

	if (!u64map__get(h->tally_by_stack, stack, &idx)) {
		grow_array((void **)&h->t, &h->capt, h->nt + 1, sizeof(*h->t));
		idx = h->nt++;
		h->t[idx] = (struct heap_tally){ .stack = stack };
		u64map__put(h->tally_by_stack, stack, idx);
	}
	h->t[idx].count++;
	h->t[idx].bytes += size;
}

static void remove_at(struct heapblocks *h, uint64_t idx)
{
	struct heap_block *b = &h->b[idx];

	h->bytes -= b->size;
	u64map__del(h->by_addr, b->addr, NULL);
	if (idx != h->n - 1) {
		*b = h->b[h->n - 1];
		u64map__put(h->by_addr, b->addr, idx);
	}
	h->n--;
}

void heapblocks__alloc(struct heapblocks *h, uint64_t addr, uint64_t size,
		       uint32_t stack, uint64_t ts_ns)
{
	uint64_t idx;

	if (!h->by_addr)
		heapblocks__init(h);
	/* U64MAP_EMPTY cannot be a key; no allocator returns that address */
	if (addr == U64MAP_EMPTY)
		return;
	if (u64map__get(h->by_addr, addr, &idx)) {
		h->replaced++;
		remove_at(h, idx);
	}
	grow_array((void **)&h->b, &h->cap, h->n + 1, sizeof(*h->b));
	h->b[h->n] = (struct heap_block){ addr, size, ts_ns, stack, 0 };
	u64map__put(h->by_addr, addr, h->n++);
	h->bytes += size;
	h->allocs++;
	tally(h, stack, size);
}

bool heapblocks__free(struct heapblocks *h, uint64_t addr)
{
	uint64_t idx;

	if (!h->by_addr || addr == U64MAP_EMPTY || !u64map__get(h->by_addr, addr, &idx)) {
		h->unknown_frees++;
		return false;
	}
	remove_at(h, idx);
	h->frees++;
	return true;
}

bool heapblocks__retire(struct heapblocks *h, uint64_t addr, uint64_t call_ns,
			bool count_unknown)
{
	uint64_t idx;

	if (!h->by_addr || addr == U64MAP_EMPTY || !u64map__get(h->by_addr, addr, &idx) ||
	    h->b[idx].birth_ns > call_ns) {
		if (count_unknown)
			h->unknown_frees++;
		return false;
	}
	remove_at(h, idx);
	h->frees++;
	return true;
}

const struct heap_block *heapblocks__get(const struct heapblocks *h, uint64_t addr)
{
	uint64_t idx;

	if (!h->by_addr || addr == U64MAP_EMPTY || !u64map__get(h->by_addr, addr, &idx))
		return NULL;
	return &h->b[idx];
}

void heapblocks__weight(const struct heapblocks *h, uint64_t *count, uint64_t *bytes)
{
	*count = h->n;
	*bytes = h->bytes;
	if (!h->sample_mean)
		return;
	*count = *bytes = 0;
	for (size_t i = 0; i < h->n; i++) {
		uint64_t n, b;

		goallocs__scale(1, h->b[i].size, h->sample_mean, &n, &b);
		*count += n;
		*bytes += b;
	}
}
