// SPDX-License-Identifier: MIT
#include "agent/limits.h"
#include "trace/collector.h"
#include "ledgers/goproc.h"
#include "ledgers/process.h"
#include "base/util.h"

#include <stdlib.h>
#include <string.h>

size_t caps__items(const struct process *p)
{
	size_t n = p->maps.allocs + p->brk.n + p->fds.count;

	if (p->go)
		n += goroutines__count(&p->go->gor);
	return n;
}

struct item {
	uint64_t birth_ns;
	uint64_t ref;		/* fd, goid, mapping owner, brk index */
	uint8_t kind;
};

struct items {
	struct item *v;
	size_t n, cap;
};

static void push(struct items *l, uint8_t kind, uint64_t ref, uint64_t birth)
{
	grow_array((void **)&l->v, &l->cap, l->n + 1, sizeof(*l->v));
	l->v[l->n++] = (struct item){ birth, ref, kind };
}

static void collect_mapping(void *ctx, const struct mapping_alloc *a)
{
	push(ctx, KIND_MMAP, (uint64_t)(uintptr_t)a, a->birth_ns);
}

static void collect_goroutine(void *ctx, const struct goroutine *g)
{
	push(ctx, KIND_GOROUTINE, g->goid, g->birth_ns);
}

static int newest_first(const void *a, const void *b)
{
	const struct item *x = a, *y = b;

	if (x->birth_ns != y->birth_ns)
		return x->birth_ns > y->birth_ns ? -1 : 1;
	/* brk segments: the top one first, so the heap stays a stack */
	return x->ref > y->ref ? -1 : x->ref < y->ref;
}

/* The pieces of the mapping allocations being evicted. */
struct unmap_ctx {
	const void **owners;	/* sorted */
	size_t nowners;
	uint64_t (*pieces)[2];
	size_t n, cap;
};

static int cmp_ptr(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)*(const void *const *)a, y = (uintptr_t)*(const void *const *)b;

	return x < y ? -1 : x > y;
}

static void collect_piece(void *ctx, void *owner, uint64_t start, uint64_t end)
{
	struct unmap_ctx *u = ctx;

	if (!bsearch(&owner, u->owners, u->nowners, sizeof(*u->owners), cmp_ptr))
		return;
	grow_array((void **)&u->pieces, &u->cap, u->n + 1, sizeof(*u->pieces));
	u->pieces[u->n][0] = start;
	u->pieces[u->n][1] = end;
	u->n++;
}

size_t caps__evict_newest(struct caps *k, struct process *p, size_t n)
{
	struct items l = { 0 };
	struct unmap_ctx u = { 0 };
	size_t done = 0;

	mappings__visit_allocs(&p->maps, collect_mapping, &l);
	for (size_t i = 0; i < p->brk.n; i++)
		push(&l, KIND_BRK, i, p->brk.segs[i].birth_ns);
	for (size_t fd = 0; fd < p->fds.cap; fd++)
		if (p->fds.fds[fd])
			push(&l, KIND_FD, fd, p->fds.fds[fd]->birth_ns);
	if (p->go)
		goroutines__visit(&p->go->gor, collect_goroutine, &l);
	if (l.n > 1)	/* none: l.v is NULL, which qsort must not get */
		qsort(l.v, l.n, sizeof(*l.v), newest_first);
	n = MIN(n, l.n);
	u.owners = xcalloc(n ? n : 1, sizeof(*u.owners));
	for (size_t i = 0; i < n; i++) {
		const struct item *it = &l.v[i];

		switch (it->kind) {
		case KIND_MMAP:
			u.owners[u.nowners++] = (const void *)(uintptr_t)it->ref;
			break;
		case KIND_BRK:
			/* Only the top segment can go without breaking the
			 * heap's order; older ones stay (they are few). */
			if (it->ref + 1 != p->brk.n)
				continue;
			p->brk.bytes -= p->brk.segs[it->ref].end - p->brk.segs[it->ref].start;
			p->brk.n--;
			break;
		case KIND_FD:
			fdtable__close(&p->fds, (int)it->ref);
			break;
		case KIND_GOROUTINE:
			goroutines__exit(&p->go->gor, it->ref);
			p->go->gor.exited--;	/* evicted, not seen exiting */
			break;
		}
		k->evicted[it->kind]++;
		done++;
	}
	if (u.nowners) {
		qsort(u.owners, u.nowners, sizeof(*u.owners), cmp_ptr);
		ranges__visit(&p->maps.ranges, collect_piece, &u);
		for (size_t i = 0; i < u.n; i++)
			mappings__unmap(&p->maps, u.pieces[i][0], u.pieces[i][1] - u.pieces[i][0]);
	}
	free(u.pieces);
	free(u.owners);
	free(l.v);
	return done;
}

size_t caps__enforce(struct caps *k, struct collector *c)
{
	size_t total = 0, evicted = 0, excess, lo = 0, hi = 0;

	for (size_t i = 0; i < c->nprocs; i++) {
		struct process *p = c->procs[i];
		size_t n = caps__items(p);

		if (k->per_process && n > k->per_process) {
			evicted += caps__evict_newest(k, p, n - k->per_process * 9 / 10);
			k->rounds++;
			n = caps__items(p);
		}
		total += n;
		hi = MAX(hi, n);
	}
	if (!k->global || total <= k->global)
		return evicted;
	/* Over the global cap: cut the biggest processes down to one level
	 * L, the highest at which what is above it covers the excess (down
	 * to 90% of the cap), so small processes keep all they have. */
	excess = total - k->global * 9 / 10;
	while (lo < hi) {
		size_t mid = lo + (hi - lo + 1) / 2, above = 0;

		for (size_t i = 0; i < c->nprocs; i++) {
			size_t n = caps__items(c->procs[i]);

			above += n > mid ? n - mid : 0;
		}
		if (above >= excess)
			lo = mid;
		else
			hi = mid - 1;
	}
	k->rounds++;
	for (size_t i = 0; i < c->nprocs; i++) {
		size_t n = caps__items(c->procs[i]);

		if (n > lo)
			evicted += caps__evict_newest(k, c->procs[i], n - lo);
	}
	return evicted;
}
