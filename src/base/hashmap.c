// SPDX-License-Identifier: MIT
#include "base/hashmap.h"
#include "base/util.h"

#include <stdlib.h>

struct slot {
	uint64_t key;
	uint64_t val;
};

struct u64map {
	struct slot *slots;
	size_t mask;		/* capacity - 1, capacity a power of two */
	size_t len;
};

static void init_slots(struct u64map *m, size_t cap)
{
	m->slots = xmalloc(cap * sizeof(*m->slots));
	for (size_t i = 0; i < cap; i++)
		m->slots[i].key = U64MAP_EMPTY;
	m->mask = cap - 1;
	m->len = 0;
}

struct u64map *u64map__new(size_t hint)
{
	struct u64map *m = xmalloc(sizeof(*m));
	size_t cap = 16;

	while (cap * 7 / 10 < hint)
		cap *= 2;
	init_slots(m, cap);
	return m;
}

void u64map__free(struct u64map *m)
{
	if (!m)
		return;
	free(m->slots);
	free(m);
}

size_t u64map__len(const struct u64map *m)
{
	return m ? m->len : 0;
}

size_t u64map__bytes(const struct u64map *m)
{
	return m ? sizeof(*m) + (m->mask + 1) * sizeof(struct slot) : 0;
}

static size_t find(const struct u64map *m, uint64_t key, bool *found)
{
	size_t i = hash_u64(key) & m->mask;

	for (;;) {
		if (m->slots[i].key == key) {
			*found = true;
			return i;
		}
		if (m->slots[i].key == U64MAP_EMPTY) {
			*found = false;
			return i;
		}
		i = (i + 1) & m->mask;
	}
}

bool u64map__get(const struct u64map *m, uint64_t key, uint64_t *val)
{
	bool found;
	size_t i;

	if (!m || key == U64MAP_EMPTY)
		return false;
	i = find(m, key, &found);
	if (found && val)
		*val = m->slots[i].val;
	return found;
}

static void rehash(struct u64map *m, size_t cap)
{
	struct slot *old = m->slots;
	size_t old_cap = m->mask + 1;

	init_slots(m, cap);
	for (size_t i = 0; i < old_cap; i++)
		if (old[i].key != U64MAP_EMPTY)
			u64map__put(m, old[i].key, old[i].val);
	free(old);
}

bool u64map__put(struct u64map *m, uint64_t key, uint64_t val)
{
	bool found;
	size_t i;

	/* Keys come from traced processes (addresses, inodes, pids): the
	 * one value that cannot be stored is refused, not fatal. */
	if (key == U64MAP_EMPTY)
		return false;
	if ((m->len + 1) * 10 > (m->mask + 1) * 7)
		rehash(m, (m->mask + 1) * 2);
	i = find(m, key, &found);
	m->slots[i].val = val;
	if (found)
		return false;
	m->slots[i].key = key;
	m->len++;
	return true;
}

bool u64map__del(struct u64map *m, uint64_t key, uint64_t *old)
{
	size_t i, j;
	bool found;

	if (!m || key == U64MAP_EMPTY)
		return false;
	i = find(m, key, &found);
	if (!found)
		return false;
	if (old)
		*old = m->slots[i].val;
	/* Backward shift: pull later entries of the probe run into the hole
	 * when their home slot is not between the hole and them. */
	j = i;
	for (;;) {
		size_t home;

		j = (j + 1) & m->mask;
		if (m->slots[j].key == U64MAP_EMPTY)
			break;
		home = hash_u64(m->slots[j].key) & m->mask;
		if (((j - home) & m->mask) >= ((j - i) & m->mask)) {
			m->slots[i] = m->slots[j];
			i = j;
		}
	}
	m->slots[i].key = U64MAP_EMPTY;
	m->len--;
	/* Shrink tables that emptied out, so churn does not pin memory. */
	if (m->mask + 1 > 64 && m->len * 10 < (m->mask + 1))
		rehash(m, (m->mask + 1) / 4);
	return true;
}

void u64map__clear(struct u64map *m)
{
	free(m->slots);
	init_slots(m, 16);
}

bool u64map__next(const struct u64map *m, size_t *it, uint64_t *key,
		  uint64_t *val)
{
	if (!m)
		return false;
	for (; *it <= m->mask; (*it)++) {
		if (m->slots[*it].key != U64MAP_EMPTY) {
			if (key)
				*key = m->slots[*it].key;
			if (val)
				*val = m->slots[*it].val;
			(*it)++;
			return true;
		}
	}
	return false;
}
