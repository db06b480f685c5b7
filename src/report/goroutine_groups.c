// SPDX-License-Identifier: MIT
#include "report/goroutine_groups.h"
#include "base/hashmap.h"
#include "base/strtab.h"
#include "base/util.h"
#include "ledgers/goproc.h"
#include "ledgers/process.h"
#include "report/frames.h"
#include "report/report.h"
#include "symbols/stacks.h"
#include "symbols/symbolize.h"
#include "symbols/tables.h"
#include "trace/gocurrent.h"
#include "trace/goprobes.h"
#include "trace/goread.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

bool goroutine_groups__std_function(const char *name)
{
	size_t len, first;

	/* a frame no module could name: nothing to go on */
	if (!name || name[0] == '/' || name[0] == '[' || strstr(name, "+0x"))
		return false;
	/* generic instantiations carry type names after '[' */
	len = strcspn(name, "[");
	first = strcspn(name, "/");
	if (first < len)	/* "net/http.F", "github.com/x/y.F" */
		return memchr(name, '.', first) == NULL;
	/* one element: "runtime.gopark", "main.main", a C symbol */
	first = strcspn(name, ".");
	return first < len && !(first == 4 && !strncmp(name, "main", 4));
}

/* The goroutine that runs runtime.main, in every Go release. */
#define MAIN_GOID 1

/* What one goroutine's function is, looked up once per distinct startpc. */
struct start_fn {
	const char *name;	/* the report's string; NULL unknown */
	bool runtime;		/* the runtime's own goroutine */
	bool wrapper;		/* a go statement's wrapper (compiler-made) */
};

struct grouper {
	struct report *r;
	const struct process *p;
	struct u64map *starts;	/* startpc -> index into sfs + 1 */
	struct start_fn *sfs;
	size_t nsfs, capsfs;
	struct u64map *std;	/* stack id -> 1 all std, 2 not */
	struct u64map *nows;	/* (entry, current stack) -> now index + 1 */
};

/* The function at an exact pc of p (the outermost at that pc), NULL if
 * none; *wrapper: made by the compiler. */
static const char *function_at(const struct process *p, uint64_t pc, bool *wrapper)
{
	const struct frame_sym *fs;
	uint32_t mod;
	uint64_t off;

	*wrapper = false;
	if (!pc || !addrspace__resolve(&p->as, pc, &mod, &off))
		return NULL;
	fs = symbolizer__frame(p->tables->symbols, FRAME_MAKE(mod, off), false);
	if (!fs->func)
		return NULL;
	if (!fs->nlevels)
		return fs->name;
	*wrapper = fs->levels[fs->nlevels - 1].go_wrapper;
	return fs->levels[fs->nlevels - 1].name;
}

/*
 * runtime.Stack(all) and the runtime's own goroutine profile leave out
 * goroutines started from a runtime function (isSystemGoroutine), except
 * runtime.main, the program's main goroutine.
 */
static const struct start_fn *start_of(struct grouper *gg, uint64_t startpc)
{
	struct start_fn *sf;
	uint64_t idx;

	if (u64map__get(gg->starts, startpc, &idx))
		return &gg->sfs[idx - 1];
	grow_array((void **)&gg->sfs, &gg->capsfs, gg->nsfs + 1, sizeof(*gg->sfs));
	sf = &gg->sfs[gg->nsfs++];
	sf->name = strtab__intern(gg->r->strings, function_at(gg->p, startpc, &sf->wrapper));
	sf->runtime = sf->name && !strncmp(sf->name, "runtime.", 8) &&
		      strcmp(sf->name, "runtime.main") != 0;
	u64map__put(gg->starts, startpc, gg->nsfs);
	return sf;
}

/* Does every frame of the stack belong to the standard library or the
 * runtime? Then who created the goroutine says nothing of the user's
 * code, and its creator's creation stack is worth showing. */
static bool all_std(struct grouper *gg, uint32_t stack)
{
	uint32_t n, flags;
	const uint64_t *f;
	uint64_t v;
	bool std = true;

	if (stack == STACK_NONE)
		return false;
	if (u64map__get(gg->std, stack, &v))
		return v == 1;
	f = stacks__frames(gg->p->tables->stacks, stack, &n, &flags);
	for (uint32_t i = 0; i < n && std; i++) {
		const struct frame_sym *fs = symbolizer__frame(gg->p->tables->symbols, f[i],
							       i > 0 || !(flags & STACK_LEAF_EXACT));

		for (uint32_t l = 0; l < fs->nlevels && std; l++)
			std = goroutine_groups__std_function(fs->levels[l].name);
		if (!fs->nlevels)
			std = false;
	}
	u64map__put(gg->std, stack, std ? 1 : 2);
	return std;
}

/* The runtime starts goroutine 1 (runtime.main) itself: the stack seen
 * creating it is the runtime's bootstrap, no creator a reader could act
 * on. */
static uint32_t creation_stack(const struct goroutine *gr)
{
	return gr->goid == MAIN_GOID ? STACK_NONE : gr->stack;
}

/* Creation stacks of gr's creators, nearest first, for as long as the
 * stacks so far are all standard library (a goroutine started by
 * net/http for the user's request), at most GOROUTINE_ANCESTRY_MAX. */
static size_t ancestors_of(struct grouper *gg, const struct goroutines *gor,
			   const struct goroutine *gr, uint32_t *out)
{
	const struct goroutine *a = gr;
	size_t n = 0;

	while (n < GOROUTINE_ANCESTRY_MAX && all_std(gg, creation_stack(a))) {
		a = goroutines__parent(gor, a);
		if (!a || creation_stack(a) == STACK_NONE)
			break;
		out[n++] = creation_stack(a);
	}
	return n;
}

static void count_state(struct report_state *states, size_t *n, size_t max,
			const char *name, uint64_t k)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (states[i].name == name)	/* the report's strings */
			break;
	if (i == *n) {
		if (*n == max)
			return;
		states[(*n)++] = (struct report_state){ name, 0 };
	}
	states[i].count += k;
}

static void add_wait(struct report_goroutines_now *now, double lo, double hi)
{
	if (lo < 0)
		return;
	if (now->wait_min_s < 0 || lo < now->wait_min_s)
		now->wait_min_s = lo;
	if (hi > now->wait_max_s)
		now->wait_max_s = hi;
}

static struct report_goroutines_now *now_entry(struct grouper *gg, struct report_stack *s,
					       uint32_t stack)
{
	uint64_t key = hash_u64(((uint64_t)(s - gg->r->stacks) << 32) | stack), idx;
	struct report_goroutines_now *now;

	if (key == U64MAP_EMPTY)
		key--;
	if (u64map__get(gg->nows, key, &idx))
		return &s->now[idx];
	s->now = xrealloc(s->now, (s->nnow + 1) * sizeof(*s->now));
	now = &s->now[s->nnow];
	memset(now, 0, sizeof(*now));
	now->stack_id = stack;
	now->wait_min_s = now->wait_max_s = -1;
	u64map__put(gg->nows, key, s->nnow++);
	return now;
}

struct goroutine_list {
	struct goroutine **v;
	size_t n, cap;
};

static void collect(void *ctx, const struct goroutine *gr)
{
	struct goroutine_list *l = ctx;

	grow_array((void **)&l->v, &l->cap, l->n + 1, sizeof(*l->v));
	/* reading what it does now updates its cache (gocurrent.h) */
	l->v[l->n++] = (struct goroutine *)gr;
}

static void fill_target(struct report_target *t, const struct goproc *g)
{
	t->go_goroutine_mode = g->snapshot ? "snapshot" : "trace";
	t->go_walks = g->walk.count;
	t->go_walk_interval_s = g->walk.interval_ns / (double)NS_PER_S;
	t->go_walk_cpu_ms = g->walk.last_cpu_ns / (double)NS_PER_MS;
}

void goroutine_groups__add(struct report *r, struct report_target *t,
			   const struct process *p, bool read_now, uint64_t now_ns,
			   goroutine_add_fn add, void *ctx)
{
	struct goproc *g = p->go;
	struct grouper gg = { .r = r, .p = p };
	struct goroutine_list l = { 0 };
	struct goroutine_now *now = NULL;
	size_t users = 0;

	fill_target(t, g);
	gg.starts = u64map__new(64);
	gg.std = u64map__new(64);
	gg.nows = u64map__new(64);
	goroutines__visit(&g->gor, collect, &l);
	/* The runtime's own first: counted, never read or listed. */
	for (size_t i = 0; i < l.n; i++) {
		if (start_of(&gg, l.v[i]->startpc)->runtime)
			t->go_runtime_goroutines++;
		else
			l.v[users++] = l.v[i];
	}
	if (read_now && !p->exited) {
		struct gocurrent_stats st;

		now = xcalloc(users ? users : 1, sizeof(*now));
		gocurrent__read(g, (struct process *)p, l.v, users, now_ns, now, &st);
		if (st.stacks_truncated || st.stacks_broken)
			report__add_note(r, "pid %d: %" PRIu64 " current goroutine stacks cut "
					 "(deeper than read, or a frame in no function), %" PRIu64
					 " not walkable", p->pid, st.stacks_truncated,
					 st.stacks_broken);
	}
	for (size_t i = 0; i < users; i++) {
		const struct goroutine *gr = l.v[i];
		uint32_t anc[GOROUTINE_ANCESTRY_MAX];
		size_t nanc = ancestors_of(&gg, &g->gor, gr, anc);
		uint64_t parts[GOROUTINE_ANCESTRY_MAX + 1];
		struct report_stack *s;
		struct report_goroutines_now *gn;
		const char *state;

		/* one group per function run and chain of creators */
		parts[0] = gr->startpc;
		for (size_t k = 0; k < nanc; k++)
			parts[k + 1] = anc[k];
		s = add(ctx, creation_stack(gr),
			(uint32_t)hash_bytes(parts, (nanc + 1) * sizeof(*parts), 5),
			gr->preexisting, g->snapshot, gr->birth_ns);
		if (!s)
			continue;
		s->main_goroutine |= gr->goid == MAIN_GOID;
		if (!s->go_start) {
			const struct start_fn *sf = start_of(&gg, gr->startpc);

			s->go_start = sf->name;
			s->go_start_wrapper = sf->wrapper;
		}
		if (!s->nancestors && nanc) {
			s->ancestors = xcalloc(nanc, sizeof(*s->ancestors));
			for (size_t k = 0; k < nanc; k++)
				s->ancestors[k].stack_id = anc[k];
			s->nancestors = nanc;
		}
		if (!read_now)
			continue;
		/* Not readable now (the process exited, or the goroutine did
		 * meanwhile): what it was doing when last read. */
		state = now && now[i].state ? now[i].state : goread__state_name(g, gr->last_state);
		state = strtab__intern(r->strings, state ? state : "unknown (exited)");
		count_state(s->states, &s->nstates, REPORT_MAX_STATES, state, 1);
		if (!now || !now[i].state)
			continue;	/* nowhere now */
		gn = now_entry(&gg, s, now[i].stack);
		gn->count++;
		count_state(gn->states, &gn->nstates, REPORT_MAX_NOW_STATES, state, 1);
		add_wait(gn, now[i].wait_s, now[i].wait_s);
	}
	free(now);
	free(l.v);
	free(gg.sfs);
	u64map__free(gg.starts);
	u64map__free(gg.std);
	u64map__free(gg.nows);
}

/* A goroutine's creation stack as the probe sees it starts inside the
 * runtime's newproc machinery: what a reader wants first is the function
 * holding the `go` statement. */
static void trim_creation_frames(struct report_frame *frames, size_t *nframes)
{
	static const char *const runtime_frames[] = {
		"runtime.newproc.func1", "runtime.systemstack", "runtime.newproc",
		"runtime.newproc1", "runtime.systemstack_switch",
	};
	size_t skip = 0;

	while (skip + 1 < *nframes) {
		bool rt = false;

		for (size_t i = 0; i < ARRAY_SIZE(runtime_frames); i++)
			rt |= frames[skip].name && !strcmp(frames[skip].name, runtime_frames[i]);
		if (!rt)
			break;
		skip++;
	}
	if (skip) {
		memmove(frames, frames + skip, (*nframes - skip) * sizeof(*frames));
		*nframes -= skip;
	}
}

static bool same_frames(const struct report_frame *a, size_t na,
			const struct report_frame *b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)	/* the report's strings */
		if (a[i].name != b[i].name || a[i].file != b[i].file || a[i].line != b[i].line)
			return false;
	return true;
}

static void merge_now(struct report_goroutines_now *dst, struct report_goroutines_now *src)
{
	dst->count += src->count;
	for (size_t k = 0; k < src->nstates; k++)
		count_state(dst->states, &dst->nstates, REPORT_MAX_NOW_STATES,
			    src->states[k].name, src->states[k].count);
	add_wait(dst, src->wait_min_s, src->wait_max_s);
	dst->truncated |= src->truncated;
	free(src->frames);
}

static int by_count(const void *a, const void *b)
{
	const struct report_goroutines_now *x = a, *y = b;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return x->stack_id < y->stack_id ? -1 : x->stack_id > y->stack_id;
}

/* Two raw stacks that read the same (return addresses that differ in
 * the same line) are one current stack, as pprof shows them. */
static void dedupe_now(struct report_stack *s)
{
	size_t out = 0;

	for (size_t i = 0; i < s->nnow; i++) {
		size_t j;

		for (j = 0; j < out; j++)
			if (same_frames(s->now[j].frames, s->now[j].nframes,
					s->now[i].frames, s->now[i].nframes))
				break;
		if (j < out)
			merge_now(&s->now[j], &s->now[i]);
		else
			s->now[out++] = s->now[i];
	}
	s->nnow = out;
	if (s->nnow > 1)	/* none: s->now may be NULL, which qsort must not get */
		qsort(s->now, s->nnow, sizeof(*s->now), by_count);
}

/* A go statement's wrapper is left out of tracebacks by the runtime:
 * name the group by the function it calls, the outermost frame that is
 * not a wrapper of a current stack read whole. */
static void start_past_wrapper(struct report_stack *s)
{
	if (!s->go_start_wrapper)
		return;
	for (size_t i = 0; i < s->nnow; i++) {
		const struct report_goroutines_now *n = &s->now[i];
		size_t j = n->nframes;

		if (!n->nframes || n->truncated)
			continue;
		while (j > 1 && n->frames[j - 1].wrapper)
			j--;
		s->go_start = n->frames[j - 1].name;
		s->go_start_wrapper = false;
		return;
	}
}

void goroutine_groups__symbolize(const struct tables *t, struct report *r,
				 struct report_stack *s)
{
	uint32_t unresolved;

	trim_creation_frames(s->frames, &s->nframes);
	for (size_t i = 0; i < s->nnow; i++) {
		struct report_goroutines_now *n = &s->now[i];

		n->frames = NULL;
		n->nframes = 0;
		if (n->stack_id != STACK_NONE)
			frames__expand_id(t, r, n->stack_id, true, &n->frames, &n->nframes,
					  &n->truncated, &unresolved);
	}
	for (size_t i = 0; i < s->nancestors; i++) {
		struct report_ancestor *a = &s->ancestors[i];
		bool truncated;

		frames__expand_id(t, r, a->stack_id, false, &a->frames, &a->nframes, &truncated,
				  &unresolved);
		trim_creation_frames(a->frames, &a->nframes);
	}
	dedupe_now(s);
	start_past_wrapper(s);
}

void goroutine_groups__merge(struct report_stack *dst, struct report_stack *src)
{
	if (!dst->go_start || dst->go_start_wrapper) {
		dst->go_start = src->go_start;
		dst->go_start_wrapper = src->go_start_wrapper;
	}
	dst->now = xrealloc(dst->now, (dst->nnow + src->nnow + 1) * sizeof(*dst->now));
	memcpy(dst->now + dst->nnow, src->now, src->nnow * sizeof(*src->now));
	dst->nnow += src->nnow;
	free(src->now);
	src->now = NULL;
	src->nnow = 0;
	/* the same key: the same chain of creators */
	for (size_t i = 0; i < src->nancestors; i++)
		free(src->ancestors[i].frames);
	free(src->ancestors);
	src->ancestors = NULL;
	src->nancestors = 0;
	dedupe_now(dst);
}
