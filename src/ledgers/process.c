// SPDX-License-Identifier: MIT
#include "ledgers/process.h"
#include "ledgers/goproc.h"
#include "base/hashmap.h"
#include "symbols/stacks.h"
#include "base/intern.h"
#include "base/util.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Re-read /proc/PID/maps for unplaced frames at most this often. */
#define PROC_REREAD_NS (20 * NS_PER_MS)

struct process *process__new(int pid, uint64_t page_size)
{
	struct process *p = xcalloc(1, sizeof(*p));

	p->pid = pid;
	p->seen_ns = now_ns();
	addrspace__init(&p->as);
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
		p->exe = intern(buf);
	}
}

void process__exec_reset(struct process *p)
{
	mappings__clear(&p->maps);
	brkheap__clear(&p->brk);
	addrspace__clear(&p->as);
	u64map__clear(p->stack_cache);
	goproc__free(p->go);	/* a new image: the hook decides again */
	p->go = NULL;
	p->execed = true;
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
	id = stacks__intern_raw(&p->as, ips, n, flags, &miss);
	/* Code mapped since we last looked (dlopen, or code that was there
	 * before attach): look again while the process is alive. */
	if (miss && !p->exited && now_ns() - p->as.last_proc_read_ns > PROC_REREAD_NS &&
	    addrspace__read_proc(&p->as, p->pid) == 0) {
		key = hash_bytes(ips, n * sizeof(*ips), p->as.gen ^ (uint64_t)flags << 32);
		if (key == U64MAP_EMPTY)
			key--;
		id = stacks__intern_raw(&p->as, ips, n, flags, &miss);
	}
	p->unresolved_frames += miss;
	u64map__put(p->stack_cache, key, id);
	return (uint32_t)id;
}

size_t process__items(const struct process *p)
{
	return p->maps.allocs + p->brk.n + p->fds.count;
}
