/* SPDX-License-Identifier: MIT */
/*
 * A string table: equal contents give the same pointer, so paths and
 * names are stored once and compared by pointer. Every table has an
 * owner that frees it (the collector's tables, one report, one export);
 * a long-running owner frees what nothing refers to any more by marking
 * what is still used and sweeping the rest.
 */
#ifndef LS_STRTAB_H
#define LS_STRTAB_H

#include <stddef.h>

struct strtab;

struct strtab *strtab__new(void);
void strtab__free(struct strtab *t);
/* The table's copy of s (NULL for NULL). Valid until the table is freed,
 * or until a sweep that did not see it marked. */
const char *strtab__intern(struct strtab *t, const char *s);
/* Keep s through the next sweep. s is looked up by content, so any
 * string may be passed: one the table does not hold changes nothing. */
void strtab__mark(struct strtab *t, const char *s);
/* Free every string not marked since the last sweep; marks are cleared.
 * Returns how many were freed. */
size_t strtab__sweep(struct strtab *t);
size_t strtab__count(const struct strtab *t);
/* Memory held: the strings and the index. */
size_t strtab__bytes(const struct strtab *t);

#endif
