// SPDX-License-Identifier: MIT
/*
 * Fuzz target: a Go function table (.gopclntab) on its own, the table
 * every Go binary on the host hands leakscope. Every function record,
 * file:line at its entry and end, inlined frames (funcdata is looked up
 * inside the table itself), and pc lookups.
 */
#include "fuzz.h"
#include "golang/gopclntab.h"

#define TABLE_VADDR 0x480000
#define MAX_FUNCS 256

static void walk_inline(const struct gopclntab *t, const struct gopclntab_func *f,
			uint64_t pc)
{
	int32_t ix;

	/* As the symbolizer does: follow the tree outwards, at most 8 deep. */
	for (int depth = 0; depth < 8; depth++) {
		struct gopclntab_inl inl;

		if (gopclntab__pcdata(t, f, GOPCLNTAB_PCDATA_INLTREEINDEX, pc, &ix) ||
		    ix < 0 || gopclntab__inl(t, f, ix, &inl))
			return;
		pc = f->entry + (uint64_t)inl.parent_pc;
	}
}

static void one_pc(const struct gopclntab *t, const struct gopclntab_func *f, uint64_t pc)
{
	struct gopclntab_func found;
	const char *file;
	int line;
	int32_t sp;

	gopclntab__fileline(t, f, pc, &file, &line);
	gopclntab__pcvalue(t, f, f->pcsp, pc, &sp);
	walk_inline(t, f, pc);
	gopclntab__find_pc(t, pc, &found);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gopclntab t;
	const char *why;

	if (gopclntab__init(&t, data, size, TABLE_VADDR, &why))
		return 0;
	/* funcdata offsets then point into the table itself */
	t.gofunc = TABLE_VADDR;
	for (uint64_t i = 0; i < t.nfunc && i < MAX_FUNCS; i++) {
		struct gopclntab_func f;

		if (gopclntab__func(&t, (uint32_t)i, &f))
			continue;
		gopclntab__name(&t, 0);
		gopclntab__file(&t, &f, 0);
		gopclntab__funcdata(&t, &f, GOPCLNTAB_FUNCDATA_INLTREE);
		one_pc(&t, &f, f.entry);
		if (f.end > f.entry)
			one_pc(&t, &f, f.end - 1);
	}
	return 0;
}
