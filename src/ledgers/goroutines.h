/* SPDX-License-Identifier: MIT */
/*
 * The goroutine ledger of one Go process: every live goroutine we saw
 * created (or found in the runtime's list of goroutines), by goid, with
 * the stack that created it, the function it runs, the goroutine that
 * created it, and its runtime.g address (to read what it is doing now).
 *
 * A goroutine that exits while goroutines it created (or their
 * descendants) still live is kept apart as an ancestor: the chain of
 * creators of a leaked goroutine started inside a library (net/http's
 * readLoop) leads to the user's code through goroutines long gone, as
 * GODEBUG=tracebackancestors shows it. Ancestors go when their last
 * descendant does, so the ledger stays the size of what is live.
 */
#ifndef LS_GOROUTINES_H
#define LS_GOROUTINES_H

#include <stddef.h>
#include <stdint.h>

struct u64map;

struct goroutine {
	uint64_t goid;
	uint64_t g_addr;
	uint64_t birth_ns;	/* created, or first seen */
	uint64_t gopc;		/* pc of the go statement */
	uint64_t startpc;	/* the function it runs; 0 unknown */
	uint64_t parent_goid;	/* who created it; 0 unknown */
	uint32_t stack;		/* creation stack */
	uint16_t preexisting;	/* found at attach, creator from gopc */
	uint16_t gone;		/* exited: kept as an ancestor */
	uint32_t children;	/* goroutines here whose parent it is */
	uint32_t seen;		/* the allgs walk that last saw it */
	/* What it was doing when last read: goread__state_code(), 0 = never
	 * read. Kept for the report after the process exits. */
	uint16_t last_state;
	/* Where it stopped when last read (trace/gocurrent.c keeps it): the
	 * stack is read again only when that changed. now_stack is a stack
	 * id of the process's tables (process__mark keeps it). */
	uint32_t now_key, now_stack;
};

struct goroutines {
	struct u64map *by_goid;	/* goid -> struct goroutine *, live */
	struct u64map *gone;	/* goid -> struct goroutine *, ancestors */
	uint64_t created, exited, unknown_exits;
};

void goroutines__init(struct goroutines *g);
void goroutines__clear(struct goroutines *g);
struct goroutine *goroutines__add(struct goroutines *g, uint64_t goid,
				  uint64_t g_addr, uint32_t stack,
				  uint64_t ts_ns);
/* Record who created gr (after goroutines__add); 0 = unknown. */
void goroutines__set_parent(struct goroutines *g, struct goroutine *gr,
			    uint64_t parent_goid);
/* 1 if it was tracked and is gone now, 0 if we never saw it. */
int goroutines__exit(struct goroutines *g, uint64_t goid);
/* A live goroutine, or NULL. */
struct goroutine *goroutines__get(const struct goroutines *g, uint64_t goid);
/* Who created gr, live or kept as an ancestor; NULL if unknown. */
const struct goroutine *goroutines__parent(const struct goroutines *g,
					   const struct goroutine *gr);
size_t goroutines__count(const struct goroutines *g);
size_t goroutines__ancestors(const struct goroutines *g);	/* kept, exited */
/* Visit every live goroutine (the ledger must not change meanwhile). */
typedef void (*goroutine_visit_fn)(void *ctx, const struct goroutine *gr);
void goroutines__visit(const struct goroutines *g, goroutine_visit_fn fn,
		       void *ctx);
/* Visit every exited goroutine kept as an ancestor. */
void goroutines__visit_ancestors(const struct goroutines *g, goroutine_visit_fn fn,
				 void *ctx);
/* Exit every live goroutine not seen in walk number seen (an allgs walk
 * that marks what it finds): they are gone. Returns how many. */
size_t goroutines__sweep(struct goroutines *g, uint32_t seen);
size_t goroutines__bytes(const struct goroutines *g);

#endif
