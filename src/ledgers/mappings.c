// SPDX-License-Identifier: MIT
#include "ledgers/mappings.h"
#include "base/hashmap.h"
#include "base/util.h"

#include <stdlib.h>
#include <string.h>

void mappings__init(struct mappings *m, uint64_t page_size)
{
	ranges__init(&m->ranges);
	m->bytes = 0;
	m->allocs = 0;
	m->page_size = page_size ? page_size : 4096;
}

static uint64_t page_up(const struct mappings *m, uint64_t x)
{
	return (x + m->page_size - 1) & ~(m->page_size - 1);
}

static void release(void *ctx, void *owner, uint64_t start, uint64_t end)
{
	struct mappings *m = ctx;
	struct mapping_alloc *a = owner;
	uint64_t n = end - start;

	a->bytes -= MIN(n, a->bytes);
	m->bytes -= MIN(n, m->bytes);
	if (a->bytes == 0) {
		m->allocs--;
		free(a);
	}
}

void mappings__clear(struct mappings *m)
{
	ranges__clear(&m->ranges, release, m);
	m->bytes = 0;
	m->allocs = 0;
}

static struct mapping_alloc *new_alloc(struct mappings *m, uint64_t start,
				       uint64_t len, uint32_t stack,
				       uint64_t ts_ns, uint32_t flags,
				       const char *file)
{
	struct mapping_alloc *a = xmalloc(sizeof(*a));

	a->birth_ns = ts_ns;
	a->bytes = len;
	a->first_start = start;
	a->file = file;
	a->stack = stack;
	a->flags = flags;
	a->resident_bytes = a->committed_bytes = a->measured_ns = 0;
	m->allocs++;
	m->bytes += len;
	return a;
}

void mappings__map(struct mappings *m, uint64_t addr, uint64_t len,
		   uint32_t stack, uint64_t ts_ns, uint32_t flags,
		   const char *file)
{
	len = page_up(m, len);
	if (!len)
		return;
	/* Whatever was there is gone: MAP_FIXED replaced it, or we missed
	 * its munmap (a lost event must not leave a ghost behind). */
	ranges__remove(&m->ranges, addr, addr + len, release, m);
	ranges__add(&m->ranges, addr, addr + len,
		    new_alloc(m, addr, len, stack, ts_ns, flags, file));
}

struct pieces {
	uint64_t (*v)[2];
	size_t n, cap;
};

static void collect_piece(void *ctx, void *owner, uint64_t start, uint64_t end)
{
	struct pieces *p = ctx;

	(void)owner;
	grow_array((void **)&p->v, &p->cap, p->n + 1, sizeof(*p->v));
	p->v[p->n][0] = start;
	p->v[p->n][1] = end;
	p->n++;
}

void mappings__adopt(struct mappings *m, uint64_t addr, uint64_t len,
		     uint64_t ts_ns, uint32_t flags, const char *name)
{
	struct pieces tracked = { 0 };
	uint64_t cursor = addr, end = addr + len;

	/* Fill only the gaps between pieces we already track. */
	ranges__visit_span(&m->ranges, addr, end, collect_piece, &tracked);
	for (size_t i = 0; i <= tracked.n; i++) {
		uint64_t upto = i < tracked.n ? MAX(cursor, tracked.v[i][0]) : end;

		if (upto > cursor)
			ranges__add(&m->ranges, cursor, upto,
				    new_alloc(m, cursor, upto - cursor, 0, ts_ns,
					      flags | MAPPING_PREEXISTING, name));
		if (i < tracked.n)
			cursor = MAX(cursor, tracked.v[i][1]);
	}
	free(tracked.v);
}

void mappings__unmap(struct mappings *m, uint64_t addr, uint64_t len)
{
	len = page_up(m, len);
	ranges__remove(&m->ranges, addr, addr + len, release, m);
}

void mappings__remap(struct mappings *m, uint64_t old_addr, uint64_t old_len,
		     uint64_t new_addr, uint64_t new_len, int dontunmap,
		     uint32_t stack, uint64_t ts_ns, uint32_t flags)
{
	uint64_t keep;

	old_len = page_up(m, old_len);
	new_len = page_up(m, new_len);
	if (old_len == 0 || dontunmap) {
		/* A duplicate of a shared mapping, or a move that leaves the
		 * old range mapped: the new range is a new allocation. */
		mappings__map(m, new_addr, new_len, stack, ts_ns, flags, NULL);
		return;
	}
	keep = MIN(old_len, new_len);
	if (new_len < old_len)
		ranges__remove(&m->ranges, old_addr + new_len,
			       old_addr + old_len, release, m);
	if (new_addr != old_addr)
		ranges__move(&m->ranges, old_addr, keep, new_addr, release, m);
	if (new_len > old_len)
		mappings__map(m, new_addr + old_len, new_len - old_len, stack,
			      ts_ns, flags, NULL);
}

struct visit_ctx {
	struct u64map *seen;
	mapping_visit_fn fn;
	void *ctx;
};

static void visit_piece(void *ctx, void *owner, uint64_t start, uint64_t end)
{
	struct visit_ctx *v = ctx;

	(void)start;
	(void)end;
	if (u64map__put(v->seen, (uint64_t)(uintptr_t)owner, 0))
		v->fn(v->ctx, owner);
}

void mappings__visit_allocs(const struct mappings *m, mapping_visit_fn fn,
			    void *ctx)
{
	struct visit_ctx v = { u64map__new(m->allocs), fn, ctx };

	ranges__visit(&m->ranges, visit_piece, &v);
	u64map__free(v.seen);
}

struct piece_ctx {
	mapping_piece_fn fn;
	void *ctx;
};

static void each_piece(void *ctx, void *owner, uint64_t start, uint64_t end)
{
	struct piece_ctx *p = ctx;

	p->fn(p->ctx, owner, start, end);
}

void mappings__visit_pieces(struct mappings *m, mapping_piece_fn fn, void *ctx)
{
	struct piece_ctx p = { fn, ctx };

	ranges__visit(&m->ranges, each_piece, &p);
}

struct copy_ctx {
	struct mappings *dst;
	struct u64map *clones;	/* source alloc -> its copy */
};

static void copy_piece(void *ctx, void *owner, uint64_t start, uint64_t end)
{
	struct copy_ctx *c = ctx;
	const struct mapping_alloc *src = owner;
	struct mapping_alloc *a;
	uint64_t v;

	if (u64map__get(c->clones, (uint64_t)(uintptr_t)src, &v)) {
		a = (struct mapping_alloc *)(uintptr_t)v;
		a->bytes += end - start;
		c->dst->bytes += end - start;
	} else {
		a = new_alloc(c->dst, src->first_start, end - start,
			      src->stack, src->birth_ns, src->flags, src->file);
		u64map__put(c->clones, (uint64_t)(uintptr_t)src,
			    (uint64_t)(uintptr_t)a);
	}
	ranges__add(&c->dst->ranges, start, end, a);
}

void mappings__copy(struct mappings *dst, const struct mappings *src)
{
	struct copy_ctx c = { dst, u64map__new(src->allocs) };

	ranges__visit(&src->ranges, copy_piece, &c);
	u64map__free(c.clones);
}
