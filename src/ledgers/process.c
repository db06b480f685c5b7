// SPDX-License-Identifier: MIT
#include "ledgers/process.h"
#include "ledgers/goproc.h"
#include "base/hashmap.h"
#include "symbols/stacks.h"
#include "base/strtab.h"
#include "symbols/tables.h"
#include "base/util.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Re-read /proc/PID/maps for unplaced frames at most this often. */
#define PROC_REREAD_NS (20 * 1000 * 1000ULL)

struct process *process__new(int pid, uint64_t page_size, struct tables *tables)
{
	struct process *p = xcalloc(1, sizeof(*p));

	p->pid = pid;
	p->seen_ns = now_ns();
	p->tables = tables;
	addrspace__init(&p->as, tables->modules);
	mappings__init(&p->maps, page_size);
	brkheap__init(&p->brk, page_size);
	fdtable__init(&p->fds);
	p->stack_cache = u64map__new(64);
	return p;
}

void process__free(struct process *p)
{
	if (!p)
		return;
	addrspace__clear(&p->as);
	mappings__clear(&p->maps);
	brkheap__clear(&p->brk);
	fdtable__clear(&p->fds);
	goproc__free(p->go);
	u64map__free(p->stack_cache);
	free(p);
}

void process__read_identity(struct process *p)
{
	char path[64], buf[PATH_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/comm", p->pid);
	if (read_line(path, buf, sizeof(buf)) == 0)
		snprintf(p->comm, sizeof(p->comm), "%.15s", buf);
	snprintf(path, sizeof(path), "/proc/%d/exe", p->pid);
	n = readlink(path, buf, sizeof(buf) - 1);
	if (n > 0) {
		buf[n] = '\0';
		p->exe = strtab__intern(p->tables->strings, buf);
	}
}

void process__exec_reset(struct process *p)
{
	mappings__clear(&p->maps);
	brkheap__clear(&p->brk);
	addrspace__clear(&p->as);
	/* /proc read before the exec showed the old image, or the new one
	 * before its loader mapped the libraries: the first code we cannot
	 * place may look again at once */
	p->as.last_proc_read_ns = 0;
	u64map__clear(p->stack_cache);
	goproc__free(p->go);	/* a new image: the hook decides again */
	p->go = NULL;
	p->execed = true;
}

void process__locate_code(struct process *p, uint64_t pc)
{
	uint32_t mod;
	uint64_t off;

	if (p->exited || addrspace__resolve(&p->as, pc, &mod, &off) ||
	    now_ns() - p->as.last_proc_read_ns <= PROC_REREAD_NS)
		return;
	addrspace__read_proc(&p->as, p->pid);
}

uint32_t process__intern_stack(struct process *p, const uint64_t *ips,
			       uint32_t n, uint32_t flags)
{
	uint64_t key, id;
	uint32_t miss = 0;

	if (!n)
		return STACK_NONE;
	key = hash_bytes(ips, n * sizeof(*ips), p->as.gen ^ (uint64_t)flags << 32);
	if (key == U64MAP_EMPTY)
		key--;
	if (u64map__get(p->stack_cache, key, &id))
		return (uint32_t)id;
	id = stacks__intern_raw(p->tables->stacks, &p->as, ips, n, flags, &miss);
	/* Code mapped since we last looked (dlopen, or code that was there
	 * before attach): look again while the process is alive. */
	if (miss && !p->exited && now_ns() - p->as.last_proc_read_ns > PROC_REREAD_NS &&
	    addrspace__read_proc(&p->as, p->pid) == 0) {
		key = hash_bytes(ips, n * sizeof(*ips), p->as.gen ^ (uint64_t)flags << 32);
		if (key == U64MAP_EMPTY)
			key--;
		id = stacks__intern_raw(p->tables->stacks, &p->as, ips, n, flags, &miss);
	}
	p->unresolved_frames += miss;
	u64map__put(p->stack_cache, key, id);
	return (uint32_t)id;
}

size_t process__items(const struct process *p)
{
	return p->maps.allocs + p->brk.n + p->fds.count;
}

static void mark_mapping(void *ctx, const struct mapping_alloc *a)
{
	struct tables *t = ctx;

	tables__mark_stack(t, a->stack);
	tables__mark_string(t, a->file);
}

static void mark_goroutine(void *ctx, const struct goroutine *gr)
{
	tables__mark_stack(ctx, gr->stack);
}

static void mark_go(struct tables *t, const struct goproc *g)
{
	goroutines__visit(&g->gor, mark_goroutine, t);
	for (size_t i = 0; i < g->allocs.n; i++)
		tables__mark_stack(t, g->allocs.t[i].stack);
	for (size_t i = 0; i < g->nheap; i++)
		tables__mark_stack(t, g->heap[i].stack);
}

void process__mark(const struct process *p)
{
	struct tables *t = p->tables;

	tables__mark_string(t, p->exe);
	addrspace__mark(&p->as);
	mappings__visit_allocs(&p->maps, mark_mapping, t);
	for (size_t i = 0; i < p->brk.n; i++)
		tables__mark_stack(t, p->brk.segs[i].stack);
	for (size_t fd = 0; fd < p->fds.cap; fd++) {
		const struct fd_item *it = p->fds.fds[fd];

		if (it) {
			tables__mark_stack(t, it->stack);
			tables__mark_string(t, it->path);
		}
	}
	if (p->go)
		mark_go(t, p->go);
}

void process__drop_swept(struct process *p)
{
	struct u64map *kept = u64map__new(u64map__len(p->stack_cache));
	uint64_t key, id;
	size_t it = 0;

	while (u64map__next(p->stack_cache, &it, &key, &id))
		if (stacks__live(p->tables->stacks, (uint32_t)id))
			u64map__put(kept, key, id);
	u64map__free(p->stack_cache);
	p->stack_cache = kept;
}
