// SPDX-License-Identifier: MIT
#include "trace/gocurrent.h"
#include "base/hashmap.h"
#include "base/intern.h"
#include "base/procmem.h"
#include "base/util.h"
#include "golang/gobin.h"
#include "leakscope.h"
#include "ledgers/goproc.h"
#include "ledgers/process.h"
#include "symbols/stacks.h"
#include "trace/goprobes.h"
#include "trace/goread.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The live part of a stack read per goroutine, at most: deeper stacks
 * are walked this far and marked truncated. */
#define STACK_READ_MAX (64 * 1024)
/* Stack bytes gathered before one round of reads. */
#define BATCH_BYTES (4u << 20)
/* Goroutines whose heads are read at once. */
#define HEADS_BATCH 65536

/* runtime/runtime2.go's _G* values; the scan bit (0x1000) is masked. */
enum { G_IDLE, G_RUNNABLE, G_RUNNING, G_SYSCALL, G_WAITING, G_MORIBUND,
       G_DEAD, G_ENQUEUE, G_COPYSTACK, G_PREEMPTED };

static const char *status_name(uint32_t s)
{
	static const char *const names[] = {
		"idle", "runnable", "running", "syscall", "waiting", "moribund",
		"dead", "enqueue", "copystack", "preempted",
	};
	return s < ARRAY_SIZE(names) ? names[s] : "unknown";
}

/* What the walk needs at one pc, looked up once per call. */
struct pc_info {
	const char *func;
	uint64_t entry;
	int32_t spdelta;
	bool found;
};

struct reader {
	struct goproc *g;
	struct process *p;
	const struct gobin_g_offsets *o;
	struct u64map *pcs;	/* link-time pc -> index into infos + 1 */
	struct pc_info *infos;
	size_t ninfos, capinfos;
	int head_len;
	struct gocurrent_stats *st;
};

static const struct pc_info *pc_info(struct reader *r, uint64_t vaddr)
{
	struct pc_info *i;
	uint64_t idx;

	if (u64map__get(r->pcs, vaddr, &idx))
		return &r->infos[idx - 1];
	grow_array((void **)&r->infos, &r->capinfos, r->ninfos + 1, sizeof(*r->infos));
	i = &r->infos[r->ninfos++];
	memset(i, 0, sizeof(*i));
	i->found = gobin__frame_size(r->g->bin->bin, vaddr, &i->func, &i->entry,
				     &i->spdelta) == 0;
	u64map__put(r->pcs, vaddr, r->ninfos);
	return i;
}

/*
 * The runtime's walk: at pc the frame's return address sits spdelta
 * bytes above sp; the caller's sp is just above it. The goroutine's
 * first function returns to runtime.goexit, where the walk ends (and
 * which is not shown). stk holds the stack from base on.
 */
static uint32_t walk(struct reader *r, uint64_t pc, uint64_t sp, const uint8_t *stk,
		     uint64_t base, size_t len, uint64_t *pcs, uint32_t max,
		     uint32_t *flags)
{
	uint32_t n = 0;

	*flags = 0;
	while (n < max && pc) {
		const struct pc_info *i = pc_info(r, pc - r->g->bias);
		uint64_t at;

		if (!i->found) {
			if (!n)
				r->st->stacks_broken++;
			break;
		}
		if (!strcmp(i->func, "runtime.goexit"))
			return n;
		/* A goroutine about to start stopped at its function's
		 * entry: an exact pc, not a return address. */
		if (!n && pc - r->g->bias == i->entry)
			*flags |= STACK_LEAF_EXACT;
		pcs[n++] = pc;
		if (!strcmp(i->func, "runtime.mstart") || !strcmp(i->func, "runtime.rt0_go"))
			return n;
		at = sp + (uint64_t)(int64_t)i->spdelta;
		if (i->spdelta < 0 || at < base || at + 8 > base + len) {
			*flags |= STACK_TRUNCATED;
			return n;
		}
		memcpy(&pc, stk + (at - base), 8);
		sp = at + 8;
	}
	if (n == max)
		*flags |= STACK_TRUNCATED;
	return n;
}

static uint64_t head_u64(const struct reader *r, const uint8_t *h, int off)
{
	uint64_t v = 0;

	if (off >= 0 && off + 8 <= r->head_len)
		memcpy(&v, h + off, 8);
	return v;
}

/* One goroutine whose stack must be read. */
struct pending {
	size_t i;		/* in grs / out */
	uint64_t pc, sp;
	uint8_t *buf;
	size_t len;
};

static void read_stacks(struct reader *r, struct goroutine **grs, struct pending *pend,
			size_t npend, struct goroutine_now *out)
{
	struct procmem_req *reqs = xcalloc(npend ? npend : 1, sizeof(*reqs));
	uint64_t pcs[LS_MAX_STACK_DEPTH];

	for (size_t k = 0; k < npend; k++)
		reqs[k] = (struct procmem_req){ pend[k].sp, pend[k].buf, pend[k].len, 0 };
	procmem__read_many(r->p->pid, reqs, npend);
	for (size_t k = 0; k < npend; k++) {
		struct pending *q = &pend[k];
		struct goroutine *gr = grs[q->i];
		uint32_t flags, n;

		if (!reqs[k].ok)
			continue;
		r->st->stacks_read++;
		r->st->bytes_read += q->len;
		n = walk(r, q->pc, q->sp, q->buf, q->sp, q->len, pcs, LS_MAX_STACK_DEPTH, &flags);
		if (flags & STACK_TRUNCATED)
			r->st->stacks_truncated++;
		out[q->i].stack = process__intern_stack(r->p, pcs, n, flags);
		gr->now_stack = out[q->i].stack;
	}
	free(reqs);
}

static uint32_t where_key(uint64_t goid, uint64_t pc, uint64_t sp, uint64_t bp, uint64_t hi)
{
	uint64_t parts[5] = { goid, pc, sp, bp, hi };
	uint32_t k = (uint32_t)hash_bytes(parts, sizeof(parts), 11);

	return k ? k : 1;
}

/* The head of every g (neighbouring gs in one range). */
static uint8_t *read_heads(struct reader *r, struct goroutine **grs, size_t n)
{
	uint8_t *heads = xcalloc(n ? n : 1, r->head_len);
	uint64_t *addrs = xcalloc(n ? n : 1, sizeof(*addrs));
	uint8_t *ok = xcalloc(n ? n : 1, 1);

	for (size_t i = 0; i < n; i++)
		addrs[i] = grs[i]->g_addr;
	procmem__read_fields(r->p->pid, addrs, n, 0, (size_t)r->head_len, heads, ok);
	for (size_t i = 0; i < n; i++)
		if (!ok[i])	/* gone: its goid will not match */
			memset(heads + i * r->head_len, 0, r->head_len);
	r->st->heads_read += n;
	free(addrs);
	free(ok);
	return heads;
}

static int head_len(const struct gobin_g_offsets *o)
{
	const int offs[] = { o->goid, o->atomicstatus, o->waitreason, o->waitsince,
			     o->stack_hi, o->sched_sp, o->sched_pc, o->sched_bp,
			     o->syscallsp, o->syscallpc, o->syscallbp };
	int hi = 0;

	for (size_t i = 0; i < ARRAY_SIZE(offs); i++)
		hi = MAX(hi, offs[i] + 8);
	return hi;
}

static int by_address(const void *a, const void *b)
{
	uint64_t x = (*(struct goroutine *const *)a)->g_addr;
	uint64_t y = (*(struct goroutine *const *)b)->g_addr;

	return x < y ? -1 : x > y;
}

/* What the head h of gr says: its state and wait into *out, and where
 * its stack must be walked from (false: it runs, or its stack has not
 * changed since the last read, or it is gone). */
static bool where_now(struct reader *r, struct goroutine *gr, const uint8_t *h,
		      uint64_t now_ns, struct goroutine_now *out, uint64_t *pcp, uint64_t *spp,
		      uint64_t *hip)
{
	const struct gobin_g_offsets *o = r->o;
	uint64_t lo = head_u64(r, h, 0), hi = head_u64(r, h, o->stack_hi);
	uint64_t pc = head_u64(r, h, o->sched_pc), sp = head_u64(r, h, o->sched_sp);
	uint64_t bp = head_u64(r, h, o->sched_bp), since;
	const char *name;
	uint32_t status, key;

	memcpy(&status, h + o->atomicstatus, 4);
	status &= ~0x1000u;
	if (head_u64(r, h, o->goid) != gr->goid || status == G_DEAD || status == G_IDLE)
		return false;	/* exited since (its g may be reused) */
	name = status_name(status);
	if (status == G_WAITING && o->waitreason >= 0) {
		const char *why = gobin__waitreason_name(r->g->bin->bin, h[o->waitreason]);

		if (why && why[0])
			name = why;
	}
	out->state = intern(name);
	since = head_u64(r, h, o->waitsince);
	if (since && since <= now_ns && (status == G_WAITING || status == G_SYSCALL))
		out->wait_s = (now_ns - since) / 1e9;
	/* Running: g.sched is where it last stopped, not where it is. */
	if (status == G_RUNNING)
		return false;
	if (status == G_SYSCALL && head_u64(r, h, o->syscallsp)) {
		sp = head_u64(r, h, o->syscallsp);
		pc = head_u64(r, h, o->syscallpc);
		bp = head_u64(r, h, o->syscallbp);
	}
	if (!pc || sp < lo || sp >= hi || hi - lo > (1ULL << 30))
		return false;
	key = where_key(gr->goid, pc, sp, bp, hi);
	if (gr->now_key == key && gr->now_stack) {
		out->stack = gr->now_stack;
		r->st->stacks_reused++;
		return false;
	}
	gr->now_key = key;
	gr->now_stack = 0;
	*pcp = pc;
	*spp = sp;
	*hip = hi;
	return true;
}

static void flush_stacks(struct reader *r, struct goroutine **grs, struct pending *pend,
			 size_t *npend, size_t *batch, struct goroutine_now *out)
{
	read_stacks(r, grs, pend, *npend, out);
	for (size_t k = 0; k < *npend; k++)
		free(pend[k].buf);
	*npend = *batch = 0;
}

void gocurrent__read(struct goproc *g, struct process *p, struct goroutine **grs,
		     size_t n, uint64_t now_ns, struct goroutine_now *out,
		     struct gocurrent_stats *stats)
{
	struct gocurrent_stats dummy;
	struct reader r = { g, p, &g->bin->goff, NULL, NULL, 0, 0, 0, stats ? stats : &dummy };
	struct pending *pend = NULL;
	size_t npend = 0, cappend = 0, batch = 0;

	memset(r.st, 0, sizeof(*r.st));
	r.st->goroutines = n;
	/* in address order, neighbouring gs are read as one range */
	qsort(grs, n, sizeof(*grs), by_address);
	for (size_t i = 0; i < n; i++)
		out[i] = (struct goroutine_now){ NULL, 0, -1 };
	if (p->exited || !goread__located(g, p->pid))
		return;
	r.head_len = head_len(r.o);
	r.pcs = u64map__new(256);
	/* heads a batch at a time: a million goroutines need not hold
	 * 300 MB of them at once */
	for (size_t base = 0; base < n; base += HEADS_BATCH) {
		size_t m = MIN(n - base, HEADS_BATCH);
		uint8_t *heads = read_heads(&r, grs + base, m);

		for (size_t j = 0; j < m; j++) {
			size_t i = base + j;
			uint64_t pc, sp, hi;

			if (!where_now(&r, grs[i], heads + j * r.head_len, now_ns, &out[i],
				       &pc, &sp, &hi))
				continue;
			grow_array((void **)&pend, &cappend, npend + 1, sizeof(*pend));
			pend[npend] = (struct pending){ i, pc, sp, NULL, MIN(hi - sp, STACK_READ_MAX) };
			pend[npend].buf = xmalloc(pend[npend].len);
			batch += pend[npend++].len;
			if (batch >= BATCH_BYTES)
				flush_stacks(&r, grs, pend, &npend, &batch, out);
		}
		free(heads);
	}
	flush_stacks(&r, grs, pend, &npend, &batch, out);
	free(pend);
	free(r.infos);
	u64map__free(r.pcs);
}
