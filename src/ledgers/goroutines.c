// SPDX-License-Identifier: MIT
#include "ledgers/goroutines.h"
#include "base/hashmap.h"
#include "base/util.h"

#include <stdlib.h>
#include <string.h>

void goroutines__init(struct goroutines *g)
{
	memset(g, 0, sizeof(*g));
	g->by_goid = u64map__new(64);
	g->gone = u64map__new(16);
}

static void free_all(struct u64map *m)
{
	uint64_t v;
	size_t it = 0;

	while (m && u64map__next(m, &it, NULL, &v))
		free((void *)(uintptr_t)v);
	u64map__free(m);
}

void goroutines__clear(struct goroutines *g)
{
	free_all(g->by_goid);
	free_all(g->gone);
	g->by_goid = g->gone = NULL;
}

static struct goroutine *lookup(const struct u64map *m, uint64_t goid)
{
	uint64_t v;

	if (!m || goid == U64MAP_EMPTY || !u64map__get(m, goid, &v))
		return NULL;
	return (struct goroutine *)(uintptr_t)v;
}

struct goroutine *goroutines__get(const struct goroutines *g, uint64_t goid)
{
	return lookup(g->by_goid, goid);
}

static struct goroutine *any(const struct goroutines *g, uint64_t goid)
{
	struct goroutine *gr = lookup(g->by_goid, goid);

	return gr ? gr : lookup(g->gone, goid);
}

const struct goroutine *goroutines__parent(const struct goroutines *g,
					   const struct goroutine *gr)
{
	return gr->parent_goid ? any(g, gr->parent_goid) : NULL;
}

/* gr no longer counts as a child of its parent: an exited parent with
 * no descendants left is dropped, and so on up the chain. */
static void release_parent(struct goroutines *g, const struct goroutine *gr)
{
	uint64_t parent = gr->parent_goid;

	for (int depth = 0; parent && depth < 1 << 20; depth++) {
		struct goroutine *p = any(g, parent);

		if (!p || !p->children)
			return;
		if (--p->children || !p->gone)
			return;
		u64map__del(g->gone, p->goid, NULL);
		parent = p->parent_goid;
		free(p);
	}
}

struct goroutine *goroutines__add(struct goroutines *g, uint64_t goid,
				  uint64_t g_addr, uint32_t stack,
				  uint64_t ts_ns)
{
	struct goroutine *gr;
	uint32_t children = 0;

	if (!g->by_goid)
		g->by_goid = u64map__new(64);
	if (!g->gone)
		g->gone = u64map__new(16);
	if (goid == U64MAP_EMPTY)
		return NULL;
	/* A goid is never reused: one already there means we missed its
	 * exit (a lost event); the new record replaces it. */
	gr = lookup(g->by_goid, goid);
	if (gr) {
		release_parent(g, gr);
		children = gr->children;
	} else if ((gr = lookup(g->gone, goid))) {
		u64map__del(g->gone, goid, NULL);
		release_parent(g, gr);
		children = gr->children;
		u64map__put(g->by_goid, goid, (uint64_t)(uintptr_t)gr);
	} else {
		gr = xmalloc(sizeof(*gr));
		u64map__put(g->by_goid, goid, (uint64_t)(uintptr_t)gr);
	}
	memset(gr, 0, sizeof(*gr));
	gr->goid = goid;
	gr->g_addr = g_addr;
	gr->birth_ns = ts_ns;
	gr->stack = stack;
	gr->children = children;
	g->created++;
	return gr;
}

void goroutines__set_parent(struct goroutines *g, struct goroutine *gr,
			    uint64_t parent_goid)
{
	struct goroutine *p;

	if (gr->parent_goid == parent_goid)
		return;
	release_parent(g, gr);
	gr->parent_goid = 0;
	/* a parent we never saw leaves nothing to keep */
	if (!parent_goid || parent_goid == gr->goid || !(p = any(g, parent_goid)))
		return;
	gr->parent_goid = parent_goid;
	p->children++;
}

int goroutines__exit(struct goroutines *g, uint64_t goid)
{
	struct goroutine *gr;
	uint64_t v;

	if (!g->by_goid || !u64map__del(g->by_goid, goid, &v)) {
		g->unknown_exits++;
		return 0;
	}
	gr = (struct goroutine *)(uintptr_t)v;
	g->exited++;
	/* while something it created lives, it is someone's ancestor */
	if (gr->children) {
		gr->gone = 1;
		u64map__put(g->gone, goid, v);
		return 1;
	}
	release_parent(g, gr);
	free(gr);
	return 1;
}

size_t goroutines__count(const struct goroutines *g)
{
	return u64map__len(g->by_goid);
}

size_t goroutines__ancestors(const struct goroutines *g)
{
	return g->gone ? u64map__len(g->gone) : 0;
}

void goroutines__visit(const struct goroutines *g, goroutine_visit_fn fn,
		       void *ctx)
{
	uint64_t v;
	size_t it = 0;

	while (u64map__next(g->by_goid, &it, NULL, &v))
		fn(ctx, (const struct goroutine *)(uintptr_t)v);
}

void goroutines__visit_ancestors(const struct goroutines *g, goroutine_visit_fn fn,
				 void *ctx)
{
	uint64_t v;
	size_t it = 0;

	while (g->gone && u64map__next(g->gone, &it, NULL, &v))
		fn(ctx, (const struct goroutine *)(uintptr_t)v);
}

size_t goroutines__sweep(struct goroutines *g, uint32_t seen)
{
	uint64_t k, v, *gone = NULL;
	size_t it = 0, n = 0, cap = 0;

	while (u64map__next(g->by_goid, &it, &k, &v)) {
		if (((struct goroutine *)(uintptr_t)v)->seen == seen)
			continue;
		grow_array((void **)&gone, &cap, n + 1, sizeof(*gone));
		gone[n++] = k;
	}
	for (size_t i = 0; i < n; i++)
		goroutines__exit(g, gone[i]);
	free(gone);
	return n;
}

size_t goroutines__bytes(const struct goroutines *g)
{
	/* tables + one record each (and malloc's 8-byte chunk header) */
	return u64map__bytes(g->by_goid) + (g->gone ? u64map__bytes(g->gone) : 0) +
	       (goroutines__count(g) + goroutines__ancestors(g)) *
	       (sizeof(struct goroutine) + 8);
}
