// SPDX-License-Identifier: MIT
#include "trace/gocurrent.h"
#include "base/procmem.h"
#include "base/util.h"
#include "golang/gobin.h"
#include "golang/gostack.h"
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

struct reader {
	struct goproc *g;
	struct process *p;
	const struct gobin_g_offsets *o;
	int head_len;
	struct gocurrent_stats *st;
};

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
		unsigned how;

		if (!reqs[k].ok)
			continue;
		r->st->stacks_read++;
		r->st->bytes_read += q->len;
		n = gostack__walk(r->g->bin->bin, r->g->bias, q->pc, q->sp, q->buf, q->sp, q->len,
				  pcs, LS_MAX_STACK_DEPTH, &how);
		flags = (how & GOSTACK_TRUNCATED ? STACK_TRUNCATED : 0) |
			(how & GOSTACK_LEAF_EXACT ? STACK_LEAF_EXACT : 0);
		if (how & GOSTACK_TRUNCATED)
			r->st->stacks_truncated++;
		if ((how & GOSTACK_BROKEN) && !n)
			r->st->stacks_broken++;
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
	uint32_t status, key;

	memcpy(&status, h + o->atomicstatus, 4);
	status &= ~0x1000u;
	if (head_u64(r, h, o->goid) != gr->goid || status == G_DEAD || status == G_IDLE)
		return false;	/* exited since (its g may be reused) */
	/* kept for a report made after the process is gone (goread.h) */
	gr->last_state = goread__state_code(status, o->waitreason >= 0 ? h[o->waitreason] : 0);
	out->state = goread__state_name(r->g, gr->last_state);
	since = head_u64(r, h, o->waitsince);
	if (since && since <= now_ns && (status == G_WAITING || status == G_SYSCALL))
		out->wait_s = (now_ns - since) / (double)NS_PER_S;
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
	struct reader r = { g, p, &g->bin->goff, 0, stats ? stats : &dummy };
	struct pending *pend = NULL;
	size_t npend = 0, cappend = 0, batch = 0;

	memset(r.st, 0, sizeof(*r.st));
	r.st->goroutines = n;
	/* in address order, neighbouring gs are read as one range */
	if (n > 1)
		qsort(grs, n, sizeof(*grs), by_address);
	for (size_t i = 0; i < n; i++)
		out[i] = (struct goroutine_now){ NULL, 0, -1 };
	if (p->exited || !goread__located(g, p->pid))
		return;
	r.head_len = head_len(r.o);
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
}
