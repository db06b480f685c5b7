// SPDX-License-Identifier: MIT
#include "trace/memusage.h"
#include "base/smaps.h"
#include "base/util.h"
#include "ledgers/process.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

struct measure {
	const struct smaps_vma *vmas;
	size_t n;
	int pagemap;		/* -1 when it cannot be opened */
	uint64_t page_size;
	uint64_t now;
};

/* First mapping that ends above addr. */
static size_t first_after(const struct measure *m, uint64_t addr)
{
	size_t lo = 0, hi = m->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (m->vmas[mid].end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Add what [start, end) uses to *resident and *committed. */
static void use_of(const struct measure *m, uint64_t start, uint64_t end,
		   uint64_t *resident, uint64_t *committed)
{
	for (size_t i = first_after(m, start); i < m->n && m->vmas[i].start < end; i++) {
		const struct smaps_vma *v = &m->vmas[i];
		uint64_t from = MAX(start, v->start), to = MIN(end, v->end), bytes;

		if (from >= to)
			continue;
		if (v->accounted)
			*committed += to - from;
		if (!v->rss_bytes)
			continue;
		if (from == v->start && to == v->end)
			*resident += v->rss_bytes;
		else if (m->pagemap >= 0 &&
			 pagemap__resident(m->pagemap, from, to, m->page_size, &bytes) == 0)
			*resident += bytes;
	}
}

static void measure_piece(void *ctx, struct mapping_alloc *a, uint64_t start, uint64_t end)
{
	struct measure *m = ctx;

	/* The first piece of an allocation this round starts it afresh. */
	if (a->measured_ns != m->now) {
		a->resident_bytes = a->committed_bytes = 0;
		a->measured_ns = m->now;
	}
	use_of(m, start, end, &a->resident_bytes, &a->committed_bytes);
}

int memusage__refresh(struct process *p, uint64_t now_ns)
{
	struct measure m = { .page_size = p->maps.page_size, .now = now_ns };
	struct smaps_vma *vmas;
	char path[64];
	int err;

	if (p->exited)
		return -ESRCH;
	err = smaps__read(p->pid, &vmas, &m.n);
	if (err)
		return err;
	m.vmas = vmas;
	snprintf(path, sizeof(path), "/proc/%d/pagemap", p->pid);
	m.pagemap = open(path, O_RDONLY | O_CLOEXEC);
	mappings__visit_pieces(&p->maps, measure_piece, &m);
	for (size_t i = 0; i < p->brk.n; i++) {
		struct brk_segment *s = &p->brk.segs[i];

		s->resident_bytes = s->committed_bytes = 0;
		s->measured_ns = now_ns;
		use_of(&m, s->start, s->end, &s->resident_bytes, &s->committed_bytes);
	}
	if (m.pagemap >= 0)
		close(m.pagemap);
	free(vmas);
	p->memory_measured_ns = now_ns;
	return 0;
}
