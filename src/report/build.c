// SPDX-License-Identifier: MIT
/*
 * The report model built from the collector's ledgers: items aggregated
 * per (kind, process, stack), aged, symbolized once per stack, merged
 * where two raw stacks read the same, sorted.
 */
#include "report/build.h"
#include "base/hashmap.h"
#include "base/intern.h"
#include "base/util.h"
#include "ledgers/goproc.h"
#include "ledgers/process.h"
#include "symbols/stacks.h"
#include "symbols/symbolize.h"
#include "trace/collector.h"
#include "trace/goprobes.h"
#include "trace/goread.h"
#include "trace/probes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Default --min-age for processes still running: what BCC memleak uses
 * (500 ms), so allocations in flight do not pass for leaks. A process that
 * has exited shows everything it held at exit: that is its leak. */
#define DEFAULT_MIN_AGE_S 0.5

struct builder {
	struct report *r;
	struct u64map *index;	/* aggregation key -> stacks[] index + 1 */
	size_t cap;
	const struct process *p;
	uint64_t end_ns;	/* ages are measured up to here */
	double min_age_s;
	bool goroutine_states;
};

static uint64_t agg_key(enum ls_kind kind, int pid, uint32_t stack,
			uint32_t sub, bool pre)
{
	uint64_t parts[4] = { kind | (uint64_t)pre << 8, (uint64_t)pid, stack, sub };
	uint64_t k = hash_bytes(parts, sizeof(parts), 7);

	return k == U64MAP_EMPTY ? k - 1 : k;
}

static void add_path(struct report_stack *s, const char *path)
{
	for (size_t i = 0; i < s->npaths; i++)
		if (s->paths[i].path == path) {	/* interned */
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
	double age = birth_ns < b->end_ns ? (b->end_ns - birth_ns) / 1e9 : 0;
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

static void add_state(struct report_stack *s, const char *state, uint64_t n)
{
	size_t i;

	for (i = 0; i < s->nstates; i++)
		if (s->states[i].name == state)	/* interned */
			break;
	if (i == s->nstates) {
		if (s->nstates == REPORT_MAX_STATES)
			return;
		s->states[s->nstates++] = (struct report_state){ state, 0 };
	}
	s->states[i].count += n;
}

struct goroutine_list {
	const struct goroutine **v;
	size_t n, cap;
};

static void collect_goroutine(void *ctx, const struct goroutine *gr)
{
	struct goroutine_list *l = ctx;

	grow_array((void **)&l->v, &l->cap, l->n + 1, sizeof(*l->v));
	l->v[l->n++] = gr;
}

/* The allocation site of a Go allocation stack: the first frame past the
 * allocator (profilealloc, mallocgc and its leaves); *tiny when the
 * allocator was the tiny one. */
static const char *alloc_site(uint32_t stack, bool *tiny)
{
	uint32_t n, flags;
	const uint64_t *f = stacks__frames(stack, &n, &flags);

	*tiny = false;
	for (uint32_t i = 0; i < n; i++) {
		const struct frame_sym *fs = symbolize__frame(f[i], i > 0);
		const char *name = fs->nlevels ? fs->levels[fs->nlevels - 1].name : fs->name;

		if (!strcmp(name, "runtime.profilealloc"))
			continue;
		if (!strncmp(name, "runtime.mallocgc", 16)) {
			*tiny |= strstr(name, "Tiny") != NULL;
			continue;
		}
		return name;
	}
	return intern("?");
}

static void check_allocs(struct report_target *t, const struct goallocs *a)
{
	for (size_t i = 0; i < a->n; i++) {
		bool tiny;
		const char *site = alloc_site(a->t[i].stack, &tiny);
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

/* Goroutines per creation stack, with what each is doing now; Go heap
 * allocations (scaled like pprof when sampled); the runtime's heap
 * profile as last read. */
static void add_go(struct builder *b, const struct process *p)
{
	struct goproc *g = p->go;
	struct goroutine_list l = { 0 };
	const char **states;

	goroutines__visit(&g->gor, collect_goroutine, &l);
	states = xcalloc(l.n ? l.n : 1, sizeof(*states));
	if (!p->exited && b->goroutine_states)
		goread__states(g, p->pid, l.v, l.n, states);
	b->r->has_kind[KIND_GOROUTINE] = true;
	for (size_t i = 0; i < l.n; i++) {
		struct report_stack *s = add_item(b, KIND_GOROUTINE, l.v[i]->stack, 0, NULL,
						  l.v[i]->preexisting, 0, l.v[i]->birth_ns);

		if (s && b->goroutine_states)
			add_state(s, states[i] ? states[i] : intern("unknown (exited)"), 1);
	}
	free(states);
	free(l.v);
	bool have_every = false;

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
	for (size_t i = 0; i < g->nheap; i++) {
		const struct goheap_entry *e = &g->heap[i];
		struct report_stack *s;

		if (!e->inuse_count && !e->inuse_bytes)
			continue;
		/* Age is not known per object: count from when tracing began. */
		s = add_items(b, KIND_GO_HEAP, e->stack, 0, NULL, false, e->inuse_count,
			      e->inuse_bytes, p->seen_ns);
		if (s) {
			s->alloc_count += e->alloc_count;
			s->alloc_bytes += e->alloc_bytes;
		}
	}
	b->r->has_kind[KIND_GO_HEAP] = true;
	if (g->heap_why[0])
		report__add_note(b->r, "pid %d: go_heap: %s", p->pid, g->heap_why);
	if (g->rate == 0)
		report__add_note(b->r, "pid %d: sampled go_alloc is off with memory profiling "
				 "(--go-alloc=all traces every allocation)", p->pid);
}

/* Pre-existing items have no stack: they are grouped by what they are
 * (mapping name, fd path) instead. */
static uint32_t path_key(const char *path)
{
	return (uint32_t)hash_u64((uint64_t)(uintptr_t)path);
}

static void add_mapping(void *ctx, const struct mapping_alloc *a)
{
	struct builder *b = ctx;
	bool pre = a->flags & MAPPING_PREEXISTING;
	struct report_stack *s;

	s = add_item(b, KIND_MMAP, a->stack, pre ? path_key(a->file) : 0, NULL,
		     pre, a->bytes, a->birth_ns);
	if (s && pre && a->file)
		add_path(s, a->file);
}

static void add_process(struct builder *b, const struct process *p)
{
	b->p = p;
	b->end_ns = p->exited ? p->exit_ns : b->end_ns;
	mappings__visit_allocs(&p->maps, add_mapping, b);
	for (size_t i = 0; i < p->brk.n; i++) {
		const struct brk_segment *s = &p->brk.segs[i];

		struct report_stack *rs = add_item(b, KIND_BRK, s->stack, 0, NULL,
						   s->preexisting, s->end - s->start,
						   s->birth_ns);

		if (rs && s->preexisting && !rs->npaths)
			add_path(rs, intern("[heap]"));
	}
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
			add_path(s, it->path);
	}
	if (p->go && p->go->bin && p->go->bin->bin)
		add_go(b, p);
	else if (p->go && p->go->bin)
		report__add_note(b->r, "pid %d (%s): not traced as Go: %s", p->pid,
				 p->go->bin->path, p->go->bin->why_not);
}

/* Frames of a stack as a reader sees them: each pc expands into the
 * functions inlined there, innermost first. */
/* A goroutine's creation stack as the probe sees it starts inside the
 * runtime's newproc machinery: what a reader wants first is the function
 * holding the `go` statement. */
static void trim_creation_frames(struct report_stack *s)
{
	static const char *const runtime_frames[] = {
		"runtime.newproc.func1", "runtime.systemstack", "runtime.newproc",
		"runtime.newproc1", "runtime.systemstack_switch",
	};
	size_t skip = 0;

	while (skip + 1 < s->nframes) {
		bool rt = false;

		for (size_t i = 0; i < ARRAY_SIZE(runtime_frames); i++)
			rt |= s->frames[skip].name && !strcmp(s->frames[skip].name, runtime_frames[i]);
		if (!rt)
			break;
		skip++;
	}
	if (skip) {
		memmove(s->frames, s->frames + skip, (s->nframes - skip) * sizeof(*s->frames));
		s->nframes -= skip;
	}
}

/* A Go allocation's stack starts in the allocator (profilealloc,
 * mallocgc, makeslice...): as in pprof, show it from the code that asked
 * for the memory. Stacks that never leave the runtime stay whole, and so
 * do allocations the runtime made for itself on the system stack (a new
 * M, GC workers) while serving a goroutine: those are the runtime's, not
 * the goroutine's, as in the runtime's own profile. */
static void trim_allocator_frames(struct report_stack *s)
{
	size_t skip = 0;

	while (skip < s->nframes && s->frames[skip].name &&
	       !strncmp(s->frames[skip].name, "runtime.", 8)) {
		if (!strcmp(s->frames[skip].name, "runtime.systemstack") ||
		    !strcmp(s->frames[skip].name, "runtime.mcall"))
			return;
		skip++;
	}
	if (skip == s->nframes || !skip)
		return;
	memmove(s->frames, s->frames + skip, (s->nframes - skip) * sizeof(*s->frames));
	s->nframes -= skip;
}

static void symbolize_stack(struct report_stack *s)
{
	uint32_t n, flags;
	const uint64_t *f = stacks__frames(s->stack_id, &n, &flags);
	size_t cap = 0;

	s->truncated = flags & STACK_TRUNCATED;
	s->nframes = 0;
	s->frames = NULL;
	for (uint32_t i = 0; i < n; i++) {
		bool ret_addr = i > 0 || !(flags & STACK_LEAF_EXACT);
		const struct frame_sym *fs = symbolize__frame(f[i], ret_addr);

		for (uint32_t l = 0; l < fs->nlevels; l++) {
			grow_array((void **)&s->frames, &cap, s->nframes + 1,
				   sizeof(*s->frames));
			s->frames[s->nframes++] = (struct report_frame){
				.name = fs->levels[l].name,
				.file = fs->levels[l].file,
				.line = fs->levels[l].line,
				.module = fs->module,
				.address = fs->offset,
				.build_id = fs->build_id,
				.inlined = l + 1 < fs->nlevels,
			};
		}
	}
	if (s->kind == KIND_GOROUTINE)
		trim_creation_frames(s);
	else if (s->kind == KIND_GO_ALLOC)
		trim_allocator_frames(s);
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
	for (size_t i = 0; i < src->nstates; i++)
		add_state(dst, src->states[i].name, src->states[i].count);
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

struct report *report__build(const struct collector *c,
			     const struct report_options *o)
{
	struct report *r = xcalloc(1, sizeof(*r));
	struct builder b = { .r = r, .index = u64map__new(256) };
	uint64_t now = o->now_ns ? o->now_ns : now_ns();

	r->version = 1;
	r->start_unix_ns = c->start_realtime_ns;
	r->duration_s = (now - c->start_ns) / 1e9;
	r->min_age_s = o->min_age_s >= 0 ? o->min_age_s : DEFAULT_MIN_AGE_S;
	memcpy(r->drops, o->drops, sizeof(r->drops));
	r->lost_events = o->drops[LS_DROP_RINGBUF_FULL];
	r->resync = (struct report_resync){ c->resync.runs, c->resync.fds_added,
		c->resync.fds_removed, c->resync.bytes_added, c->resync.bytes_removed,
		c->resync.inexact || r->lost_events > c->resync.lost_handled };
	r->has_kind[KIND_MMAP] = r->has_kind[KIND_BRK] = r->has_kind[KIND_FD] = true;
	r->stats.records = c->records;
	r->stats.stacks_unwound = c->stacks_cfi;
	r->stats.stacks_truncated = c->stacks_truncated;
	r->stats.stacks_stitched = c->stacks_stitched;
	r->stats.stacks_broken = c->stacks_broken;
	r->stats.stacks_cgo = c->stacks_cgo;
	r->stats.unwind_us_per_stack = c->stacks_cfi ? c->unwind_ns / 1e3 / c->stacks_cfi : 0;
	r->targets = xcalloc(c->nprocs, sizeof(*r->targets));
	for (size_t i = 0; i < c->nprocs; i++) {
		const struct process *p = c->procs[i];
		struct report_target *t = &r->targets[r->ntargets++];

		t->pid = p->pid;
		memcpy(t->comm, p->comm, sizeof(t->comm));
		t->exe = p->exe;
		t->exited = p->exited;
		t->exit_status = p->exit_status;
		t->go_mem_profile_rate = -1;
		if (p->go && p->go->bin && p->go->bin->bin) {
			t->go_version = intern(gobin__version(p->go->bin->bin)->str);
			t->go_mem_profile_rate = (int64_t)p->go->rate;
			t->go_rate_source = p->go->rate_source;
			t->goroutines_created = p->go->gor.created;
			t->goroutines_exited = p->go->gor.exited;
			for (size_t a = 0; a < p->go->allocs.n; a++) {
				if (p->go->allocs.t[a].sampled)
					t->go_alloc_sampled += p->go->allocs.t[a].count;
				else
					t->go_alloc_every += p->go->allocs.t[a].count;
			}
			if (t->go_alloc_sampled && t->go_alloc_every)
				check_allocs(t, &p->go->allocs);
		}
		b.end_ns = now;
		b.min_age_s = p->exited ? 0 : r->min_age_s;
		b.goroutine_states = o->goroutine_states;
		add_process(&b, p);
		r->unresolved_frames += p->unresolved_frames;
	}
	for (size_t i = 0; i < r->nstacks; i++)
		symbolize_stack(&r->stacks[i]);
	u64map__free(b.index);
	merge_same_symbols(r);
	report__sort(r);
	return r;
}


struct report *report__build_traced(struct collector *c, const struct probes *p,
				    double min_age_s, bool goroutine_states)
{
	struct report_options ro = { .min_age_s = min_age_s,
				     .goroutine_states = goroutine_states };
	struct report *r;

	collector__refresh(c);
	probes__read_drops(p, ro.drops);
	r = report__build(c, &ro);
	if (c->bad_records)
		report__add_note(r, "%llu malformed records ignored",
				 (unsigned long long)c->bad_records);
	if (p->skipped_optional)
		report__add_note(r, "%zu syscall tracepoints absent on this kernel "
				 "(their fds are not tracked)", p->skipped_optional);
	return r;
}
