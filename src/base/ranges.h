/* SPDX-License-Identifier: MIT */
/*
 * A set of disjoint address ranges [start, end), each with an owner
 * pointer, in a treap keyed by start. Every operation that can touch many
 * ranges (remove a span, move a span) splits the tree around the span, so
 * it costs O(log n + ranges touched), never a scan.
 */
#ifndef LS_RANGES_H
#define LS_RANGES_H

#include <stddef.h>
#include <stdint.h>

struct range_node;

struct ranges {
	struct range_node *root;
	size_t count;
	uint64_t seed;		/* treap priorities */
};

/* Called for every piece that leaves the set, with its owner and length. */
typedef void (*range_release_fn)(void *ctx, void *owner, uint64_t start,
				 uint64_t end);
typedef void (*range_visit_fn)(void *ctx, void *owner, uint64_t start,
			       uint64_t end);

void ranges__init(struct ranges *r);
void ranges__clear(struct ranges *r, range_release_fn fn, void *ctx);

/* Add [start, end) owned by owner; the span must be free (remove first). */
void ranges__add(struct ranges *r, uint64_t start, uint64_t end, void *owner);
/* Remove whatever overlaps [start, end), trimming ranges at the edges. */
void ranges__remove(struct ranges *r, uint64_t start, uint64_t end,
		    range_release_fn fn, void *ctx);
/* Move the pieces inside [from, from + len) to start at `to`, keeping
 * their owners; whatever was at the destination is removed first. */
void ranges__move(struct ranges *r, uint64_t from, uint64_t len, uint64_t to,
		  range_release_fn fn, void *ctx);
/* Pieces overlapping [start, end), in address order (not trimmed). */
void ranges__visit_span(const struct ranges *r, uint64_t start, uint64_t end,
			range_visit_fn fn, void *ctx);
/* In address order. */
void ranges__visit(const struct ranges *r, range_visit_fn fn, void *ctx);

#endif
