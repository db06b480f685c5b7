/* SPDX-License-Identifier: MIT */
/*
 * The goroutine ledger of one Go process: every live goroutine we saw
 * created (or found at attach), by goid, with the stack that created it
 * and its runtime.g address (to read what it is doing now).
 */
#ifndef LS_GOROUTINES_H
#define LS_GOROUTINES_H

#include <stddef.h>
#include <stdint.h>

struct u64map;

struct goroutine {
	uint64_t goid;
	uint64_t g_addr;
	uint64_t birth_ns;
	uint64_t gopc;		/* pc of the go statement */
	uint32_t stack;
	uint16_t preexisting;	/* found at attach, creator from gopc */
	/* What it was doing when last read: (status << 8 | wait reason) + 1,
	 * 0 = never read. Kept for the report after the process exits. */
	uint16_t last_state;
};

struct goroutines {
	struct u64map *by_goid;	/* goid -> struct goroutine * */
	uint64_t created, exited, unknown_exits;
};

void goroutines__init(struct goroutines *g);
void goroutines__clear(struct goroutines *g);
struct goroutine *goroutines__add(struct goroutines *g, uint64_t goid,
				  uint64_t g_addr, uint32_t stack,
				  uint64_t ts_ns);
/* 1 if it was tracked and is gone now, 0 if we never saw it. */
int goroutines__exit(struct goroutines *g, uint64_t goid);
size_t goroutines__count(const struct goroutines *g);
/* Visit every live goroutine (the ledger must not change meanwhile). */
typedef void (*goroutine_visit_fn)(void *ctx, const struct goroutine *gr);
void goroutines__visit(const struct goroutines *g, goroutine_visit_fn fn,
		       void *ctx);
size_t goroutines__bytes(const struct goroutines *g);

#endif
