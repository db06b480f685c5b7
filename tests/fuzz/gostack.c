// SPDX-License-Identifier: MIT
/*
 * Fuzz target: walking a goroutine's stack (golang/gostack.c). The stack
 * bytes, the stack pointer and the stack's base all come from the traced
 * process's memory (g.sched, g.stack, the frames themselves), which a
 * hostile target controls; the function table is a real one (the
 * committed seed elf/go119-mini), so the walk follows real pcsp tables.
 *
 * Input: function index u16, pc offset in it u16, sp u64, base u64, then
 * the stack's bytes. Every frame returned must be a pc of the binary's
 * table, and never more than asked for.
 */
#include "fuzz.h"
#include "golang/gobin_int.h"
#include "golang/gostack.h"

#include <stdlib.h>
#include <string.h>

#define MAX_FRAMES 64
#define HEAD 20

static struct gobin *host;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *why = NULL;

	host = gobin__open(LS_SOURCE_DIR "/tests/fuzz/corpus/elf/go119-mini", &why);
	if (!host)
		fuzz_fail("cannot open the host binary: %s", why);
	if (!host->pcln.nfunc)
		fuzz_fail("the host binary has no function table");
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t pcs[MAX_FRAMES], sp, base, pc;
	struct gopclntab_func f;
	uint16_t index, off;
	unsigned flags;
	uint32_t n;

	if (size < HEAD)
		return 0;
	memcpy(&index, data, 2);
	memcpy(&off, data + 2, 2);
	memcpy(&sp, data + 4, 8);
	memcpy(&base, data + 12, 8);
	if (gopclntab__func(&host->pcln, index % host->pcln.nfunc, &f))
		return 0;
	pc = f.entry + off;
	/* a copy of exactly the stack's length: ASan sees any read past it */
	size -= HEAD;
	uint8_t *stack = malloc(size ? size : 1);
	memcpy(stack, data + HEAD, size);
	n = gostack__walk(host, 0, pc, sp, stack, base, size, pcs, MAX_FRAMES, &flags);
	free(stack);
	if (n > MAX_FRAMES)
		fuzz_fail("%u frames for at most %d", n, MAX_FRAMES);
	for (uint32_t i = 0; i < n; i++) {
		struct gopclntab_func g;

		if (gopclntab__find_pc(&host->pcln, pcs[i], &g))
			fuzz_fail("frame %u: pc %#lx in no function", i, (unsigned long)pcs[i]);
	}
	return 0;
}
