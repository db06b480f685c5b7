// SPDX-License-Identifier: MIT
#include "report/report.h"
#include "base/hashmap.h"
#include "base/strtab.h"
#include "base/util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const kind_names[KIND_MAX] = {
	[KIND_MMAP] = "mmap",		[KIND_BRK] = "brk",
	[KIND_FD] = "fd",		[KIND_GOROUTINE] = "goroutine",
	[KIND_GO_HEAP] = "go_heap",	[KIND_GO_ALLOC] = "go_alloc",
	[KIND_MALLOC] = "malloc",
};

const char *kind_name(enum ls_kind k)
{
	return k < KIND_MAX ? kind_names[k] : "unknown";
}

int kind_from_name(const char *name)
{
	for (int k = 0; k < KIND_MAX; k++)
		if (strcmp(name, kind_names[k]) == 0)
			return k;
	return -1;
}

bool kind_has_bytes(enum ls_kind k)
{
	return k != KIND_FD && k != KIND_GOROUTINE;
}

const char *kind_item_name(enum ls_kind k, uint64_t n)
{
	static const char *const one[KIND_MAX] = {
		"mapping", "growth", "fd", "goroutine", "object", "object", "block",
	};
	static const char *const many[KIND_MAX] = {
		"mappings", "growths", "fds", "goroutines", "objects", "objects", "blocks",
	};
	return k < KIND_MAX ? (n == 1 ? one[k] : many[k]) : "items";
}

const char *drop_reason_name(int reason)
{
	static const char *const names[LS_DROP_MAX] = {
		[LS_DROP_RINGBUF_FULL] = "ringbuf_full",
		[LS_DROP_STACK_FAILED] = "stack_failed",
		[LS_DROP_PATH_FAILED] = "path_failed",
		[LS_DROP_INFLIGHT_FULL] = "inflight_full",
		[LS_DROP_TRACED_FULL] = "traced_full",
		[LS_DROP_SAMPLED_FULL] = "sampled_blocks_full",
	};
	return reason >= 0 && reason < LS_DROP_MAX ? names[reason] : NULL;
}

static void add_note(struct report *r, int pid, const char *fmt, va_list ap)
{
	char *s;

	if (vasprintf(&s, fmt, ap) < 0)
		return;
	r->notes = xrealloc(r->notes, (r->nnotes + 1) * sizeof(*r->notes));
	r->note_pids = xrealloc(r->note_pids, (r->nnotes + 1) * sizeof(*r->note_pids));
	r->note_pids[r->nnotes] = pid;
	r->notes[r->nnotes++] = s;
}

void report__add_note(struct report *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	add_note(r, -1, fmt, ap);
	va_end(ap);
}

void report__add_process_note(struct report *r, int pid, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	add_note(r, pid, fmt, ap);
	va_end(ap);
}

/* Strings by content: two reports (each with its own strings) agree on
 * a stack's key; NULL differs from "". */
static uint64_t hash_str(uint64_t h, const char *s)
{
	return s ? hash_bytes(s, strlen(s), h) : hash_u64(h ^ 0x5bd1e995);
}

/* Identity of a stack as a reader sees it: kind, process, what kind of
 * fd, and the symbolized frames. Two code paths that differ only in a
 * return address (a duplicated call site, an unrolled loop) are one. */
uint64_t report__stack_key(const struct report_stack *s)
{
	uint64_t h = hash_u64(((uint64_t)s->kind << 40) ^ ((uint64_t)s->preexisting << 39) ^
			      ((uint64_t)s->allocator << 38) ^
			      (uint64_t)(uint32_t)s->pid ^ (uint64_t)s->group << 48);

	h = hash_str(h, s->fd_kind);
	for (size_t i = 0; i < s->nframes; i++) {
		const struct report_frame *f = &s->frames[i];

		h = hash_str(h, f->name);
		h = hash_u64(hash_str(h, f->file) ^ f->line);
	}
	return h == U64MAP_EMPTY ? h - 1 : h;
}

enum ls_kind report__first_traced_kind(const struct report *r)
{
	for (int k = 0; k < KIND_MAX; k++)
		if (r->has_kind[k])
			return k;
	return KIND_MMAP;
}

/* Memory that was measured weighs what it commits: a large reservation
 * never touched (the Go runtime's arenas) is not where a reader looks
 * first. */
static uint64_t weight(const struct report_stack *s)
{
	if (!kind_has_bytes(s->kind))
		return s->count;
	return s->measured ? s->committed_bytes : s->bytes;
}

static int cmp_stacks(const void *a, const void *b)
{
	const struct report_stack *x = a, *y = b;

	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	if (x->suspect != y->suspect)
		return x->suspect ? -1 : 1;
	if (x->file_backed != y->file_backed)	/* code and files last */
		return x->file_backed ? 1 : -1;
	if (weight(x) != weight(y))
		return weight(x) > weight(y) ? -1 : 1;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return x->stack_id < y->stack_id ? -1 : x->stack_id > y->stack_id;
}

void report__sort(struct report *r)
{
	if (r->nstacks > 1)	/* stacks is NULL when there are none */
		qsort(r->stacks, r->nstacks, sizeof(*r->stacks), cmp_stacks);
}

void report__retain_pids(struct report *r, bool (*keep)(void *ctx, int pid), void *ctx)
{
	size_t out = 0;

	for (size_t i = 0; i < r->nstacks; i++) {
		if (keep(ctx, r->stacks[i].pid))
			r->stacks[out++] = r->stacks[i];
		else
			free(r->stacks[i].frames);
	}
	r->nstacks = out;
	out = 0;
	for (size_t i = 0; i < r->ntargets; i++) {
		if (keep(ctx, r->targets[i].pid))
			r->targets[out++] = r->targets[i];
		else
			free(r->targets[i].alloc_sites);
	}
	r->ntargets = out;
}

void report__free(struct report *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nstacks; i++) {
		struct report_stack *s = &r->stacks[i];

		free(s->frames);
		for (size_t j = 0; j < s->nnow; j++)
			free(s->now[j].frames);
		for (size_t j = 0; j < s->nancestors; j++)
			free(s->ancestors[j].frames);
		free(s->now);
		free(s->ancestors);
	}
	for (size_t i = 0; i < r->ntargets; i++)
		free(r->targets[i].alloc_sites);
	for (size_t i = 0; i < r->nnotes; i++)
		free(r->notes[i]);
	free(r->notes);
	free(r->note_pids);
	free(r->stacks);
	free(r->targets);
	strtab__free(r->strings);
	free(r);
}
