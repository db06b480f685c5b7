// SPDX-License-Identifier: MIT
#include "trace/goread.h"
#include "base/elfinfo.h"
#include "base/hashmap.h"
#include "base/procmaps.h"
#include "base/procmem.h"
#include "base/util.h"
#include "golang/gobin.h"
#include "golang/goheap.h"
#include "ledgers/goproc.h"
#include "ledgers/process.h"
#include "trace/goprobes.h"
#include "symbols/stacks.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <time.h>

#define MAX_BUCKETS (1 << 20)

/* Where the binary is loaded: the mapping of its file that starts at
 * offset 0 sits at the first PT_LOAD's page, shifted by the bias. */
static void find_bias(struct goproc *g, int pid)
{
	struct procmap *maps;
	struct elf_info e;
	const char *why;
	size_t n;

	if (g->bias_known || procmaps__read(pid, &maps, &n))
		return;
	if (elfinfo__read(gobin__path(g->bin->bin), &e, &why) == 0) {
		if (e.type != 3 /* ET_DYN */) {
			g->bias = 0;
			g->bias_known = true;
		}
		for (size_t i = 0; i < n && !g->bias_known; i++) {
			uint64_t vaddr;

			if (maps[i].inode != g->bin->ino ||
			    makedev(maps[i].dev_major, maps[i].dev_minor) != g->bin->dev ||
			    !elfinfo__offset_to_vaddr(&e, maps[i].pgoff, &vaddr))
				continue;
			g->bias = maps[i].start - (vaddr & ~4095ULL);
			g->bias_known = true;
		}
		elfinfo__free(&e);
	}
	procmaps__free(maps, n);
}

bool goread__located(struct goproc *g, int pid)
{
	find_bias(g, pid);
	return g->bias_known;
}

/* GODEBUG=memprofilerate=N in the process's environment, or -1. */
static long godebug_rate(int pid)
{
	char path[64];
	size_t len;
	char *env, *p;
	long rate = -1;

	snprintf(path, sizeof(path), "/proc/%d/environ", pid);
	env = read_file(path, &len);
	for (p = env; p && p < env + len; p += strlen(p) + 1) {
		const char *m;

		if (strncmp(p, "GODEBUG=", 8))
			continue;
		m = strstr(p, "memprofilerate=");
		if (m)
			rate = strtol(m + 15, NULL, 10);
	}
	free(env);
	return rate;
}

static void find_rate(struct goproc *g, int pid)
{
	uint64_t v;
	long env;

	if (g->bin->memprofilerate &&
	    procmem__read_u64(pid, g->bias + g->bin->memprofilerate, &v) == 0 &&
	    v < (1ULL << 40)) {
		g->rate = v;
		g->rate_source = "runtime.MemProfileRate";
		return;
	}
	/* Before Go 1.21 the variable's initializer ran after GODEBUG was
	 * parsed and undid memprofilerate=N. */
	env = gobin__version_ge(g->bin->bin, 1, 21) ? godebug_rate(pid) : -1;
	if (env >= 0) {
		g->rate = (uint64_t)env;
		g->rate_source = "GODEBUG";
	} else if (!g->bin->memprofile_linked) {
		/* The linker turns profiling off when runtime.MemProfile is
		 * not linked in: MemProfileRate is set to 0 at start. */
		g->rate = 0;
		g->rate_source = "runtime.MemProfile not linked";
	}
}

/* A pointer that leads to a memory-profile bucket (typ 1, sane nstk). */
static bool is_bucket_list(int pid, uint64_t var)
{
	uint64_t head, hdr[6];

	return procmem__read_u64(pid, var, &head) == 0 && head &&
	       procmem__read(pid, head, hdr, sizeof(hdr)) == 0 && hdr[2] == 1 &&
	       hdr[5] > 0 && hdr[5] <= GOHEAP_MAX_STACK;
}

static void find_mbuckets(struct goproc *g, int pid)
{
	if (g->mbuckets)
		return;
	if (g->bin->mbuckets) {
		g->mbuckets = g->bias + g->bin->mbuckets;
		return;
	}
	for (uint32_t i = 0; i < g->bin->ncandidates; i++)
		if (is_bucket_list(pid, g->bias + g->bin->mbuckets_candidates[i])) {
			g->mbuckets = g->bias + g->bin->mbuckets_candidates[i];
			return;
		}
}

/* A bucket as read, before deciding which of its records count. */
struct heap_raw {
	uint64_t bucket;
	uint32_t stack;
	uint64_t active[4], pending[4];	/* allocs, frees, alloc/free bytes */
};

struct heap_ctx {
	struct process *p;
	struct heap_raw *v;
	size_t n, cap;
};

static void add_bucket(void *ctx, const struct goheap_bucket *b)
{
	struct heap_ctx *h = ctx;
	struct heap_raw *r;

	grow_array((void **)&h->v, &h->cap, h->n + 1, sizeof(*h->v));
	r = &h->v[h->n++];
	r->bucket = b->addr;
	/* the runtime records return addresses (all frames are callers),
	 * one per inlined call */
	r->stack = process__intern_stack(h->p, b->pcs, b->nstk, STACK_GO_LOGICAL);
	r->active[0] = b->allocs;
	r->active[1] = b->frees;
	r->active[2] = b->alloc_bytes;
	r->active[3] = b->free_bytes;
	memcpy(r->pending, b->pending, sizeof(r->pending));
}

/*
 * The readings become the heap ledger. Which records count is what
 * runtime.MemProfile decides: the published (active) ones, or, while no
 * bucket has any (no GC has ended yet), the unpublished cycles too.
 * Ages: a bucket's in-use heap that grows between readings was grown
 * while traced, at the first such reading; what an attached process held
 * at the first reading (baseline) is pre-existing until it grows.
 */
static void publish_heap(struct goproc *g, const struct heap_ctx *h, uint64_t now,
			 bool baseline)
{
	struct goheap_entry *old = g->heap, *heap = NULL;
	struct u64map *by_bucket = u64map__new(g->nheap + 1);
	size_t nold = g->nheap, n = 0, cap = 0;
	bool published = false;

	for (size_t i = 0; i < h->n; i++)
		published |= h->v[i].active[0] || h->v[i].active[1];
	for (size_t i = 0; i < nold; i++)
		u64map__put(by_bucket, old[i].bucket, i);
	for (size_t i = 0; i < h->n; i++) {
		const struct heap_raw *r = &h->v[i];
		uint64_t v[4], at;
		struct goheap_entry *e;
		bool grew;

		for (int k = 0; k < 4; k++)
			v[k] = r->active[k] + (published ? 0 : r->pending[k]);
		if (!v[0])
			continue;
		grow_array((void **)&heap, &cap, n + 1, sizeof(*heap));
		e = &heap[n++];
		memset(e, 0, sizeof(*e));
		e->bucket = r->bucket;
		e->stack = r->stack;
		goallocs__scale(v[0] - MIN(v[1], v[0]), v[2] - MIN(v[3], v[2]), g->rate,
				&e->inuse_count, &e->inuse_bytes);
		goallocs__scale(v[0], v[2], g->rate, &e->alloc_count, &e->alloc_bytes);
		if (r->bucket != U64MAP_EMPTY && u64map__get(by_bucket, r->bucket, &at)) {
			e->grew_ns = old[at].grew_ns;
			e->preexisting = old[at].preexisting;
			grew = e->inuse_bytes > old[at].inuse_bytes;
		} else {
			grew = e->inuse_bytes > 0;
			e->preexisting = baseline && grew;
		}
		if (grew && !baseline && (!e->grew_ns || e->preexisting)) {
			e->grew_ns = now;
			e->preexisting = false;
		}
	}
	u64map__free(by_bucket);
	free(old);
	g->heap = heap;
	g->nheap = n;
	g->capheap = cap;
	g->heap_unpublished = !published && n;
}

static void read_heap(struct goproc *g, struct process *p, bool baseline)
{
	struct heap_ctx ctx = { .p = p };
	long n;

	if (p->exited || !g->bin || !g->bin->bin)
		return;
	find_bias(g, p->pid);
	if (!g->bias_known)
		return;
	find_rate(g, p->pid);
	if (g->rate == 0) {
		snprintf(g->heap_why, sizeof(g->heap_why),
			 "memory profiling is off in this binary (MemProfileRate 0: %s)",
			 g->rate_source);
		g->nheap = 0;
		return;
	}
	find_mbuckets(g, p->pid);
	if (!g->mbuckets) {
		snprintf(g->heap_why, sizeof(g->heap_why),
			 "runtime.mbuckets not found yet (stripped binary, no sample so far)");
		return;
	}
	n = goheap__walk(p->pid, g->mbuckets, add_bucket, &ctx, MAX_BUCKETS);
	if (n < 0 && n != -ESRCH) {
		snprintf(g->heap_why, sizeof(g->heap_why), "reading the heap profile failed: %s",
			 strerror((int)-n));
	} else if (n >= 0) {
		publish_heap(g, &ctx, now_ns(), baseline);
		g->heap_read = true;
		g->heap_why[0] = '\0';
		if (g->heap_unpublished)
			snprintf(g->heap_why, sizeof(g->heap_why),
				 "no GC has published a heap profile cycle yet: counted from the "
				 "unpublished cycles, as runtime.MemProfile does");
	}
	free(ctx.v);
}

void goread__refresh(struct goproc *g, struct process *p)
{
	read_heap(g, p, false);
	goread__keep_states(g, p);
}

void goread__heap_baseline(struct goproc *g, struct process *p)
{
	read_heap(g, p, true);
}

/* runtime/runtime2.go's _G* values; the scan bit (0x1000) is masked. */
static const char *status_name(uint32_t s)
{
	static const char *const names[] = {
		"idle", "runnable", "running", "syscall", "waiting", "moribund",
		"dead", "enqueue", "copystack", "preempted",
	};
	s &= ~0x1000u;
	return s < ARRAY_SIZE(names) ? names[s] : "unknown";
}

uint16_t goread__state_code(uint32_t status, uint8_t reason)
{
	status &= ~0x1000u;
	return status < 0xff ? (uint16_t)((status << 8 | reason) + 1) : 0;
}

/* goread__state_code() of each goroutine now, 0 where it cannot be read. */
static void read_state_codes(struct goproc *g, int pid, const struct goroutine **grs,
			     size_t n, uint16_t *codes)
{
	const struct gobin_g_offsets *o = &g->bin->goff;
	struct procmem_req *reqs = xcalloc(n ? n : 1, sizeof(*reqs));
	uint32_t *status = xcalloc(n ? n : 1, sizeof(*status));
	uint8_t *reason = xcalloc(n ? n : 1, 1);
	struct procmem_req *rreqs = xcalloc(n ? n : 1, sizeof(*rreqs));

	for (size_t i = 0; i < n; i++) {
		reqs[i] = (struct procmem_req){ grs[i]->g_addr + o->atomicstatus, &status[i], 4, 0 };
		rreqs[i] = (struct procmem_req){ grs[i]->g_addr + o->waitreason, &reason[i], 1, 0 };
	}
	procmem__read_many(pid, reqs, n);
	if (o->waitreason >= 0)
		procmem__read_many(pid, rreqs, n);
	for (size_t i = 0; i < n; i++)
		codes[i] = reqs[i].ok ? goread__state_code(status[i], rreqs[i].ok ? reason[i] : 0)
				      : 0;
	free(reqs);
	free(rreqs);
	free(status);
	free(reason);
}

const char *goread__state_name(struct goproc *g, uint16_t code)
{
	const char *name;
	uint8_t reason;

	if (!code)
		return NULL;
	code--;
	name = status_name(code >> 8);
	reason = code & 0xff;
	if (!strcmp(name, "waiting") && g->bin->goff.waitreason >= 0) {
		const char *why = gobin__waitreason_name(g->bin->bin, reason);

		if (why && why[0])
			name = why;
	}
	/* static, or the binary's own table: readers copy what they keep */
	return name;
}

/* Beyond this many goroutines, what they do is read only for reports a
 * user sees (two remote reads each), not every second. */
#define STATE_REFRESH_MAX 100000

void goread__keep_states(struct goproc *g, struct process *p)
{
	size_t n = goroutines__count(&g->gor), i = 0, it = 0;
	struct goroutine **grs;
	uint16_t *codes;
	uint64_t v;

	if (p->exited || !n || n > STATE_REFRESH_MAX || !g->gor.by_goid)
		return;
	grs = xcalloc(n, sizeof(*grs));
	codes = xcalloc(n, sizeof(*codes));
	while (i < n && u64map__next(g->gor.by_goid, &it, NULL, &v))
		grs[i++] = (struct goroutine *)(uintptr_t)v;
	read_state_codes(g, p->pid, (const struct goroutine **)grs, i, codes);
	for (size_t k = 0; k < i; k++)
		if (codes[k])
			grs[k]->last_state = codes[k];
	free(grs);
	free(codes);
}

static uint64_t field_u64(const uint8_t *span, int span_off, int off)
{
	uint64_t v = 0;

	if (off >= 0)
		memcpy(&v, span + (off - span_off), 8);
	return v;
}

/*
 * One walk of runtime.allgs: every goroutine not yet in the ledger is
 * entered under its creation site (g.gopc, the go statement's return
 * address, as the runtime's "created by" shows it), with the function it
 * runs and its parent. Reads: the slice, its pointers, then status and
 * goid of every g (16 bytes each, neighbouring gs in one range), then the
 * creation fields of the new ones only. attach: what it finds existed before tracing (pre-existing,
 * not counted as created). sweep: goroutines of the ledger it did not
 * find have exited (snapshot mode, where no probe says so).
 */
static long walk_allgs(struct goproc *g, struct process *p, uint64_t now_ns,
		       bool attach, bool sweep)
{
	const struct gobin_g_offsets *o = &g->bin->goff;
	int lo = MIN(o->atomicstatus, o->goid), hi = MAX(o->atomicstatus, o->goid) + 8;
	int clo = MIN(o->gopc, o->startpc), chi = MAX(o->gopc, o->startpc) + 8;
	uint64_t slice[2], *gs = NULL, *fresh = NULL;
	uint8_t *head = NULL, *ok = NULL, *cre = NULL;
	size_t nfresh = 0;
	uint32_t gen;
	long added = 0;
	int err;

	find_bias(g, p->pid);
	if (!g->bin->allgs || !g->bias_known)
		return -ENOTSUP;
	if (o->parent_goid >= 0) {
		clo = MIN(clo, o->parent_goid);
		chi = MAX(chi, o->parent_goid + 8);
	}
	/* allgs is a slice: pointer, length, capacity */
	err = procmem__read(p->pid, g->bias + g->bin->allgs, slice, sizeof(slice));
	if (err)
		return err;
	if (slice[1] > (1 << 24))
		return -EINVAL;
	gs = xcalloc(slice[1] ? slice[1] : 1, sizeof(*gs));
	err = procmem__read(p->pid, slice[0], gs, slice[1] * sizeof(*gs));
	if (err)
		goto out;
	head = xcalloc(slice[1] ? slice[1] : 1, hi - lo);
	ok = xcalloc(slice[1] ? slice[1] : 1, 1);
	fresh = xcalloc(slice[1] ? slice[1] : 1, sizeof(*fresh));
	procmem__read_fields(p->pid, gs, slice[1], lo, hi - lo, head, ok);
	gen = ++g->walk.gen;
	for (uint64_t i = 0; i < slice[1]; i++) {
		uint64_t goid = field_u64(head + i * (hi - lo), lo, o->goid);
		uint32_t status;
		struct goroutine *gr;

		memcpy(&status, head + i * (hi - lo) + (o->atomicstatus - lo), 4);
		status &= ~0x1000u;
		if (!ok[i] || status == 0 /* idle */ || status == 6 /* dead */ || !goid)
			continue;
		gr = goroutines__get(&g->gor, goid);
		if (gr) {
			gr->seen = gen;
			gr->g_addr = gs[i];
			continue;
		}
		fresh[nfresh] = gs[i];
		gs[nfresh++] = goid;	/* i >= nfresh: gs[i] is read already */
	}
	g->walk.last_seen = goroutines__count(&g->gor);
	cre = xcalloc(nfresh ? nfresh : 1, chi - clo);
	procmem__read_fields(p->pid, fresh, nfresh, clo, chi - clo, cre, ok);
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < nfresh; i++) {
			const uint8_t *c = cre + i * (chi - clo);
			uint64_t gopc = field_u64(c, clo, o->gopc);
			struct goroutine *gr;

			if (!ok[i])
				continue;
			/* parents after everyone is in: a parent may come
			 * later in allgs than its child (g structs are reused) */
			if (pass == 1) {
				gr = goroutines__get(&g->gor, gs[i]);
				if (gr)
					goroutines__set_parent(&g->gor, gr,
							       field_u64(c, clo, o->parent_goid));
				continue;
			}
			gr = goroutines__add(&g->gor, gs[i], fresh[i],
					     gopc ? process__intern_stack(p, &gopc, 1, 0) : 0, now_ns);
			if (!gr)
				continue;
			gr->gopc = gopc;
			gr->startpc = field_u64(c, clo, o->startpc);
			gr->preexisting = attach;
			gr->seen = gen;
			added++;
		}
	g->walk.last_seen += added;
	if (attach)
		g->gor.created -= added;	/* seen, not created under tracing */
	if (sweep)
		goroutines__sweep(&g->gor, gen);
out:
	free(gs);
	free(fresh);
	free(head);
	free(ok);
	free(cre);
	return err ? err : added;
}

long goread__scan_allgs(struct goproc *g, struct process *p, uint64_t now_ns)
{
	return walk_allgs(g, p, now_ns, true, g->snapshot);
}

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec;
}

int goread__walk_if_due(struct goproc *g, struct process *p, uint64_t now_ns, bool force)
{
	struct goroutine_walks *w = &g->walk;
	uint64_t t0, cpu;
	long n;

	if (!g->snapshot || p->exited || !g->bin || !g->bin->bin ||
	    (!force && now_ns < w->next_ns))
		return 0;
	t0 = thread_cpu_ns();
	n = walk_allgs(g, p, now_ns, false, true);
	cpu = thread_cpu_ns() - t0;
	w->err = n < 0 ? (int)n : 0;
	w->last_cpu_ns = cpu;
	w->cpu_ns += cpu;
	w->count++;
	/* The next walk when this one's CPU is GOREAD_WALK_BUDGET of the
	 * time between them, within bounds. */
	w->interval_ns = MAX((uint64_t)(cpu / GOREAD_WALK_BUDGET), GOREAD_WALK_MIN_NS);
	w->interval_ns = MIN(w->interval_ns, GOREAD_WALK_MAX_NS);
	w->next_ns = now_ns + w->interval_ns;
	return 1;
}
