// SPDX-License-Identifier: MIT
#include "agent/profiles.h"
#include "export/export.h"
#include "base/hashmap.h"
#include "report/report.h"
#include "base/util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct report *profile__view(const struct report *r, int pid)
{
	struct report *v = xcalloc(1, sizeof(*v));

	*v = *r;
	v->stacks = xcalloc(r->nstacks + 1, sizeof(*v->stacks));
	v->nstacks = 0;
	for (size_t i = 0; i < r->nstacks; i++)
		if (pid < 0 || r->stacks[i].pid == pid)
			v->stacks[v->nstacks++] = r->stacks[i];
	v->targets = xcalloc(r->ntargets + 1, sizeof(*v->targets));
	v->ntargets = 0;
	for (size_t i = 0; i < r->ntargets; i++)
		if (pid < 0 || r->targets[i].pid == pid)
			v->targets[v->ntargets++] = r->targets[i];
	/* a note about one process goes with that process's profiles only */
	v->notes = xcalloc(r->nnotes + 1, sizeof(*v->notes));
	v->note_pids = xcalloc(r->nnotes + 1, sizeof(*v->note_pids));
	v->nnotes = 0;
	for (size_t i = 0; i < r->nnotes; i++)
		if (pid < 0 || r->note_pids[i] < 0 || r->note_pids[i] == pid) {
			v->note_pids[v->nnotes] = r->note_pids[i];
			v->notes[v->nnotes++] = r->notes[i];
		}
	return v;
}

void profile__view_free(struct report *v)
{
	if (!v)
		return;
	free(v->stacks);
	free(v->targets);
	free(v->notes);
	free(v->note_pids);
	free(v);
}

unsigned profile__kinds(const struct report *v)
{
	unsigned kinds = 0;

	for (size_t i = 0; i < v->nstacks; i++) {
		const struct report_stack *s = &v->stacks[i];

		if (s->kind < KIND_MAX && (s->count || s->bytes || s->alloc_count || s->alloc_bytes))
			kinds |= 1u << s->kind;
	}
	return kinds;
}

int profile__pprof(const struct report *v, int kind, uint8_t **buf, size_t *len)
{
	struct export_options eo = EXPORT_OPTIONS_DEFAULT;
	char *mem = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&mem, &n);
	int err;

	if (!f)
		return -errno;
	eo.kind_filter = kind;
	err = export__write(f, v, EXPORT_PPROF, &eo);
	if (fclose(f) && !err)
		err = -EIO;
	if (err) {
		free(mem);
		return err;
	}
	*buf = (uint8_t *)mem;
	*len = n;
	return 0;
}

/* One process's go_alloc totals at its previous push, per stack. */
struct pid_deltas {
	struct u64map *index;	/* stack key -> slot in seen[] */
	struct alloc_seen {
		uint64_t count, bytes;
	} *seen;
	size_t n, cap;
};

static void pid_deltas__free(struct pid_deltas *pd)
{
	u64map__free(pd->index);
	free(pd->seen);
	free(pd);
}

void alloc_deltas__init(struct alloc_deltas *d)
{
	d->by_pid = u64map__new(16);
}

void alloc_deltas__free(struct alloc_deltas *d)
{
	uint64_t v;
	size_t it = 0;

	while (u64map__next(d->by_pid, &it, NULL, &v))
		pid_deltas__free((struct pid_deltas *)(uintptr_t)v);
	u64map__free(d->by_pid);
	d->by_pid = NULL;
}

void alloc_deltas__forget(struct alloc_deltas *d, int pid)
{
	uint64_t v;

	if (u64map__del(d->by_pid, (uint64_t)pid, &v))
		pid_deltas__free((struct pid_deltas *)(uintptr_t)v);
}

void alloc_deltas__apply(struct alloc_deltas *d, struct report *v, int pid)
{
	struct pid_deltas *pd;
	uint64_t val;

	if (!u64map__get(d->by_pid, (uint64_t)pid, &val)) {
		pd = xcalloc(1, sizeof(*pd));
		pd->index = u64map__new(64);
		u64map__put(d->by_pid, (uint64_t)pid, (uint64_t)(uintptr_t)pd);
	} else {
		pd = (struct pid_deltas *)(uintptr_t)val;
	}
	for (size_t i = 0; i < v->nstacks; i++) {
		struct report_stack *s = &v->stacks[i];
		uint64_t key, idx;
		uint64_t count = MAX(s->alloc_count, s->count);
		uint64_t bytes = MAX(s->alloc_bytes, s->bytes);
		uint64_t dc = count, db = bytes;

		if (s->kind != KIND_GO_ALLOC || s->pid != pid)
			continue;
		key = report__stack_key(s);
		if (u64map__get(pd->index, key, &idx)) {
			/* A smaller total means counting restarted: all is new. */
			if (count >= pd->seen[idx].count && bytes >= pd->seen[idx].bytes) {
				dc = count - pd->seen[idx].count;
				db = bytes - pd->seen[idx].bytes;
			}
		} else {
			grow_array((void **)&pd->seen, &pd->cap, pd->n + 1, sizeof(*pd->seen));
			idx = pd->n++;
			u64map__put(pd->index, key, idx);
		}
		pd->seen[idx].count = count;
		pd->seen[idx].bytes = bytes;
		s->count = s->alloc_count = dc;
		s->bytes = s->alloc_bytes = db;
	}
}
