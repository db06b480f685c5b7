// SPDX-License-Identifier: MIT
#include "symbols/stacks.h"
#include "symbols/addrspace.h"
#include "base/hashmap.h"
#include "base/util.h"

#include <stdlib.h>
#include <string.h>

struct stack_entry {
	uint32_t off;		/* into pool */
	uint32_t n;
	uint32_t flags;
	bool live;		/* false: freed, the id waits in free_ids */
	bool marked;
};

struct stacks {
	uint64_t *pool;		/* every live stack's frames, back to back */
	size_t npool, cappool;
	struct stack_entry *ents;	/* ents[0] is STACK_NONE */
	size_t nents, capents;
	struct u64map *by_hash;	/* content hash (+ probe) -> id */
	uint32_t *free_ids;	/* ids of swept stacks, taken first (last in
				 * the array first: the lowest) */
	size_t nfree, capfree;
	size_t live;
};

struct stacks *stacks__new(void)
{
	struct stacks *st = xcalloc(1, sizeof(*st));

	st->by_hash = u64map__new(1024);
	grow_array((void **)&st->ents, &st->capents, 1, sizeof(*st->ents));
	st->ents[0] = (struct stack_entry){ 0 };
	st->nents = 1;
	return st;
}

void stacks__free(struct stacks *st)
{
	if (!st)
		return;
	free(st->pool);
	free(st->ents);
	free(st->free_ids);
	u64map__free(st->by_hash);
	free(st);
}

static bool same(const struct stacks *st, const struct stack_entry *e,
		 const uint64_t *f, uint32_t n, uint32_t flags)
{
	return e->live && e->n == n && e->flags == flags &&
	       memcmp(st->pool + e->off, f, n * sizeof(*f)) == 0;
}

static uint64_t first_key(const uint64_t *frames, uint32_t n, uint32_t flags)
{
	return hash_bytes(frames, n * sizeof(*frames), flags);
}

/* Distinct stacks with equal hashes take the next key: the map never
 * merges two stacks, unlike a BPF stack map with hash collisions. The
 * first key along the probe that is free for this content. */
static uint64_t free_key(const struct stacks *st, uint64_t h)
{
	for (;; h = hash_u64(h + 1))
		if (h != U64MAP_EMPTY && !u64map__get(st->by_hash, h, NULL))
			return h;
}

uint32_t stacks__intern(struct stacks *st, const uint64_t *frames, uint32_t n,
			uint32_t flags)
{
	struct stack_entry *e;
	uint64_t h, v;
	uint32_t id;

	if (!n)
		return STACK_NONE;
	for (h = first_key(frames, n, flags);; h = hash_u64(h + 1)) {
		if (h == U64MAP_EMPTY)
			continue;
		if (!u64map__get(st->by_hash, h, &v))
			break;
		if (same(st, &st->ents[v], frames, n, flags))
			return (uint32_t)v;
	}
	grow_array((void **)&st->pool, &st->cappool, st->npool + n, sizeof(*st->pool));
	memcpy(st->pool + st->npool, frames, n * sizeof(*frames));
	if (st->nfree) {
		id = st->free_ids[--st->nfree];
	} else {
		grow_array((void **)&st->ents, &st->capents, st->nents + 1, sizeof(*st->ents));
		id = (uint32_t)st->nents++;
	}
	e = &st->ents[id];
	*e = (struct stack_entry){ .off = (uint32_t)st->npool, .n = n, .flags = flags,
				   .live = true };
	st->npool += n;
	st->live++;
	u64map__put(st->by_hash, h, id);
	return id;
}

uint32_t stacks__intern_raw(struct stacks *st, const struct addrspace *as,
			    const uint64_t *ips, uint32_t n, uint32_t flags,
			    uint32_t *unresolved)
{
	uint64_t frames[256];
	uint32_t miss = 0;

	if (n > ARRAY_SIZE(frames))
		n = ARRAY_SIZE(frames);
	for (uint32_t i = 0; i < n; i++) {
		uint32_t mod;
		uint64_t off;

		if (as && addrspace__resolve(as, ips[i], &mod, &off)) {
			frames[i] = FRAME_MAKE(mod, off);
		} else {
			frames[i] = FRAME_MAKE(0, ips[i]);
			miss++;
		}
	}
	if (unresolved)
		*unresolved = miss;
	return stacks__intern(st, frames, n, flags);
}

bool stacks__live(const struct stacks *st, uint32_t id)
{
	return id != STACK_NONE && id < st->nents && st->ents[id].live;
}

const uint64_t *stacks__frames(const struct stacks *st, uint32_t id, uint32_t *n,
			       uint32_t *flags)
{
	if (!stacks__live(st, id)) {
		*n = 0;
		if (flags)
			*flags = 0;
		return NULL;
	}
	*n = st->ents[id].n;
	if (flags)
		*flags = st->ents[id].flags;
	return st->pool + st->ents[id].off;
}

uint32_t stacks__count(const struct stacks *st)
{
	return (uint32_t)st->live;
}

size_t stacks__bytes(const struct stacks *st)
{
	return sizeof(*st) + st->cappool * sizeof(*st->pool) +
	       st->capents * sizeof(*st->ents) + st->capfree * sizeof(*st->free_ids) +
	       u64map__bytes(st->by_hash);
}

void stacks__mark(struct stacks *st, uint32_t id)
{
	if (stacks__live(st, id))
		st->ents[id].marked = true;
}

bool stacks__marked(const struct stacks *st, uint32_t id)
{
	return stacks__live(st, id) && st->ents[id].marked;
}

/* The frames of live stacks, moved together into a pool just big
 * enough; the index made again from them. */
static void compact(struct stacks *st)
{
	uint64_t *pool;
	size_t n = 0, cap = 0;

	for (size_t id = 1; id < st->nents; id++)
		n += st->ents[id].n;
	pool = NULL;
	grow_array((void **)&pool, &cap, n ? n : 1, sizeof(*pool));
	n = 0;
	u64map__free(st->by_hash);
	st->by_hash = u64map__new(st->live);
	for (size_t id = 1; id < st->nents; id++) {
		struct stack_entry *e = &st->ents[id];

		if (!e->live)
			continue;
		memcpy(pool + n, st->pool + e->off, e->n * sizeof(*pool));
		e->off = (uint32_t)n;
		n += e->n;
		u64map__put(st->by_hash, free_key(st, first_key(pool + e->off, e->n, e->flags)),
			    id);
	}
	free(st->pool);
	st->pool = pool;
	st->npool = n;
	st->cappool = cap;
}

/* Ids above the highest live one are not kept as free: the table
 * shrinks to what it holds (ids stay what they are). Free ids are listed
 * highest first, so the lowest is given out first. */
static void trim_ids(struct stacks *st)
{
	size_t top = st->nents, cap = 0;

	while (top > 1 && !st->ents[top - 1].live)
		top--;
	st->nents = top;
	st->capents = top;
	st->ents = xrealloc(st->ents, top * sizeof(*st->ents));
	free(st->free_ids);
	st->free_ids = NULL;
	st->nfree = 0;
	for (size_t id = top; id-- > 1;)
		if (!st->ents[id].live) {
			grow_array((void **)&st->free_ids, &cap, st->nfree + 1,
				   sizeof(*st->free_ids));
			st->free_ids[st->nfree++] = (uint32_t)id;
		}
	st->capfree = cap;
}

size_t stacks__sweep(struct stacks *st)
{
	size_t freed = 0;

	for (size_t id = 1; id < st->nents; id++) {
		struct stack_entry *e = &st->ents[id];

		if (!e->live)
			continue;
		if (e->marked) {
			e->marked = false;
			continue;
		}
		*e = (struct stack_entry){ 0 };
		freed++;
	}
	st->live -= freed;
	if (freed) {
		trim_ids(st);
		compact(st);
	}
	return freed;
}
