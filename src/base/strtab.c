// SPDX-License-Identifier: MIT
#include "base/strtab.h"
#include "base/hashmap.h"
#include "base/util.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Strings live in a hash of content hash -> chain of entries. */
struct strtab_entry {
	struct strtab_entry *next;
	size_t len;
	bool marked;
	char s[];
};

struct strtab {
	struct u64map *by_hash;
	size_t count;
	size_t string_bytes;	/* entries, headers included */
};

static uint64_t key_of(const char *s, size_t n)
{
	return hash_bytes(s, n, 0x1f) & ~1ULL;	/* never the map's empty key */
}

static struct strtab_entry *chain_of(uint64_t v)
{
	return (struct strtab_entry *)(uintptr_t)v;
}

struct strtab *strtab__new(void)
{
	struct strtab *t = xcalloc(1, sizeof(*t));

	t->by_hash = u64map__new(256);
	return t;
}

static void free_chain(struct strtab_entry *e)
{
	while (e) {
		struct strtab_entry *next = e->next;

		free(e);
		e = next;
	}
}

void strtab__free(struct strtab *t)
{
	uint64_t v;
	size_t it = 0;

	if (!t)
		return;
	while (u64map__next(t->by_hash, &it, NULL, &v))
		free_chain(chain_of(v));
	u64map__free(t->by_hash);
	free(t);
}

static struct strtab_entry *find(const struct strtab *t, const char *s, size_t n,
				 uint64_t key, uint64_t *head)
{
	*head = 0;
	if (!u64map__get(t->by_hash, key, head))
		return NULL;
	for (struct strtab_entry *e = chain_of(*head); e; e = e->next)
		if (e->len == n && memcmp(e->s, s, n) == 0)
			return e;
	return NULL;
}

const char *strtab__intern(struct strtab *t, const char *s)
{
	struct strtab_entry *e;
	uint64_t key, head;
	size_t n;

	if (!s)
		return NULL;
	n = strlen(s);
	key = key_of(s, n);
	e = find(t, s, n, key, &head);
	if (e)
		return e->s;
	e = xmalloc(sizeof(*e) + n + 1);
	memcpy(e->s, s, n + 1);
	e->len = n;
	e->marked = false;
	e->next = chain_of(head);
	u64map__put(t->by_hash, key, (uint64_t)(uintptr_t)e);
	t->count++;
	t->string_bytes += sizeof(*e) + n + 1;
	return e->s;
}

void strtab__mark(struct strtab *t, const char *s)
{
	struct strtab_entry *e;
	uint64_t head;
	size_t n;

	if (!t || !s)
		return;
	n = strlen(s);
	e = find(t, s, n, key_of(s, n), &head);
	if (e)
		e->marked = true;
}

/* The index is rebuilt rather than edited: chains change while the map
 * is walked, and a map must not change during a walk. */
size_t strtab__sweep(struct strtab *t)
{
	struct u64map *kept;
	size_t freed = 0, marked = 0, it = 0;
	uint64_t key, v;

	/* the new index sized for what stays, not for what was */
	while (u64map__next(t->by_hash, &it, NULL, &v))
		for (struct strtab_entry *e = chain_of(v); e; e = e->next)
			marked += e->marked;
	kept = u64map__new(marked);
	it = 0;

	while (u64map__next(t->by_hash, &it, &key, &v)) {
		struct strtab_entry *head = NULL, *e = chain_of(v), *next;

		for (; e; e = next) {
			next = e->next;
			if (!e->marked) {
				t->string_bytes -= sizeof(*e) + e->len + 1;
				free(e);
				freed++;
				continue;
			}
			e->marked = false;
			e->next = head;
			head = e;
		}
		if (head)
			u64map__put(kept, key, (uint64_t)(uintptr_t)head);
	}
	u64map__free(t->by_hash);
	t->by_hash = kept;
	t->count -= freed;
	return freed;
}

size_t strtab__count(const struct strtab *t)
{
	return t ? t->count : 0;
}

size_t strtab__bytes(const struct strtab *t)
{
	return t ? sizeof(*t) + t->string_bytes + u64map__bytes(t->by_hash) : 0;
}
