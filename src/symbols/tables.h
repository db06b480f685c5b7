/* SPDX-License-Identifier: MIT */
/*
 * What the collector interns, owned together: strings (paths, names),
 * stacks, modules (the executable files and what was parsed of them) and
 * the symbol cache. Created and freed with their owner (the collector),
 * and passed explicitly to whoever adds to them.
 *
 * A long-running owner (the agent) frees what no live process refers to
 * any more: it marks the roots (each process's ledgers, code map and
 * exe: ledgers/process.c), then tables__sweep() marks what those roots
 * reach (a stack's modules and symbolized frames, a module's paths,
 * their names) and frees the rest. What is marked keeps its id and its
 * address; a freed id is given to a new entry only after the sweep.
 */
#ifndef LS_TABLES_H
#define LS_TABLES_H

#include <stddef.h>
#include <stdint.h>

struct modules;
struct stacks;
struct strtab;
struct symbolizer;

enum table_kind {
	TABLE_STRINGS = 0,
	TABLE_STACKS,
	TABLE_MODULES,
	TABLE_SYMBOLS,
	TABLE_MAX,
};

struct tables {
	struct strtab *strings;
	struct stacks *stacks;
	struct modules *modules;
	struct symbolizer *symbols;
	uint64_t sweeps;
	uint64_t freed[TABLE_MAX];	/* entries freed by sweeps, per table */
};

struct table_size {
	size_t entries;
	size_t bytes;
};

void tables__init(struct tables *t);
void tables__free(struct tables *t);
/* Roots, then the sweep (see above). Returns entries freed in all. */
void tables__mark_string(struct tables *t, const char *s);
void tables__mark_stack(struct tables *t, uint32_t id);
void tables__mark_module(struct tables *t, uint32_t id);
size_t tables__sweep(struct tables *t);
/* Entries held now, over every table: what a caller compares to decide
 * whether a sweep is worth it. */
size_t tables__entries(const struct tables *t);
void tables__size(const struct tables *t, enum table_kind k, struct table_size *out);
const char *table_kind_name(enum table_kind k);	/* "strings", ... */

#endif
