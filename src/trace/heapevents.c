// SPDX-License-Identifier: MIT
#include "trace/heapevents.h"
#include "base/util.h"
#include "leakscope.h"
#include "ledgers/process.h"
#include "symbols/modules.h"
#include "symbols/stacks.h"
#include "symbols/tables.h"
#include "trace/collector.h"
#include "trace/mallocprobes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* By file: a module id of the collector's may have been swept and given
 * to another file since the probe was placed. */
static bool in_module(const struct module *mod, const struct malloc_fn *fn)
{
	if (!mod)
		return false;
	return fn->ino ? mod->ino == fn->ino && mod->dev == fn->dev : !strcmp(mod->path, fn->path);
}

/* Where the probed function starts in p, for the innermost frame of its
 * blocks' stacks: the caller's frames follow, unwound from the return. */
static uint64_t function_address(const struct process *p, const struct malloc_fn *fn)
{
	for (size_t i = 0; i < p->as.n; i++) {
		const struct as_vma *v = &p->as.v[i];

		if (fn->entry_off >= v->pgoff && fn->entry_off < v->pgoff + (v->end - v->start) &&
		    in_module(modules__get(p->tables->modules, v->module), fn))
			return v->start + fn->entry_off - v->pgoff;
	}
	return 0;
}

/*
 * The block's stack: the allocating function (the API the program
 * called: malloc, operator new...) then its caller and on, unwound with
 * CFI from the caller's registers and live stack at the return, or the
 * kernel's frame-pointer walk there.
 */
static uint32_t block_stack(struct collector *c, struct process *p,
			    const struct ls_malloc_event *e, size_t size)
{
	const struct malloc_fn *fn = mallocprobes__fn(c->malloc, LS_MC_PROBE(e->cookie));
	uint64_t pcs[LS_MAX_STACK_DEPTH];
	uint32_t n = 0, flags = 0, uflags;
	size_t data = size - sizeof(*e);
	struct user_stack_in in = { 0 };

	if (fn && (pcs[0] = function_address(p, fn))) {
		n = 1;
		flags |= STACK_LEAF_EXACT;
	}
	if (e->flags & LS_MALLOC_FP_STACK) {
		in.fp = (const uint64_t *)e->data;
		in.nfp = MIN(e->nr_ips, MIN(data / 8, LS_MAX_STACK_DEPTH));
	} else {
		in.regs = (struct unwind_regs){ e->regs.ip, e->regs.sp, e->regs.bp };
		in.snap_base = e->snap_base;
		in.snap = e->data;
		in.snap_bytes = e->snap_bytes <= data ? e->snap_bytes : 0;
		/* without a stack (it could not be read): the caller at least */
		in.fp = (const uint64_t *)&e->regs.ip;
		in.nfp = in.snap_bytes ? 0 : 1;
	}
	n += collector__unwind(c, p, &in, pcs + n, LS_MAX_STACK_DEPTH - n, &uflags);
	return process__intern_stack(p, pcs, n, flags | uflags);
}

void heapevents__on_malloc(struct collector *c, struct process *p,
			   const struct ls_malloc_event *e, size_t size)
{
	struct heapblocks *h = &p->heap;

	if (e->flags & LS_MALLOC_SAMPLED)
		h->sample_mean = mallocprobes__sample_mean(c->malloc);
	/* realloc's old block goes only now that the call succeeded. A
	 * realloc(p, 0) that freed p may have called free (seen already). */
	if (e->old_addr)
		heapblocks__retire(h, e->old_addr, e->call_ns, e->addr || e->size);
	if (e->addr && !(e->flags & LS_MALLOC_NO_NEW))
		heapblocks__alloc(h, e->addr, e->size, block_stack(c, p, e, size), e->hdr.ts_ns);
}

void heapevents__on_free(struct collector *c, struct process *p,
			 const struct ls_free_event *e)
{
	(void)c;
	if (!heapblocks__free(&p->heap, e->addr) && getenv("LS_DEBUG_FREE"))
		fprintf(stderr, "unknown free %llx tid %u probe %u\n", (unsigned long long)e->addr, e->hdr.tid, LS_MC_PROBE(e->cookie));
}
