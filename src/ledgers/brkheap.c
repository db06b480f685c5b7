// SPDX-License-Identifier: MIT
#include "ledgers/brkheap.h"
#include "base/util.h"

#include <stdlib.h>
#include <string.h>

void brkheap__init(struct brkheap *h, uint64_t page_size)
{
	memset(h, 0, sizeof(*h));
	h->page_size = page_size ? page_size : 4096;
}

void brkheap__clear(struct brkheap *h)
{
	uint64_t ps = h->page_size;

	free(h->segs);
	brkheap__init(h, ps);
}

static uint64_t page_up(const struct brkheap *h, uint64_t x)
{
	return (x + h->page_size - 1) & ~(h->page_size - 1);
}

/* Release segments above `to`, newest first, trimming the one it cuts. */
static void shrink_to(struct brkheap *h, uint64_t to)
{
	while (h->n) {
		struct brk_segment *s = &h->segs[h->n - 1];

		if (s->end <= to)
			break;
		if (s->start >= to) {
			h->bytes -= s->end - s->start;
			h->n--;
			continue;
		}
		h->bytes -= s->end - to;
		s->end = to;
		break;
	}
}

void brkheap__moved(struct brkheap *h, uint64_t old_brk, uint64_t new_brk,
		    uint32_t stack, uint64_t ts_ns)
{
	uint64_t from = old_brk ? page_up(h, old_brk) : h->top;
	uint64_t to = page_up(h, new_brk);

	if (!from)
		from = to;	/* nothing known before: no growth to claim */
	/* If we missed a move (lost event), segments above `from` no longer
	 * exist: the kernel's view wins over ours. */
	shrink_to(h, from);
	if (to > from) {
		struct brk_segment *s;

		grow_array((void **)&h->segs, &h->cap, h->n + 1, sizeof(*s));
		s = &h->segs[h->n++];
		s->start = from;
		s->end = to;
		s->birth_ns = ts_ns;
		s->stack = stack;
		s->preexisting = 0;
		s->allocator = 0;
		s->resident_bytes = s->committed_bytes = s->measured_ns = 0;
		h->bytes += to - from;
	} else {
		shrink_to(h, to);
	}
	h->top = to;
}

void brkheap__copy(struct brkheap *dst, const struct brkheap *src)
{
	brkheap__clear(dst);
	*dst = *src;
	dst->segs = NULL;
	dst->cap = 0;
	if (src->n) {
		grow_array((void **)&dst->segs, &dst->cap, src->n,
			   sizeof(*dst->segs));
		memcpy(dst->segs, src->segs, src->n * sizeof(*dst->segs));
	}
}
