// SPDX-License-Identifier: MIT
#include "symbols/stacks.h"
#include "symbols/addrspace.h"
#include "base/hashmap.h"
#include "base/intern.h"
#include "base/util.h"

#include <string.h>

struct stack_entry {
	uint32_t off;		/* into pool */
	uint32_t n;
	uint32_t flags;
};

static uint64_t *pool;
static size_t npool, cappool;
static struct stack_entry *ents;	/* ents[0] is STACK_NONE */
static size_t nents, capents;
static struct u64map *by_hash;	/* content hash (+ probe) -> id */

static bool same(const struct stack_entry *e, const uint64_t *f, uint32_t n,
		 uint32_t flags)
{
	return e->n == n && e->flags == flags &&
	       memcmp(pool + e->off, f, n * sizeof(*f)) == 0;
}

uint32_t stacks__intern(const uint64_t *frames, uint32_t n, uint32_t flags)
{
	uint64_t h, v;
	struct stack_entry *e;

	if (!by_hash) {
		by_hash = u64map__new(1024);
		grow_array((void **)&ents, &capents, 1, sizeof(*ents));
		ents[0] = (struct stack_entry){ 0, 0, 0 };
		nents = 1;
	}
	if (!n)
		return STACK_NONE;
	h = hash_bytes(frames, n * sizeof(*frames), flags);
	/* Distinct stacks with equal hashes take the next key: the map never
	 * merges two stacks, unlike a BPF stack map with hash collisions. */
	for (;; h = hash_u64(h + 1)) {
		if (h == U64MAP_EMPTY)
			continue;
		if (!u64map__get(by_hash, h, &v))
			break;
		if (same(&ents[v], frames, n, flags))
			return (uint32_t)v;
	}
	grow_array((void **)&pool, &cappool, npool + n, sizeof(*pool));
	memcpy(pool + npool, frames, n * sizeof(*frames));
	grow_array((void **)&ents, &capents, nents + 1, sizeof(*ents));
	e = &ents[nents];
	e->off = (uint32_t)npool;
	e->n = n;
	e->flags = flags;
	npool += n;
	u64map__put(by_hash, h, nents);
	return (uint32_t)nents++;
}

uint32_t stacks__intern_raw(const struct addrspace *as, const uint64_t *ips,
			    uint32_t n, uint32_t flags, uint32_t *unresolved)
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
	return stacks__intern(frames, n, flags);
}

const uint64_t *stacks__frames(uint32_t id, uint32_t *n, uint32_t *flags)
{
	if (id == STACK_NONE || id >= nents) {
		*n = 0;
		if (flags)
			*flags = 0;
		return NULL;
	}
	*n = ents[id].n;
	if (flags)
		*flags = ents[id].flags;
	return pool + ents[id].off;
}

uint32_t stacks__count(void)
{
	return nents ? (uint32_t)nents - 1 : 0;
}

size_t stacks__bytes(void)
{
	return cappool * sizeof(*pool) + capents * sizeof(*ents) +
	       u64map__bytes(by_hash);
}
