// SPDX-License-Identifier: MIT
#include "base/intern.h"
#include "base/hashmap.h"
#include "base/util.h"

#include <stdint.h>
#include <string.h>

/* Strings are interned in a hash of content hash -> chain of strings. */
struct interned {
	struct interned *next;
	char s[];
};

static struct u64map *interned_map;

const char *intern(const char *s)
{
	uint64_t h, v;
	struct interned *it;
	size_t n;

	if (!s)
		return NULL;
	n = strlen(s);
	h = hash_bytes(s, n, 0x1f) & ~1ULL;	/* never the map's empty key */
	if (!interned_map)
		interned_map = u64map__new(256);
	if (u64map__get(interned_map, h, &v)) {
		for (it = (struct interned *)(uintptr_t)v; it; it = it->next)
			if (strcmp(it->s, s) == 0)
				return it->s;
	} else {
		v = 0;
	}
	it = xmalloc(sizeof(*it) + n + 1);
	memcpy(it->s, s, n + 1);
	it->next = (struct interned *)(uintptr_t)v;
	u64map__put(interned_map, h, (uint64_t)(uintptr_t)it);
	return it->s;
}
