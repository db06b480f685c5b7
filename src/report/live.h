/* SPDX-License-Identifier: MIT */
/* The live view: the top stacks per kind every interval, with what each
 * gained or lost since the previous one. */
#ifndef LS_LIVE_H
#define LS_LIVE_H

#include <stdio.h>

struct report;
struct u64map;

struct live {
	struct u64map *prev;	/* stack key -> weight at last print */
	unsigned ticks;
};

void live__init(struct live *l);
void live__free(struct live *l);
void live__print(struct live *l, FILE *f, const struct report *r, size_t top);

#endif
