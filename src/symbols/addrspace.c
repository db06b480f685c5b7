// SPDX-License-Identifier: MIT
#include "symbols/addrspace.h"
#include "symbols/modules.h"
#include "base/procmaps.h"
#include "base/util.h"

#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#define PAGE 4096ULL	/* x86_64 */

void addrspace__init(struct addrspace *as, struct modules *mods)
{
	memset(as, 0, sizeof(*as));
	as->mods = mods;
}

void addrspace__clear(struct addrspace *as)
{
	free(as->v);
	as->v = NULL;
	as->n = as->cap = 0;
	as->gen++;
}

void addrspace__copy(struct addrspace *dst, const struct addrspace *src)
{
	addrspace__clear(dst);
	if (!src->n)
		return;
	grow_array((void **)&dst->v, &dst->cap, src->n, sizeof(*dst->v));
	memcpy(dst->v, src->v, src->n * sizeof(*dst->v));
	dst->n = src->n;
}

/* First index whose end is above addr. */
static size_t lower_bound(const struct addrspace *as, uint64_t addr)
{
	size_t lo = 0, hi = as->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (as->v[mid].end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

void addrspace__add(struct addrspace *as, uint64_t start, uint64_t end,
		    uint64_t pgoff, uint32_t module)
{
	size_t i = lower_bound(as, start), j = i;
	struct as_vma keep_tail = { 0 };
	bool tail = false;

	if (start >= end)
		return;
	/* Trim an entry that starts below and reaches into the new one. */
	if (i < as->n && as->v[i].start < start) {
		if (as->v[i].end > end) {
			keep_tail = as->v[i];
			keep_tail.pgoff += end - keep_tail.start;
			keep_tail.start = end;
			tail = true;
		}
		as->v[i].end = start;
		i++;
		j = i;
	}
	/* Drop entries inside; trim one that continues past the end. */
	while (j < as->n && as->v[j].start < end) {
		if (as->v[j].end > end) {
			as->v[j].pgoff += end - as->v[j].start;
			as->v[j].start = end;
			break;
		}
		j++;
	}
	grow_array((void **)&as->v, &as->cap, as->n + 2, sizeof(*as->v));
	/* Replace [i, j) by the new entry (and the split-off tail). */
	{
		size_t add = 1 + tail, del = j - i;

		memmove(as->v + i + add, as->v + j, (as->n - j) * sizeof(*as->v));
		as->n = as->n - del + add;
		as->v[i] = (struct as_vma){ start, end, pgoff, module };
		if (tail)
			as->v[i + 1] = keep_tail;
	}
	as->gen++;
}

int addrspace__read_proc(struct addrspace *as, int pid)
{
	struct procmap *maps;
	size_t n;
	int err;

	err = procmaps__read(pid, &maps, &n);
	if (err)
		return err;
	/* A process that is exiting (or a zombie) shows no mappings: keep
	 * what we knew rather than forget everything. */
	if (!n) {
		procmaps__free(maps, n);
		return -ESRCH;
	}
	addrspace__clear(as);
	for (size_t i = 0; i < n; i++) {
		const struct procmap *m = &maps[i];
		uint32_t mod;

		if (m->perms[2] != 'x')
			continue;
		if (strcmp(m->path, "[vdso]") == 0)
			mod = modules__vdso(as->mods);
		else if (m->inode && m->path[0] == '/')
			mod = modules__add(as->mods, m->path,
					   makedev(m->dev_major, m->dev_minor),
					   m->inode, pid);
		else
			continue;	/* anonymous executable memory (JIT) */
		if (mod != MODULE_NONE)
			addrspace__add(as, m->start, m->end, m->pgoff, mod);
	}
	procmaps__free(maps, n);
	as->last_proc_read_ns = now_ns();
	return 0;
}

/* Map every executable PT_LOAD of a module loaded with the given bias. */
static void add_loaded_elf(struct addrspace *as, uint32_t id, uint64_t bias)
{
	struct module *m = modules__get(as->mods, id);
	const struct elf_info *e = m ? modules__elf(m) : NULL;

	for (size_t i = 0; e && i < e->nloads; i++) {
		const struct elf_segment *s = &e->loads[i];
		/* the kernel maps segments in whole pages */
		uint64_t start = (bias + s->vaddr) & ~(PAGE - 1);
		uint64_t end = (bias + s->vaddr + s->filesz + PAGE - 1) & ~(PAGE - 1);

		if (s->flags & PF_X)
			addrspace__add(as, start, end, s->offset & ~(PAGE - 1), id);
	}
}

static uint64_t auxv_get(const uint64_t *auxv, size_t words, uint64_t type)
{
	for (size_t i = 0; i + 1 < words && auxv[i] != AT_NULL; i += 2)
		if (auxv[i] == type)
			return auxv[i + 1];
	return 0;
}

bool addrspace__from_exec(struct addrspace *as, int pid, const char *path,
			  uint64_t dev, uint64_t ino, const uint64_t *auxv,
			  size_t auxv_words)
{
	uint64_t at_phdr = auxv_get(auxv, auxv_words, AT_PHDR);
	uint64_t at_base = auxv_get(auxv, auxv_words, AT_BASE);
	uint64_t vdso = auxv_get(auxv, auxv_words, AT_SYSINFO_EHDR);
	uint32_t exe = modules__add(as->mods, path, dev, ino, pid);
	struct module *m = modules__get(as->mods, exe);
	const struct elf_info *e = m ? modules__elf(m) : NULL;
	bool placed = false;

	/* The process is gone and its path leads nowhere (relative, or
	 * renamed): the same file may be open already, as the command we
	 * launched is. */
	if (!e && (exe = modules__find_readable(as->mods, dev, ino)) != MODULE_NONE)
		e = modules__elf(modules__get(as->mods, exe));
	addrspace__clear(as);
	if (e && e->has_phdr_vaddr && at_phdr) {
		add_loaded_elf(as, exe, at_phdr - e->phdr_vaddr);
		placed = true;
	}
	if (e && e->interp[0] && at_base) {
		struct stat st;
		uint32_t ld;

		if (stat(e->interp, &st) == 0)
			ld = modules__add(as->mods, e->interp, st.st_dev, st.st_ino, pid);
		else
			ld = modules__add(as->mods, e->interp, 0, 0, pid);
		add_loaded_elf(as, ld, at_base);
	}
	if (vdso) {	/* two pages on x86_64; the exact size does not matter */
		uint32_t id = modules__vdso(as->mods);

		if (id != MODULE_NONE)
			addrspace__add(as, vdso, vdso + 2 * 4096, 0, id);
	}
	return placed;
}

bool addrspace__resolve(const struct addrspace *as, uint64_t addr,
			uint32_t *module, uint64_t *file_offset)
{
	size_t i = lower_bound(as, addr);

	if (i >= as->n || as->v[i].start > addr)
		return false;
	*module = as->v[i].module;
	*file_offset = addr - as->v[i].start + as->v[i].pgoff;
	return true;
}

void addrspace__mark(const struct addrspace *as)
{
	for (size_t i = 0; i < as->n; i++)
		modules__mark(as->mods, as->v[i].module);
}
