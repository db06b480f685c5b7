/* SPDX-License-Identifier: MIT */
/*
 * u64 -> u64 hash map: open addressing, linear probing, backward-shift
 * deletion (no tombstones, so long-running churn does not degrade it).
 * 16 bytes per slot at <= 70% load: the collector's per-item tables
 * (goroutines, stacks, strings) all sit on it.
 */
#ifndef LS_HASHMAP_H
#define LS_HASHMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define U64MAP_EMPTY UINT64_MAX	/* the one key that cannot be stored */

struct u64map;

struct u64map *u64map__new(size_t hint);
void u64map__free(struct u64map *m);
size_t u64map__len(const struct u64map *m);
size_t u64map__bytes(const struct u64map *m);	/* memory held */
bool u64map__get(const struct u64map *m, uint64_t key, uint64_t *val);
/* Insert or replace; returns true if the key was new. U64MAP_EMPTY is
 * never stored (false, and get() does not find it). */
bool u64map__put(struct u64map *m, uint64_t key, uint64_t val);
bool u64map__del(struct u64map *m, uint64_t key, uint64_t *old);
void u64map__clear(struct u64map *m);
/* Iterate: size_t it = 0; while (u64map__next(m, &it, &k, &v)) ...
 * The map must not change during iteration. */
bool u64map__next(const struct u64map *m, size_t *it, uint64_t *key,
		  uint64_t *val);

#endif
