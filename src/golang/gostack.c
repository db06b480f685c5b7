// SPDX-License-Identifier: MIT
#include "golang/gostack.h"
#include "golang/gobin_int.h"
#include "base/hashmap.h"
#include "base/util.h"

#include <string.h>


/* The pcs a binary's stacks hold are its call sites, but a stack read
 * from a target's memory can hold any value: past this many the cache
 * starts again rather than grow with what a broken or hostile target
 * hands it. */
#define GOSTACK_PCINFO_MAX (1u << 20)

static const struct gobin_pcinfo *pcinfo(struct gobin *bin, uint64_t vaddr)
{
	static const struct gobin_pcinfo in_no_function;	/* found = 0 */
	struct gobin_pcinfo found = { .found = 1 }, *i;
	uint64_t idx, entry;
	const char *func;

	if (bin->pcinfo_index && u64map__get(bin->pcinfo_index, vaddr, &idx))
		return &bin->pcinfos[idx];
	/* a pc in no function ends the walk; it is not kept */
	if (gobin__frame_size(bin, vaddr, &func, &entry, &found.spdelta))
		return &in_no_function;
	if (bin->npcinfos >= GOSTACK_PCINFO_MAX)
		gobin_pcinfo_free(bin);
	if (!bin->pcinfo_index)
		bin->pcinfo_index = u64map__new(256);
	found.entry = vaddr == entry;
	found.goexit = !strcmp(func, "runtime.goexit");
	/* where a stack starts: the runtime's own start-up frames */
	found.top = !strcmp(func, "runtime.mstart") || !strcmp(func, "runtime.rt0_go");
	grow_array((void **)&bin->pcinfos, &bin->cap_pcinfos, bin->npcinfos + 1,
		   sizeof(*bin->pcinfos));
	i = &bin->pcinfos[bin->npcinfos];
	*i = found;
	u64map__put(bin->pcinfo_index, vaddr, bin->npcinfos++);
	return i;
}

uint32_t gostack__walk(struct gobin *bin, uint64_t bias, uint64_t pc, uint64_t sp,
		       const uint8_t *stack, uint64_t base, size_t len, uint64_t *pcs,
		       uint32_t max, unsigned *flags)
{
	uint32_t n = 0;

	*flags = 0;
	while (n < max && pc) {
		const struct gobin_pcinfo *i = pcinfo(bin, pc - bias);
		uint64_t at;

		if (!i->found) {
			*flags |= GOSTACK_BROKEN;
			return n;
		}
		if (i->goexit)
			return n;
		/* A goroutine about to start stopped at its function's
		 * entry: an exact pc, not a return address. */
		if (!n && i->entry)
			*flags |= GOSTACK_LEAF_EXACT;
		pcs[n++] = pc;
		if (i->top)
			return n;
		/* sp comes from the target's memory (g.sched.sp, then each
		 * frame's slot): compare offsets, which cannot wrap, never
		 * at + 8 against base + len. */
		at = sp + (uint64_t)(int64_t)i->spdelta;
		if (i->spdelta < 0 || at < sp || at < base || len < 8 ||
		    at - base > len - 8) {
			*flags |= GOSTACK_TRUNCATED;
			return n;
		}
		memcpy(&pc, stack + (at - base), 8);
		sp = at + 8;
	}
	if (n == max)
		*flags |= GOSTACK_TRUNCATED;
	return n;
}

void gobin_pcinfo_free(struct gobin *bin)
{
	u64map__free(bin->pcinfo_index);
	free(bin->pcinfos);
	bin->pcinfo_index = NULL;
	bin->pcinfos = NULL;
	bin->npcinfos = bin->cap_pcinfos = 0;
}
