// SPDX-License-Identifier: MIT
#include "base/ranges.h"
#include "base/util.h"

#include <stdlib.h>

struct range_node {
	uint64_t start, end;
	void *owner;
	struct range_node *left, *right;
	uint32_t prio;
};

static uint32_t next_prio(struct ranges *r)
{
	/* xorshift: priorities only need to look random to the treap */
	r->seed ^= r->seed << 13;
	r->seed ^= r->seed >> 7;
	r->seed ^= r->seed << 17;
	return (uint32_t)r->seed;
}

void ranges__init(struct ranges *r)
{
	r->root = NULL;
	r->count = 0;
	r->seed = 0x9e3779b97f4a7c15ULL;
}

/* Split t into ranges with start < key (*l) and start >= key (*g). */
static void split(struct range_node *t, uint64_t key, struct range_node **l,
		  struct range_node **g)
{
	if (!t) {
		*l = *g = NULL;
	} else if (t->start < key) {
		split(t->right, key, &t->right, g);
		*l = t;
	} else {
		split(t->left, key, l, &t->left);
		*g = t;
	}
}

/* All starts in a are below all starts in b. */
static struct range_node *merge(struct range_node *a, struct range_node *b)
{
	if (!a)
		return b;
	if (!b)
		return a;
	if (a->prio > b->prio) {
		a->right = merge(a->right, b);
		return a;
	}
	b->left = merge(a, b->left);
	return b;
}

static struct range_node *rightmost(struct range_node *t)
{
	while (t && t->right)
		t = t->right;
	return t;
}

static struct range_node *new_node(struct ranges *r, uint64_t start,
				   uint64_t end, void *owner)
{
	struct range_node *n = xmalloc(sizeof(*n));

	n->start = start;
	n->end = end;
	n->owner = owner;
	n->left = n->right = NULL;
	n->prio = next_prio(r);
	r->count++;
	return n;
}

static void free_tree(struct ranges *r, struct range_node *t,
		      range_release_fn fn, void *ctx)
{
	if (!t)
		return;
	free_tree(r, t->left, fn, ctx);
	if (fn)
		fn(ctx, t->owner, t->start, t->end);
	free_tree(r, t->right, fn, ctx);
	r->count--;
	free(t);
}

void ranges__clear(struct ranges *r, range_release_fn fn, void *ctx)
{
	free_tree(r, r->root, fn, ctx);
	r->root = NULL;
}

void ranges__add(struct ranges *r, uint64_t start, uint64_t end, void *owner)
{
	struct range_node *l, *g;

	if (start >= end)
		return;
	split(r->root, start, &l, &g);
	r->root = merge(merge(l, new_node(r, start, end, owner)), g);
}

/*
 * Cut [start, end) out of the tree and return it as its own tree (pieces
 * trimmed to the span); the rest stays in r. Used by remove and move.
 */
static struct range_node *extract(struct ranges *r, uint64_t start,
				  uint64_t end)
{
	struct range_node *l, *mid, *g, *last, *tail = NULL;

	split(r->root, start, &l, &g);
	/* The range just below start may reach into the span. */
	last = rightmost(l);
	if (last && last->end > start) {
		uint64_t old_end = last->end;

		/* keep [last->start, start) in place; the overlap joins mid */
		last->end = start;
		g = merge(new_node(r, start, MIN(old_end, end), last->owner), g);
		if (old_end > end)
			tail = new_node(r, end, old_end, last->owner);
	}
	split(g, end, &mid, &g);
	/* The last range inside the span may reach past its end. */
	last = rightmost(mid);
	if (last && last->end > end) {
		tail = new_node(r, end, last->end, last->owner);
		last->end = end;
	}
	if (tail)
		g = merge(tail, g);
	r->root = merge(l, g);
	return mid;
}

void ranges__remove(struct ranges *r, uint64_t start, uint64_t end,
		    range_release_fn fn, void *ctx)
{
	if (start >= end)
		return;
	free_tree(r, extract(r, start, end), fn, ctx);
}

static void shift(struct range_node *t, int64_t delta)
{
	if (!t)
		return;
	t->start += delta;
	t->end += delta;
	shift(t->left, delta);
	shift(t->right, delta);
}

void ranges__move(struct ranges *r, uint64_t from, uint64_t len, uint64_t to,
		  range_release_fn fn, void *ctx)
{
	struct range_node *moved, *l, *g;

	if (!len || from == to)
		return;
	moved = extract(r, from, from + len);
	ranges__remove(r, to, to + len, fn, ctx);
	shift(moved, (int64_t)(to - from));
	split(r->root, to, &l, &g);
	r->root = merge(merge(l, moved), g);
}

static void visit(const struct range_node *t, range_visit_fn fn, void *ctx)
{
	if (!t)
		return;
	visit(t->left, fn, ctx);
	fn(ctx, t->owner, t->start, t->end);
	visit(t->right, fn, ctx);
}

void ranges__visit(const struct ranges *r, range_visit_fn fn, void *ctx)
{
	visit(r->root, fn, ctx);
}

static void visit_span(const struct range_node *t, uint64_t start, uint64_t end,
		       range_visit_fn fn, void *ctx)
{
	if (!t)
		return;
	/* Ranges are disjoint: those left of t end by t->start, those
	 * right of it start at t->end or later. */
	if (t->start > start)
		visit_span(t->left, start, end, fn, ctx);
	if (t->end > start && t->start < end)
		fn(ctx, t->owner, t->start, t->end);
	if (t->end < end)
		visit_span(t->right, start, end, fn, ctx);
}

void ranges__visit_span(const struct ranges *r, uint64_t start, uint64_t end,
			range_visit_fn fn, void *ctx)
{
	visit_span(r->root, start, end, fn, ctx);
}
