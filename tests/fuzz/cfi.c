// SPDX-License-Identifier: MIT
/*
 * Fuzz target: call-frame information (.eh_frame / .debug_frame) of an
 * ELF file, through libdw and leakscope's per-pc rule cache
 * (symbols/cfi.c): every native stack is unwound with it, from files
 * the traced process chose. Rules are asked for across each executable
 * segment, twice (the second answer comes from the cache and must be the
 * same).
 */
#include "fuzz.h"
#include "base/elfinfo.h"
#include "symbols/cfi.h"

#include <elf.h>
#include <string.h>
#include <unistd.h>

#define MAX_QUERIES 256

static void ask(struct cfi *c, uint64_t pc)
{
	struct cfi_rule r1, r2;
	int e1 = cfi__rule(c, pc, &r1), e2 = cfi__rule(c, pc, &r2);

	if (e1 != e2 || (!e1 && memcmp(&r1, &r2, sizeof(r1))))
		fuzz_fail("rule at %#llx changed once cached (%d then %d)",
			  (unsigned long long)pc, e1, e2);
	if (!e1 && r1.cfa_reg != CFI_REG_RSP && r1.cfa_reg != CFI_REG_RBP)
		fuzz_fail("CFA register %u is neither RSP nor RBP", r1.cfa_reg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct elf_info ei;
	const char *why;
	char path[64];
	int fd = fuzz_file(data, size, path, sizeof(path));
	struct cfi *c;
	size_t asked = 0;

	if (fd < 0)
		return 0;
	c = cfi__open(path, &why);
	if (c && !elfinfo__read_fd(fd, &ei, &why)) {
		for (size_t i = 0; i < ei.nloads; i++) {
			const struct elf_segment *s = &ei.loads[i];
			uint64_t step = s->memsz / 64 + 1;

			if (!(s->flags & PF_X))
				continue;
			for (uint64_t off = 0; off < s->memsz && asked < MAX_QUERIES;
			     off += step, asked++)
				ask(c, s->vaddr + off);
		}
		elfinfo__free(&ei);
	}
	if (c) {	/* pcs off any segment, as garbage return addresses are */
		ask(c, 0);
		ask(c, UINT64_MAX);
	}
	cfi__free(c);
	close(fd);
	return 0;
}
