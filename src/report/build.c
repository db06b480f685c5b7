// SPDX-License-Identifier: MIT
/*
 * The report model built from the collector's ledgers: items aggregated
 * per (kind, process, stack), aged, symbolized once per stack, merged
 * where two raw stacks read the same, sorted.
 */
#include "report/build.h"
#include "report/frames.h"
#include "report/goroutine_groups.h"
#include "base/hashmap.h"
#include "base/strtab.h"
#include "base/util.h"
#include "ledgers/goproc.h"
#include "ledgers/process.h"
#include "symbols/stacks.h"
#include "symbols/symbolize.h"
#include "symbols/tables.h"
#include "trace/collector.h"
#include "trace/goprobes.h"
#include "trace/mallocprobes.h"
#include "trace/probes.h"
#include "ledgers/goallocs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Default --min-age for processes still running: what BCC memleak uses
 * (500 ms), so allocations in flight do not pass for leaks. A process that
 * has exited shows everything it held at exit: that is its leak. */
#define DEFAULT_MIN_AGE_S 0.5

/* The report's strings are its own copies (report.h): every string
 * taken from the collector's tables goes through copy(). */
struct builder {
	struct report *r;
	const struct tables *t;	/* the collector's */
	enum malloc_mode malloc_mode;
	struct u64map *index;	/* aggregation key -> stacks[] index + 1 */
	size_t cap;
	const struct process *p;
	uint64_t end_ns;	/* ages are measured up to here */
	double min_age_s;
	bool goroutine_states;
	struct report_target *target;	/* of the process being added */
	/* the process's memory was measured at least once (its items made
	 * since then are taken as made); 0 if never */
	uint64_t measured;
};

static uint64_t agg_key(enum ls_kind kind, int pid, uint32_t stack,
			uint32_t sub, bool pre)
{
	uint64_t parts[4] = { kind | (uint64_t)pre << 8, (uint64_t)pid, stack, sub };
	uint64_t k = hash_bytes(parts, sizeof(parts), 7);

	return k == U64MAP_EMPTY ? k - 1 : k;
}

static const char *copy(struct report *r, const char *s)
{
	return strtab__intern(r->strings, s);
}

/* path: the report's (pointers compare) */
static void add_path(struct report_stack *s, const char *path)
{
	for (size_t i = 0; i < s->npaths; i++)
		if (s->paths[i].path == path) {	/* the report's strings */
			s->paths[i].count++;
			return;
		}
	if (s->npaths < REPORT_MAX_PATHS)
		s->paths[s->npaths++] = (struct report_path){ path, 1 };
}

/* Count one outstanding item into its stack's entry (or the hidden
 * totals when it is younger than the minimum age). */
static struct report_stack *add_items(struct builder *b, enum ls_kind kind,
				      uint32_t stack, uint32_t sub,
				      const char *fd_kind, bool pre, uint64_t count,
				      uint64_t bytes, uint64_t birth_ns)
{
	struct report *r = b->r;
	double age = birth_ns < b->end_ns ? (b->end_ns - birth_ns) / (double)NS_PER_S : 0;
	struct report_stack *s;
	uint64_t key, idx;

	r->has_kind[kind] = true;
	r->totals[kind].count += count;
	r->totals[kind].bytes += bytes;
	if (!pre && age < b->min_age_s) {
		r->totals[kind].hidden_count += count;
		r->totals[kind].hidden_bytes += bytes;
		return NULL;
	}
	key = agg_key(kind, b->p->pid, stack, sub, pre);
	if (u64map__get(b->index, key, &idx)) {
		s = &r->stacks[idx];
	} else {
		grow_array((void **)&r->stacks, &b->cap, r->nstacks + 1,
			   sizeof(*r->stacks));
		s = &r->stacks[r->nstacks];
		memset(s, 0, sizeof(*s));
		s->kind = kind;
		s->pid = b->p->pid;
		s->stack_id = stack;
		s->fd_kind = fd_kind;
		s->preexisting = pre;
		s->group = sub;
		u64map__put(b->index, key, r->nstacks++);
	}
	s->count += count;
	s->bytes += bytes;
	if (age > s->oldest_s)
		s->oldest_s = age;
	return s;
}

static struct report_stack *add_item(struct builder *b, enum ls_kind kind,
				     uint32_t stack, uint32_t sub,
				     const char *fd_kind, bool pre,
				     uint64_t bytes, uint64_t birth_ns)
{
	return add_items(b, kind, stack, sub, fd_kind, pre, 1, bytes, birth_ns);
}

/* state: the report's (pointers compare) */
static void add_state(struct report_stack *s, const char *state, uint64_t n)
{
	size_t i;

	for (i = 0; i < s->nstates; i++)
		if (s->states[i].name == state)	/* the report's strings */
			break;
	if (i == s->nstates) {
		if (s->nstates == REPORT_MAX_STATES)
			return;
		s->states[s->nstates++] = (struct report_state){ state, 0 };
	}
	s->states[i].count += n;
}

/* The allocation site of a Go allocation stack: the first frame past the
 * allocator (profilealloc, mallocgc and its leaves); *tiny when the
 * allocator was the tiny one. A string of the report. */
static const char *alloc_site(const struct tables *t, struct report *r, uint32_t stack,
			      bool *tiny)
{
	uint32_t n, flags;
	const uint64_t *f = stacks__frames(t->stacks, stack, &n, &flags);

	*tiny = false;
	for (uint32_t i = 0; i < n; i++) {
		const struct frame_sym *fs = symbolizer__frame(t->symbols, f[i], i > 0);
		const char *name = fs->nlevels ? fs->levels[fs->nlevels - 1].name : fs->name;

		if (!strcmp(name, "runtime.profilealloc"))
			continue;
		if (!strncmp(name, "runtime.mallocgc", 16)) {
			*tiny |= strstr(name, "Tiny") != NULL;
			continue;
		}
		return copy(r, name);
	}
	return copy(r, "?");
}

static void check_allocs(const struct tables *tables, struct report *r,
			 struct report_target *t, const struct goallocs *a)
{
	for (size_t i = 0; i < a->n; i++) {
		bool tiny;
		const char *site = alloc_site(tables, r, a->t[i].stack, &tiny);
		size_t j;

		if (tiny)
			continue;
		for (j = 0; j < t->nalloc_sites; j++)
			if (t->alloc_sites[j].site == site)
				break;
		if (j == t->nalloc_sites) {
			t->alloc_sites = xrealloc(t->alloc_sites,
						  (j + 1) * sizeof(*t->alloc_sites));
			t->alloc_sites[t->nalloc_sites++] = (struct report_alloc_site){ site, 0, 0 };
		}
		if (a->t[i].sampled)
			t->alloc_sites[j].sampled += a->t[i].count;
		else
			t->alloc_sites[j].every += a->t[i].count;
	}
}

static struct report_stack *add_goroutine(void *ctx, uint32_t stack, uint32_t sub,
					  bool pre, bool walked, uint64_t birth_ns)
{
	struct builder *b = ctx;
	double min_age_s = b->min_age_s;
	struct report_stack *s;

	/* Found by a walk of the runtime's list, not caught between two
	 * events: nothing is in flight, its age is since it was first seen. */
	if (walked)
		b->min_age_s = 0;
	s = add_item(b, KIND_GOROUTINE, stack, sub, NULL, pre, 0, birth_ns);
	b->min_age_s = min_age_s;
	return s;
}

/* Goroutines (report/goroutine_groups.c); Go heap allocations (scaled
 * like pprof when sampled); the runtime's heap profile as last read. */
static void add_go(struct builder *b, const struct process *p)
{
	struct goproc *g = p->go;
	bool have_every = false;

	b->r->has_kind[KIND_GOROUTINE] = true;
	goroutine_groups__add(b->r, b->target, p, b->goroutine_states, b->end_ns,
			      add_goroutine, b);

	for (size_t i = 0; i < g->allocs.n; i++)
		have_every |= !g->allocs.t[i].sampled;
	for (size_t i = 0; i < g->allocs.n; i++) {
		const struct goalloc_tally *t = &g->allocs.t[i];
		uint64_t n = t->count, bytes = t->bytes;
		struct report_stack *s;

		/* With both probes (--go-alloc=check), stacks come from the
		 * exact counts; the samples only serve the comparison. */
		if (t->sampled && have_every)
			continue;
		if (t->sampled)
			goallocs__scale(t->count, t->bytes, g->rate, &n, &bytes);
		s = add_items(b, KIND_GO_ALLOC, t->stack, 0, NULL, false, n, bytes, t->first_ns);
		if (s) {
			s->alloc_count += n;
			s->alloc_bytes += bytes;
		}
	}
	if (g->allocs.n || g->bin->probes[GO_PROBE_ALLOC_SAMPLED].present ||
	    g->bin->probes[GO_PROBE_ALLOC_ALL].present)
		b->r->has_kind[KIND_GO_ALLOC] = true;
	/* The runtime's profile is as of the last GC: nothing in it is in
	 * flight, so no stack of it is too young to show. */
	double min_age_s = b->min_age_s;

	b->min_age_s = 0;
	for (size_t i = 0; i < g->nheap; i++) {
		const struct goheap_entry *e = &g->heap[i];
		struct report_stack *s;

		if (!e->inuse_count && !e->inuse_bytes)
			continue;
		/* Objects have no birth time: a stack's age counts from the
		 * first reading that showed it grow while traced. */
		s = add_items(b, KIND_GO_HEAP, e->stack, 0, NULL, e->preexisting,
			      e->inuse_count, e->inuse_bytes,
			      e->grew_ns ? e->grew_ns : p->seen_ns);
		if (s) {
			s->alloc_count += e->alloc_count;
			s->alloc_bytes += e->alloc_bytes;
		}
	}
	b->min_age_s = min_age_s;
	b->r->has_kind[KIND_GO_HEAP] = true;
	if (g->heap_why[0])
		report__add_process_note(b->r, p->pid, "pid %d: go_heap: %s", p->pid,
					 g->heap_why);
	if (g->rate == 0)
		report__add_process_note(b->r, p->pid, "pid %d: sampled go_alloc is off with "
					 "memory profiling (--go-alloc=all traces every "
					 "allocation)", p->pid);
}

/* Pre-existing items have no stack: they are grouped by what they are
 * (mapping name, fd path) instead; by content, so the group of a path is
 * the same in every report. */
static uint32_t path_key(const char *path)
{
	return path ? (uint32_t)hash_bytes(path, strlen(path), 3) : 0;
}

/* Code, libraries and data files a program maps are not what leaks:
 * they are shown apart. Shared memory reached through a file (memfd,
 * /dev/shm, /dev/zero) is memory like any other. */
static bool maps_a_file(const struct mapping_alloc *a)
{
	static const char *const memory[] = { "/memfd:", "/dev/shm/", "/dev/zero", "/SYSV" };

	if (!(a->flags & MAPPING_FILE) || !a->file || a->file[0] != '/')
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(memory); i++)
		if (!strncmp(a->file, memory[i], strlen(memory[i])))
			return false;
	return true;
}

/* What an item's memory uses, into its kind's totals and its stack
 * (NULL when the item is hidden for its age). */
static void add_usage(struct builder *b, enum ls_kind kind, struct report_stack *s,
		      bool file, uint64_t bytes, uint64_t resident,
		      uint64_t committed, uint64_t measured_ns)
{
	struct report_total *t = &b->r->totals[kind];

	if (measured_ns) {
		t->measured = true;
		t->resident_bytes += resident;
		t->committed_bytes += committed;
	}
	if (file) {
		t->file_count++;
		t->file_bytes += bytes;
		t->file_resident_bytes += measured_ns ? resident : 0;
		t->file_committed_bytes += measured_ns ? committed : 0;
	}
	if (!s)
		return;
	s->file_backed |= file;
	if (measured_ns) {
		s->measured = true;
		s->resident_bytes += resident;
		s->committed_bytes += committed;
	}
}

/* Sub-groups of a stack's memory, apart from what the program mapped
 * for itself: mappings of files, and what the allocator took for
 * malloc's blocks (--malloc). */
#define SUB_FILE 1
#define SUB_ALLOCATOR 2

static void add_mapping(void *ctx, const struct mapping_alloc *a)
{
	struct builder *b = ctx;
	bool pre = a->flags & MAPPING_PREEXISTING, file = maps_a_file(a);
	bool alloc = a->flags & MAPPING_ALLOCATOR;
	struct report_stack *s;

	s = add_item(b, KIND_MMAP, a->stack,
		     pre ? path_key(a->file) : (file ? SUB_FILE : 0) | (alloc ? SUB_ALLOCATOR : 0),
		     NULL, pre, a->bytes, a->birth_ns);
	if (a->measured_ns || !b->measured)
		add_usage(b, KIND_MMAP, s, file, a->bytes, a->resident_bytes,
			  a->committed_bytes, a->measured_ns);
	else	/* made since the last reading: as it was made, untouched */
		add_usage(b, KIND_MMAP, s, file, a->bytes, 0,
			  a->flags & MAPPING_COMMITS ? a->bytes : 0, b->measured);
	if (s && pre && a->file)
		add_path(s, copy(b->r, a->file));
	if (s && alloc)
		s->allocator = true;
}

struct stack_weight {
	uint32_t stack;
	uint64_t count, bytes, oldest_ns;
};

/*
 * Heap blocks per allocation stack. Every block (--malloc=all) counts as
 * itself; sampled blocks are summed per stack and scaled like pprof's
 * (goallocs__scale), then carry the stack's oldest birth.
 */
static void add_heap(struct builder *b, const struct process *p)
{
	const struct heapblocks *h = &p->heap;
	struct u64map *by_stack;
	struct stack_weight *w = NULL;
	size_t nw = 0, capw = 0;

	if (b->malloc_mode == MALLOC_OFF)
		return;
	b->r->has_kind[KIND_MALLOC] = true;
	if (!h->sample_mean) {
		for (size_t i = 0; i < h->n; i++)
			add_item(b, KIND_MALLOC, h->b[i].stack, 0, NULL, false, h->b[i].size,
				 h->b[i].birth_ns);
	} else {
		by_stack = u64map__new(64);
		for (size_t i = 0; i < h->n; i++) {
			uint64_t idx;

			if (!u64map__get(by_stack, h->b[i].stack, &idx)) {
				grow_array((void **)&w, &capw, nw + 1, sizeof(*w));
				idx = nw++;
				w[idx] = (struct stack_weight){ h->b[i].stack, 0, 0, h->b[i].birth_ns };
				u64map__put(by_stack, h->b[i].stack, idx);
			}
			w[idx].count++;
			w[idx].bytes += h->b[i].size;
			w[idx].oldest_ns = MIN(w[idx].oldest_ns, h->b[i].birth_ns);
		}
		for (size_t i = 0; i < nw; i++) {
			uint64_t n, bytes;

			goallocs__scale(w[i].count, w[i].bytes, h->sample_mean, &n, &bytes);
			add_items(b, KIND_MALLOC, w[i].stack, 0, NULL, false, n, bytes,
				  w[i].oldest_ns);
		}
		u64map__free(by_stack);
		free(w);
	}
	/* allocated while traced, on the stacks still holding blocks */
	for (size_t i = 0; i < h->nt; i++) {
		uint64_t key = agg_key(KIND_MALLOC, p->pid, h->t[i].stack, 0, false), idx;
		uint64_t n = h->t[i].count, bytes = h->t[i].bytes;

		if (!u64map__get(b->index, key, &idx))
			continue;
		if (h->sample_mean)
			goallocs__scale(n, bytes, h->sample_mean, &n, &bytes);
		b->r->stacks[idx].alloc_count += n;
		b->r->stacks[idx].alloc_bytes += bytes;
	}
}

static void add_process(struct builder *b, const struct process *p)
{
	b->p = p;
	b->measured = p->memory_measured_ns;
	b->end_ns = p->exited ? p->exit_ns : b->end_ns;
	mappings__visit_allocs(&p->maps, add_mapping, b);
	for (size_t i = 0; i < p->brk.n; i++) {
		const struct brk_segment *s = &p->brk.segs[i];

		struct report_stack *rs = add_item(b, KIND_BRK, s->stack,
						   s->allocator ? SUB_ALLOCATOR : 0, NULL,
						   s->preexisting, s->end - s->start,
						   s->birth_ns);

		if (s->measured_ns || !b->measured)
			add_usage(b, KIND_BRK, rs, false, s->end - s->start, s->resident_bytes,
				  s->committed_bytes, s->measured_ns);
		else	/* grown since the last reading: the heap is private writable */
			add_usage(b, KIND_BRK, rs, false, s->end - s->start, 0,
				  s->end - s->start, b->measured);
		if (rs && s->preexisting && !rs->npaths)
			add_path(rs, copy(b->r, "[heap]"));
		if (rs && s->allocator)
			rs->allocator = true;
	}
	add_heap(b, p);
	for (size_t fd = 0; fd < p->fds.cap; fd++) {
		const struct fd_item *it = p->fds.fds[fd];
		struct report_stack *s;

		if (!it)
			continue;
		s = add_item(b, KIND_FD, it->stack,
			     it->preexisting ? it->kind ^ path_key(it->path) : it->kind,
			     fd_kind_name(it->kind), it->preexisting, 0,
			     it->birth_ns);
		if (s && it->path)
			add_path(s, copy(b->r, it->path));
	}
	if (p->go && p->go->bin && p->go->bin->bin)
		add_go(b, p);
	else if (p->go && p->go->bin)
		report__add_process_note(b->r, p->pid, "pid %d (%s): not traced as Go: %s",
					 p->pid, p->go->bin->path, p->go->bin->why_not);
}

static void symbolize_stack(const struct tables *t, struct report *r,
			    struct report_stack *s)
{
	frames__expand(t, r, s);
	if (s->kind == KIND_GOROUTINE)
		goroutine_groups__symbolize(t, r, s);
	else if (s->kind == KIND_GO_ALLOC)
		frames__trim_go_alloc(s);
	else if (s->kind == KIND_GO_HEAP)
		frames__hide_go_runtime(s);
}

static void merge_into(struct report_stack *dst, struct report_stack *src)
{
	dst->count += src->count;
	dst->bytes += src->bytes;
	if (src->oldest_s > dst->oldest_s)
		dst->oldest_s = src->oldest_s;
	dst->truncated |= src->truncated;
	dst->alloc_count += src->alloc_count;
	dst->alloc_bytes += src->alloc_bytes;
	dst->resident_bytes += src->resident_bytes;
	dst->committed_bytes += src->committed_bytes;
	dst->measured |= src->measured;
	dst->file_backed |= src->file_backed;
	for (size_t i = 0; i < src->nstates; i++)
		add_state(dst, src->states[i].name, src->states[i].count);
	if (dst->kind == KIND_GOROUTINE)
		goroutine_groups__merge(dst, src);
	for (size_t p = 0; p < src->npaths; p++) {
		size_t q;

		for (q = 0; q < dst->npaths; q++)
			if (dst->paths[q].path == src->paths[p].path)
				break;
		if (q < dst->npaths)
			dst->paths[q].count += src->paths[p].count;
		else if (dst->npaths < REPORT_MAX_PATHS)
			dst->paths[dst->npaths++] = src->paths[p];
	}
	free(src->frames);
}

static void merge_same_symbols(struct report *r)
{
	struct u64map *seen = u64map__new(r->nstacks);
	size_t out = 0;

	for (size_t i = 0; i < r->nstacks; i++) {
		uint64_t key = report__stack_key(&r->stacks[i]), at;

		if (u64map__get(seen, key, &at)) {
			merge_into(&r->stacks[at], &r->stacks[i]);
			continue;
		}
		u64map__put(seen, key, out);
		r->stacks[out++] = r->stacks[i];
	}
	r->nstacks = out;
	u64map__free(seen);
}

static void malloc_target(struct report *r, struct report_target *t, const struct process *p,
			  enum malloc_mode mode)
{
	static const char *const modes[] = { "off", "all", "sampled" };

	t->malloc_allocator = copy(r, p->heap.allocator);
	t->malloc_mode = modes[mode];
	t->malloc_sample_mean = p->heap.sample_mean;
	t->malloc_allocs = p->heap.allocs;
	t->malloc_frees = p->heap.frees;
	t->malloc_unknown_frees = p->heap.unknown_frees;
	t->malloc_replaced = p->heap.replaced;
}

/* What a reader must know about the malloc kind of each process: how to
 * turn it on, what was left unprobed, frees of blocks from before. */
static void malloc_notes(struct report *r, const struct collector *c)
{
	enum malloc_mode mode = mallocprobes__mode(c->malloc);

	for (size_t i = 0; i < c->nprocs; i++) {
		const struct process *p = c->procs[i];
		const struct heapblocks *h = &p->heap;

		if (!h->allocator)
			continue;
		if (mode == MALLOC_OFF) {
			report__add_process_note(r, p->pid, "pid %d allocates with %s: "
						 "--malloc=sampled shows its heap blocks per stack (a "
						 "uprobe hit per malloc and per free, about 0.5-1 us "
						 "each; --malloc=all: every block, a return probe more "
						 "per allocation)", p->pid, h->allocator);
			continue;
		}
		if (h->skipped)
			report__add_process_note(r, p->pid, "pid %d: malloc family not probed in "
						 "part: %s", p->pid, h->skipped);
		/* After ring-buffer losses a free may also be of a block whose
		 * malloc record was lost: either way it is ignored, never
		 * taken below zero. */
		if (h->unknown_frees)
			report__add_process_note(r, p->pid, "pid %d: %llu frees of blocks allocated "
						 "before tracing%s (ignored)", p->pid,
						 (unsigned long long)h->unknown_frees,
						 c->resync.last_lost ? " or whose malloc record was lost" : "");
	}
}

/* Why some frames of a process have no names: its program could not be
 * read when its exec was seen. */
static void program_notes(struct report *r, const struct collector *c)
{
	for (size_t i = 0; i < c->nprocs; i++) {
		const struct process *p = c->procs[i];

		if (p->program_unread)
			report__add_process_note(r, p->pid, "pid %d: its program %s could not be "
						 "read when its exec was seen (the process had "
						 "ended and the path no longer led to the file): "
						 "frames in it and in its loader are unnamed",
						 p->pid, p->exe ? p->exe : "?");
	}
}

struct report *report__build(const struct collector *c,
			     const struct report_options *o)
{
	struct report *r = xcalloc(1, sizeof(*r));
	struct builder b = { .r = r, .t = &c->tables, .index = u64map__new(256) };
	uint64_t now = o->now_ns ? o->now_ns : now_ns();

	r->strings = strtab__new();
	r->version = 1;
	r->start_unix_ns = c->start_realtime_ns;
	uint64_t traced = c->traced_ns ? c->traced_ns : c->start_ns;

	r->attach_s = (traced - c->start_ns) / (double)NS_PER_S;
	r->duration_s = now > traced ? (now - traced) / (double)NS_PER_S : 0;
	r->min_age_s = o->min_age_s >= 0 ? o->min_age_s : DEFAULT_MIN_AGE_S;
	memcpy(r->drops, o->drops, sizeof(r->drops));
	r->lost_events = o->drops[LS_DROP_RINGBUF_FULL];
	r->resync = (struct report_resync){ c->resync.runs, c->resync.fds_added,
		c->resync.fds_removed, c->resync.bytes_added, c->resync.bytes_removed,
		c->resync.inexact || r->lost_events > c->resync.lost_handled };
	r->has_kind[KIND_MMAP] = r->has_kind[KIND_BRK] = r->has_kind[KIND_FD] = true;
	b.malloc_mode = mallocprobes__mode(c->malloc);
	r->stats.records = c->records;
	r->stats.stacks_unwound = c->stacks_cfi;
	r->stats.stacks_truncated = c->stacks_truncated;
	r->stats.stacks_stitched = c->stacks_stitched;
	r->stats.stacks_broken = c->stacks_broken;
	r->stats.stacks_cgo = c->stacks_cgo;
	r->stats.go_stacks_copied = c->go_creation_stacks_copied;
	r->stats.unwind_us_per_stack = c->stacks_cfi ? c->unwind_ns / (double)NS_PER_US / c->stacks_cfi : 0;
	r->targets = xcalloc(c->nprocs, sizeof(*r->targets));
	for (size_t i = 0; i < c->nprocs; i++) {
		const struct process *p = c->procs[i];
		struct report_target *t = &r->targets[r->ntargets++];

		t->pid = p->pid;
		memcpy(t->comm, p->comm, sizeof(t->comm));
		t->exe = copy(r, p->exe);
		t->exe_file = copy(r, p->exe_file);
		t->exited = p->exited;
		t->exit_status = p->exit_status;
		t->go_mem_profile_rate = -1;
		if (p->go && p->go->bin && p->go->bin->bin) {
			t->go_version = copy(r, gobin__version(p->go->bin->bin)->str);
			t->go_mem_profile_rate = (int64_t)p->go->rate;
			t->go_rate_source = copy(r, p->go->rate_source);
			t->goroutines_created = p->go->gor.created;
			t->goroutines_exited = p->go->gor.exited;
			for (size_t a = 0; a < p->go->allocs.n; a++) {
				if (p->go->allocs.t[a].sampled)
					t->go_alloc_sampled += p->go->allocs.t[a].count;
				else
					t->go_alloc_every += p->go->allocs.t[a].count;
			}
			if (t->go_alloc_sampled && t->go_alloc_every)
				check_allocs(&c->tables, r, t, &p->go->allocs);
		}
		malloc_target(r, t, p, b.malloc_mode);
		b.end_ns = now;
		b.min_age_s = p->exited ? 0 : r->min_age_s;
		b.goroutine_states = o->goroutine_states;
		b.target = t;
		add_process(&b, p);
	}
	for (size_t i = 0; i < r->nstacks; i++)
		symbolize_stack(&c->tables, r, &r->stacks[i]);
	u64map__free(b.index);
	merge_same_symbols(r);
	for (size_t i = 0; i < r->nstacks; i++)
		r->unresolved_frames += r->stacks[i].unresolved;
	report__sort(r);
	malloc_notes(r, c);
	program_notes(r, c);
	/* after symbolizing: what the tables hold with this report made */
	_Static_assert(REPORT_TABLES == TABLE_MAX, "one report_table per table");
	for (int k = 0; k < TABLE_MAX; k++) {
		struct table_size sz;

		tables__size(&c->tables, k, &sz);
		r->stats.tables[k] = (struct report_table){ sz.entries, sz.bytes };
	}
	return r;
}


struct report *report__build_traced(struct collector *c, const struct probes *p,
				    double min_age_s, bool goroutine_states)
{
	struct report_options ro = { .min_age_s = min_age_s,
				     .goroutine_states = goroutine_states };
	struct report *r;

	collector__refresh(c);
	/* a report a user reads shows the goroutines of this moment */
	if (goroutine_states)
		collector__walk_goroutines(c, true);
	probes__read_drops(p, ro.drops);
	r = report__build(c, &ro);
	r->stats.malloc_failed = probes__stat(p, LS_STAT_ALLOC_FAILED);
	if (c->bad_records)
		report__add_note(r, "%llu malformed records ignored",
				 (unsigned long long)c->bad_records);
	if (c->go_creation_stacks_lost)
		report__add_note(r, "%llu goroutine creation stacks could not be walked "
				 "(only the go statement kept)",
				 (unsigned long long)c->go_creation_stacks_lost);
	if (p->skipped_optional)
		report__add_note(r, "%zu syscall tracepoints absent on this kernel "
				 "(their fds are not tracked)", p->skipped_optional);
	return r;
}
