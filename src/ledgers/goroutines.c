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
}

void goroutines__clear(struct goroutines *g)
{
	uint64_t v;
	size_t it = 0;

	while (u64map__next(g->by_goid, &it, NULL, &v))
		free((void *)(uintptr_t)v);
	u64map__free(g->by_goid);
	g->by_goid = NULL;
}

struct goroutine *goroutines__add(struct goroutines *g, uint64_t goid,
				  uint64_t g_addr, uint32_t stack,
				  uint64_t ts_ns)
{
	struct goroutine *gr;
	uint64_t v;

	if (!g->by_goid)
		g->by_goid = u64map__new(64);
	if (goid == U64MAP_EMPTY)
		return NULL;
	/* A goid is never reused: one already there means we missed its
	 * exit (a lost event); the new record replaces it. */
	if (u64map__get(g->by_goid, goid, &v)) {
		gr = (struct goroutine *)(uintptr_t)v;
	} else {
		gr = xmalloc(sizeof(*gr));
		u64map__put(g->by_goid, goid, (uint64_t)(uintptr_t)gr);
	}
	gr->goid = goid;
	gr->g_addr = g_addr;
	gr->birth_ns = ts_ns;
	gr->gopc = 0;
	gr->stack = stack;
	gr->preexisting = 0;
	gr->last_state = 0;
	g->created++;
	return gr;
}

int goroutines__exit(struct goroutines *g, uint64_t goid)
{
	uint64_t v;

	if (!g->by_goid || !u64map__del(g->by_goid, goid, &v)) {
		g->unknown_exits++;
		return 0;
	}
	free((void *)(uintptr_t)v);
	g->exited++;
	return 1;
}

size_t goroutines__count(const struct goroutines *g)
{
	return u64map__len(g->by_goid);
}

void goroutines__visit(const struct goroutines *g, goroutine_visit_fn fn,
		       void *ctx)
{
	uint64_t v;
	size_t it = 0;

	while (u64map__next(g->by_goid, &it, NULL, &v))
		fn(ctx, (const struct goroutine *)(uintptr_t)v);
}

size_t goroutines__bytes(const struct goroutines *g)
{
	/* table + one record each (malloc rounds 48 bytes to 48 + 16) */
	return u64map__bytes(g->by_goid) + goroutines__count(g) * (sizeof(struct goroutine) + 16);
}
