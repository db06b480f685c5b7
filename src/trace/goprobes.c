// SPDX-License-Identifier: MIT
#include "trace/goprobes.h"
#include "base/elfinfo.h"
#include "go.skel.h"
#include "native.skel.h"
#include "leakscope.h"
#include "trace/probes.h"
#include "base/logfmt.h"
#include "base/util.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct goprobes {
	struct probes *p;
	enum go_alloc_mode alloc_mode;
	enum go_goroutine_mode goroutine_mode;
	bool copy_creation_stacks;
	int verbose;
	struct go_binary **bins;
	size_t nbins, cap;
	uint32_t next_slot;	/* go_params slots never given out start here */
	uint32_t *free_slots;	/* of swept binaries */
	size_t nfree, capfree;
};

struct goprobes *goprobes__new(struct probes *p, enum go_alloc_mode mode,
			       int verbose)
{
	struct goprobes *g = xcalloc(1, sizeof(*g));

	g->p = p;
	g->alloc_mode = mode;
	/* make bench: copying the creator's live stack costs less than the
	 * kernel's frame-pointer walk of it (LEAKSCOPE_GO_STACK=walk: the
	 * walk, for comparing them) */
	g->copy_creation_stacks = !getenv("LEAKSCOPE_GO_STACK") ||
				  strcmp(getenv("LEAKSCOPE_GO_STACK"), "walk") != 0;
	g->verbose = verbose;
	return g;
}

void goprobes__set_goroutine_mode(struct goprobes *g, enum go_goroutine_mode mode)
{
	g->goroutine_mode = mode;
}

enum go_goroutine_mode goprobes__goroutine_mode(const struct goprobes *g)
{
	return g->goroutine_mode;
}

static void go_binary__free(struct go_binary *b)
{
	gobin__free(b->bin);
	free(b->leaves);
	free(b->path);
	free(b);
}

void goprobes__free(struct goprobes *g)
{
	if (!g)
		return;
	for (size_t i = 0; i < g->nbins; i++)
		go_binary__free(g->bins[i]);
	free(g->bins);
	free(g->free_slots);
	free(g);
}

/* A go_params slot for a binary we will probe: one freed by a sweep, or
 * the next never used; -ENOSPC when the map is full. */
static int take_slot(struct goprobes *g, struct go_binary *b)
{
	if (g->nfree)
		b->slot = g->free_slots[--g->nfree];
	else if (g->next_slot < LS_GO_MAX_BINARIES)
		b->slot = g->next_slot++;
	else
		return -ENOSPC;
	b->has_slot = true;
	return 0;
}

static void give_back_slot(struct goprobes *g, struct go_binary *b)
{
	grow_array((void **)&g->free_slots, &g->capfree, g->nfree + 1, sizeof(*g->free_slots));
	g->free_slots[g->nfree++] = b->slot;
	b->has_slot = false;
}

/*
 * A probe at a function's entry: on the `push %rbp` right after the
 * stack check (Go 1.21+, fires once per call), else on the check's `jbe`
 * (emulated too, but fires again after a stack growth: the BPF side drops
 * that hit), else, for a function without the check, on its first
 * instruction (single-stepped: slower, and only where nothing else fits).
 */
static int place_at_entry(struct go_binary *b, struct go_probe *pr,
			  const char *func)
{
	struct gobin_prologue pro;
	uint64_t entry, end;

	if (gobin__func_by_name(b->bin, func, &entry, &end))
		return -ENOENT;
	pr->func = func;
	pr->cookie = b->slot | LS_GO_AT_ENTRY;
	if (gobin__prologue(b->bin, entry, &pro) == 0 && pro.push_rbp_addr) {
		pr->vaddr = pro.push_rbp_addr;
		pr->insn = "push %rbp";
	} else if (gobin__prologue(b->bin, entry, &pro) == 0 && pro.jbe_addr) {
		pr->vaddr = pro.jbe_addr;
		pr->insn = "jbe";
		pr->cookie |= LS_GO_AT_JBE;
	} else {
		pr->vaddr = entry;
		pr->insn = "entry (single-stepped)";
	}
	if (gobin__vaddr_to_offset(b->bin, pr->vaddr, &pr->offset))
		return -ENOENT;
	pr->present = true;
	return 0;
}

static int place_entry(struct go_binary *b, enum go_probe_kind kind,
		       const char *func)
{
	return place_at_entry(b, &b->probes[kind], func);
}

/*
 * Where every allocation passes exactly once. Up to Go 1.23 that is
 * runtime.mallocgc. From 1.24 mallocgc dispatches to one leaf per object
 * (mallocgcTiny, SmallNoscan, SmallScanNoHeader, SmallScanHeader,
 * Large), and from 1.27 compiled code also calls size-specialized leaves
 * (mallocgcTinySC2, SmallNoScanSC3, ...) directly, skipping mallocgc:
 * probing mallocgc would miss those, probing it and the leaves would
 * count twice. The *SlowPath helpers are called by the leaves: not them.
 */
static bool is_alloc_leaf(const char *name)
{
	static const char *const generic[] = {
		"runtime.mallocgcTiny", "runtime.mallocgcSmallNoscan",
		"runtime.mallocgcSmallScanNoHeader", "runtime.mallocgcSmallScanHeader",
		"runtime.mallocgcLarge",
	};
	static const char *const specialized[] = {
		"runtime.mallocgcTinySC", "runtime.mallocgcSmallNoScanSC",
		"runtime.mallocgcSmallScanNoHeaderSC",
	};

	for (size_t i = 0; i < ARRAY_SIZE(generic); i++)
		if (!strcmp(name, generic[i]))
			return true;
	for (size_t i = 0; i < ARRAY_SIZE(specialized); i++) {
		size_t n = strlen(specialized[i]);

		if (!strncmp(name, specialized[i], n) && name[n] >= '0' && name[n] <= '9' &&
		    strspn(name + n, "0123456789") == strlen(name + n))
			return true;
	}
	return false;
}

static void place_every_alloc(struct go_binary *b)
{
	uint64_t entry, end;
	size_t n = gobin__nfuncs(b->bin), cap = 0;

	if (gobin__func_by_name(b->bin, "runtime.mallocgcSmallNoscan", &entry, &end)) {
		place_entry(b, GO_PROBE_ALLOC_ALL, "runtime.mallocgc");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		struct gobin_func f;
		struct go_probe pr = { 0 };

		bool seen = false;

		if (gobin__func(b->bin, i, &f) || !is_alloc_leaf(f.name))
			continue;
		/* a name twice (ABI wrapper and body): probe the body once */
		for (size_t j = 0; j < b->nleaves; j++)
			seen |= !strcmp(b->leaves[j].func, f.name);
		if (seen || place_at_entry(b, &pr, f.name))
			continue;
		grow_array((void **)&b->leaves, &cap, b->nleaves + 1, sizeof(*b->leaves));
		b->leaves[b->nleaves++] = pr;
	}
}

/* Goroutine creation: the call to runqput in newproc's closure, where the
 * new g (RBX) is complete and the creator's stack is walkable. */
static int place_create(struct go_binary *b)
{
	struct go_probe *pr = &b->probes[GO_PROBE_CREATE];

	if (gobin__find_call(b->bin, "runtime.newproc.func1", "runtime.runqput", &pr->vaddr))
		return -ENOENT;
	if (gobin__vaddr_to_offset(b->bin, pr->vaddr, &pr->offset))
		return -ENOENT;
	pr->func = "runtime.newproc.func1";
	pr->insn = "call runtime.runqput";
	pr->cookie = b->slot;
	pr->present = true;
	return 0;
}

/* Heap-profile data: the bucket list head and the sampling rate. With
 * .symtab they are found by name; stripped, the globals a few runtime
 * functions reference are candidates, validated against live memory. */
static void find_heap_globals(struct go_binary *b)
{
	static const char *const readers[] = {
		"runtime.mProf_FlushLocked", "runtime.mProf_Flush", "runtime.MemProfile",
		"runtime.memProfileInternal", "runtime.stkbucket",
	};
	uint64_t v, refs[64];
	enum gobin_source src;
	uint64_t entry, end;

	b->memprofile_linked = gobin__func_by_name(b->bin, "runtime.MemProfile", &entry, &end) == 0 ||
			       gobin__func_by_name(b->bin, "runtime.memProfileInternal", &entry, &end) == 0;
	if (gobin__global(b->bin, "runtime.mbuckets", &v, &src) == 0)
		b->mbuckets = v;
	if (gobin__global(b->bin, "runtime.MemProfileRate", &v, &src) == 0)
		b->memprofilerate = v;
	if (gobin__global(b->bin, "runtime.allgs", &v, &src) == 0)
		b->allgs = v;
	for (size_t r = 0; !b->mbuckets && r < ARRAY_SIZE(readers); r++) {
		int n = gobin__rip_refs(b->bin, readers[r], refs, 64);

		for (int i = 0; i < n && b->ncandidates < ARRAY_SIZE(b->mbuckets_candidates); i++) {
			bool dup = false;

			for (uint32_t j = 0; j < b->ncandidates; j++)
				dup |= b->mbuckets_candidates[j] == refs[i];
			if (!dup)
				b->mbuckets_candidates[b->ncandidates++] = refs[i];
		}
	}
	if (!b->memprofilerate && gobin__decode_memprofilerate(b->bin, &v) == 0)
		b->memprofilerate = v;
}

/* What stitching a cgo call's stack needs: where g is in TLS and where
 * runtime.asmcgocall (the switch from the goroutine to C) is. */
static void find_cgo(struct go_binary *b)
{
	struct elf_info e;
	const char *why;

	if (elfinfo__read(gobin__path(b->bin), &e, &why) == 0) {
		b->has_tls_g = gobin__tls_g_offset(b->bin, e.tls_memsz, e.tls_align,
						   &b->tls_g_off) == 0;
		elfinfo__free(&e);
	}
	{
		/* the assembly function and its ABI wrapper: either may be
		 * the frame a C call returns to */
		struct gobin_func f[4];
		int n = gobin__funcs_by_name(b->bin, "runtime.asmcgocall", f, 4);

		for (int i = 0; i < n && i < 4; i++) {
			b->asmcgocall[i].lo = f[i].entry;
			b->asmcgocall[i].hi = f[i].end;
			b->nasmcgocall++;
		}
	}
}

bool goprobes__in_newproc(const struct go_binary *b, uint64_t vaddr)
{
	return vaddr >= b->newproc_lo && vaddr < b->newproc_hi;
}

bool goprobes__in_asmcgocall(const struct go_binary *b, uint64_t vaddr)
{
	for (uint32_t i = 0; i < b->nasmcgocall; i++)
		if (vaddr >= b->asmcgocall[i].lo && vaddr < b->asmcgocall[i].hi)
			return true;
	return false;
}

int goprobes__watch(struct goprobes *g, struct go_binary *b, int pid)
{
	if (!b->bin || !b->has_tls_g || pid <= 0)
		return -ENOTSUP;
	return probes__set_go_proc(g->p, pid, b->tls_g_off);
}

static struct go_binary *inspect(struct goprobes *g, const char *path, int pid,
				 uint64_t dev, uint64_t ino)
{
	struct go_binary *b = xcalloc(1, sizeof(*b));
	const struct gobin_version *v;
	const char *why = NULL;
	char buf[4096 + 64];

	b->path = xstrdup(path);
	b->dev = dev;
	b->ino = ino;
	b->bin = gobin__open_flags(path, 0, &why, &b->fault);
	if (!b->bin && pid > 0) {	/* another mount namespace */
		const char *why2 = NULL;
		enum gobin_fault fault2;

		/* why may sit in gobin's one message buffer: keep a copy */
		snprintf(b->why_not, sizeof(b->why_not), "%s", why ? why : "unreadable");
		why = b->why_not;
		snprintf(buf, sizeof(buf), "/proc/%d/root%s", pid, path);
		b->bin = gobin__open_flags(buf, 0, &why2, &fault2);
		/* The process may be gone (short-lived, in a fleet): then
		 * the answer for our own file stands. */
		if (b->bin || fault2 != GOBIN_UNREADABLE) {
			b->fault = fault2;
			why = why2;
		}
	}
	if (!b->bin) {
		if (why != b->why_not)
			snprintf(b->why_not, sizeof(b->why_not), "%s", why ? why : "unreadable");
		return b;
	}
	v = gobin__version(b->bin);
	if (v->major == 1 && (v->minor < 18 || v->minor > 27)) {
		snprintf(b->why_not, sizeof(b->why_not),
			 "Go %s is outside the supported 1.18-1.27", v->str);
		goto unsupported;
	}
	if (take_slot(g, b)) {
		snprintf(b->why_not, sizeof(b->why_not), "too many Go binaries (%d)",
			 LS_GO_MAX_BINARIES);
		goto unsupported;
	}
	if (gobin__g_offsets(b->bin, &b->goff)) {
		snprintf(b->why_not, sizeof(b->why_not),
			 "runtime.g layout of %s unknown (no DWARF, not in the table)",
			 v->str[0] ? v->str : "this Go version");
		goto unsupported;
	}
	if (g->goroutine_mode == GO_GOROUTINES_TRACE &&
	    (place_create(b) ||
	     (place_entry(b, GO_PROBE_EXIT, "runtime.gdestroy") &&
	      place_entry(b, GO_PROBE_EXIT, "runtime.goexit0")))) {
		snprintf(b->why_not, sizeof(b->why_not),
			 "goroutine probe points not found (runtime.newproc.func1/runqput, "
			 "runtime.gdestroy or goexit0)");
		goto unsupported;
	}
	if (g->alloc_mode == GO_ALLOC_SAMPLED || g->alloc_mode == GO_ALLOC_CHECK)
		place_entry(b, GO_PROBE_ALLOC_SAMPLED, "runtime.profilealloc");
	if (g->alloc_mode == GO_ALLOC_ALL || g->alloc_mode == GO_ALLOC_CHECK)
		place_every_alloc(b);
	find_heap_globals(b);
	find_cgo(b);
	if (gobin__func_by_name(b->bin, "runtime.newproc", &b->newproc_lo, &b->newproc_hi))
		b->newproc_lo = b->newproc_hi = 0;
	if (g->verbose) {
		for (int k = 0; k < GO_PROBE_MAX; k++)
			if (b->probes[k].present)
				logger__say(g->p->log, LOG_DEBUG, "%s (%s): probe in %s at %#lx (%s)",
					    path, v->str, b->probes[k].func,
					    (unsigned long)(b->probes[k].vaddr), b->probes[k].insn);
		for (size_t i = 0; i < b->nleaves; i++)
			logger__say(g->p->log, LOG_DEBUG, "%s (%s): allocation probe in %s at %#lx (%s)",
				    path, v->str, b->leaves[i].func,
				    (unsigned long)b->leaves[i].vaddr, b->leaves[i].insn);
	}
	return b;
unsupported:
	gobin__free(b->bin);
	b->bin = NULL;
	b->fault = GOBIN_UNSUPPORTED;
	if (b->has_slot)	/* never probed: the slot is free again */
		give_back_slot(g, b);
	return b;
}

struct go_binary *goprobes__inspect(struct goprobes *g, const char *path, int pid)
{
	struct stat st = { 0 };
	struct go_binary *b;

	if (stat(path, &st) && pid > 0) {
		char buf[4096 + 64];

		snprintf(buf, sizeof(buf), "/proc/%d/root%s", pid, path);
		stat(buf, &st);
	}
	for (size_t i = 0; i < g->nbins; i++) {
		b = g->bins[i];
		if (st.st_ino ? (b->ino == st.st_ino && b->dev == st.st_dev) :
				!strcmp(b->path, path))
			return b;
	}
	b = inspect(g, path, pid, st.st_dev, st.st_ino);
	grow_array((void **)&g->bins, &g->cap, g->nbins + 1, sizeof(*g->bins));
	g->bins[g->nbins++] = b;
	return b;
}

static struct bpf_program *program_for(struct go_bpf *skel, enum go_probe_kind k)
{
	switch (k) {
	case GO_PROBE_CREATE: return skel->progs.go_create;
	case GO_PROBE_EXIT: return skel->progs.go_exit;
	case GO_PROBE_ALLOC_SAMPLED: return skel->progs.go_alloc_sampled;
	case GO_PROBE_ALLOC_ALL: return skel->progs.go_alloc_every;
	default: return NULL;
	}
}

static int attach_probe(struct goprobes *g, struct bpf_program *prog,
			const struct go_probe *pr, const struct go_binary *b,
			const char *file, int pid)
{
	LIBBPF_OPTS(bpf_uprobe_opts, opts);
	struct bpf_link *link;

	opts.bpf_cookie = pr->cookie;
	link = bpf_program__attach_uprobe_opts(prog, pid, file, pr->offset, &opts);
	if (!link) {
		int err = -errno;

		logger__say(g->p->log, LOG_WARN, "cannot attach to %s in %s: %s", pr->func,
			    b->path, strerror(-err));
		return err;
	}
	probes__keep_link(g->p, link);
	return 0;
}
/* Where go_create's one read of a g starts: the lowest field it wants,
 * when all of them (8-byte aligned) fit in LS_GO_G_SPAN bytes; else -1
 * and the BPF side reads them one by one. */
static int32_t g_span(const struct ls_go_params *p)
{
	const int32_t offs[] = { p->goid_off, p->gopc_off, p->startpc_off, p->parent_goid_off };
	int32_t lo = INT32_MAX, hi = -1;

	for (size_t i = 0; i < ARRAY_SIZE(offs); i++) {
		if (offs[i] < 0)
			continue;
		if (offs[i] % 8)
			return -1;
		lo = MIN(lo, offs[i]);
		hi = MAX(hi, offs[i]);
	}
	return hi >= 0 && hi + 8 - lo <= LS_GO_G_SPAN ? lo : -1;
}


/* go_create reads the creating goroutine's goid, stack bounds and
 * g.sched in one LS_GO_G_SPAN read from its start. */
static bool creator_span_ok(const struct gobin_g_offsets *o)
{
	const int offs[] = { o->goid, o->stack_hi, o->sched_sp, o->sched_pc };

	for (size_t i = 0; i < ARRAY_SIZE(offs); i++)
		if (offs[i] < 0 || offs[i] % 8 || offs[i] + 8 > LS_GO_G_SPAN)
			return false;
	return true;
}

int goprobes__attach(struct goprobes *g, struct go_binary *b, int pid)
{
	struct ls_go_params params;
	const char *file;
	int err;

	if (!b->bin)
		return -ENOTSUP;
	if (b->attached_all)
		return 0;	/* already on for every process */
	for (uint32_t i = 0; i < b->nattached; i++)
		if (b->attached_pids[i] == pid)
			return 0;
	if (pid > 0 && b->nattached == ARRAY_SIZE(b->attached_pids))
		pid = -1;	/* many processes of one binary: all of them */
	params = (struct ls_go_params){
		.goid_off = b->goff.goid,
		.gopc_off = b->goff.gopc,
		.startpc_off = b->goff.startpc,
		.parent_goid_off = b->goff.parent_goid,
		.m_off = b->goff.m,
		.curg_off = b->goff.m_curg,
		.sched_sp_off = b->goff.sched_sp,
		.sched_pc_off = b->goff.sched_pc,
		.stack_hi_off = b->goff.stack_hi,
		/* the live stack copied (as much as --stack-snapshot allows
		 * native events), else the kernel's walk */
		.copy_bytes = g->copy_creation_stacks && creator_span_ok(&b->goff) ?
			      g->p->native->rodata->snapshot_pages * LS_PAGE_BYTES : 0,
	};
	params.span_off = g_span(&params);
	if (bpf_map__update_elem(g->p->go->maps.go_params, &b->slot, sizeof(b->slot),
				 &params, sizeof(params), BPF_ANY))
		return -errno;
	file = gobin__path(b->bin);
	for (int k = 0; k < GO_PROBE_MAX; k++)
		if (b->probes[k].present &&
		    (err = attach_probe(g, program_for(g->p->go, k), &b->probes[k], b, file, pid)))
			return err;
	for (size_t i = 0; i < b->nleaves; i++)
		if ((err = attach_probe(g, g->p->go->progs.go_alloc_every, &b->leaves[i], b,
					file, pid)))
			return err;
	if (pid < 0)
		b->attached_all = true;
	else
		b->attached_pids[b->nattached++] = pid;
	return 0;
}

size_t goprobes__count(const struct goprobes *g)
{
	return g ? g->nbins : 0;
}

void goprobes__mark(struct goprobes *g, struct go_binary *b)
{
	b->marked = true;
}

size_t goprobes__sweep(struct goprobes *g)
{
	size_t kept = 0, freed = 0;

	for (size_t i = 0; i < g->nbins; i++) {
		struct go_binary *b = g->bins[i];

		if (b->marked || b->attached_all || b->nattached) {
			b->marked = false;
			g->bins[kept++] = b;
			continue;
		}
		if (b->has_slot)
			give_back_slot(g, b);
		go_binary__free(b);
		freed++;
	}
	g->nbins = kept;
	return freed;
}
