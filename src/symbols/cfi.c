// SPDX-License-Identifier: MIT
#include "symbols/cfi.h"
#include "base/hashmap.h"
#include "base/util.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <errno.h>
#include <fcntl.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct cfi {
	int fd;
	Elf *elf;
	Dwarf *dwarf;		/* for .debug_frame, may be NULL */
	Dwarf_CFI *eh;		/* .eh_frame, may be NULL */
	Dwarf_CFI *debug;	/* .debug_frame, may be NULL */
	struct u64map *cache;	/* vaddr -> index + 1 into rules, or ~error */
	struct cfi_rule *rules;
	size_t nrules, caprules;
};

struct cfi *cfi__open(const char *path, const char **why)
{
	struct cfi *c = xcalloc(1, sizeof(*c));

	c->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (c->fd < 0) {
		*why = "cannot open file";
		errno = ENOENT;
		free(c);
		return NULL;
	}
	elf_version(EV_CURRENT);
	c->elf = elf_begin(c->fd, ELF_C_READ_MMAP, NULL);
	if (!c->elf || elf_kind(c->elf) != ELF_K_ELF) {
		*why = "not an ELF file";
		cfi__free(c);
		errno = EINVAL;
		return NULL;
	}
	c->eh = dwarf_getcfi_elf(c->elf);
	c->dwarf = dwarf_begin_elf(c->elf, DWARF_C_READ, NULL);
	if (c->dwarf)
		c->debug = dwarf_getcfi(c->dwarf);
	if (!c->eh && !c->debug) {
		*why = "no .eh_frame or .debug_frame";
		cfi__free(c);
		errno = ENODATA;
		return NULL;
	}
	c->cache = u64map__new(256);
	return c;
}

void cfi__free(struct cfi *c)
{
	if (!c)
		return;
	if (c->eh)
		dwarf_cfi_end(c->eh);
	if (c->dwarf)
		dwarf_end(c->dwarf);	/* owns c->debug */
	if (c->elf)
		elf_end(c->elf);
	if (c->fd >= 0)
		close(c->fd);
	u64map__free(c->cache);
	free(c->rules);
	free(c);
}

uint64_t cfi__cached(const struct cfi *c)
{
	return c ? u64map__len(c->cache) : 0;
}

void cfi__forget_rules(struct cfi *c)
{
	if (!c)
		return;
	u64map__free(c->cache);
	c->cache = u64map__new(256);
	free(c->rules);
	c->rules = NULL;
	c->nrules = c->caprules = 0;
}

size_t cfi__bytes(const struct cfi *c)
{
	return c ? sizeof(*c) + u64map__bytes(c->cache) + c->caprules * sizeof(*c->rules) : 0;
}

/* CFA = reg + off is all compilers emit outside PLTs and hand-written
 * signal trampolines; anything else is reported as unsupported. */
static int cfa_rule(Dwarf_Frame *frame, struct cfi_rule *r)
{
	Dwarf_Op *ops;
	size_t nops;
	unsigned reg;

	if (dwarf_frame_cfa(frame, &ops, &nops) || nops == 0)
		return -EINVAL;
	if (nops != 1)
		return -ENOTSUP;
	if (ops[0].atom >= DW_OP_breg0 && ops[0].atom <= DW_OP_breg31)
		reg = ops[0].atom - DW_OP_breg0;
	else if (ops[0].atom == DW_OP_bregx)
		reg = (unsigned)ops[0].number;
	else
		return -ENOTSUP;
	if (reg != CFI_REG_RSP && reg != CFI_REG_RBP)
		return -ENOTSUP;
	r->cfa_reg = (uint8_t)reg;
	r->cfa_off = (int32_t)(int64_t)(ops[0].atom == DW_OP_bregx ?
					ops[0].number2 : ops[0].number);
	return 0;
}

static int reg_rule(Dwarf_Frame *frame, int regno, uint8_t *rule, int32_t *off)
{
	Dwarf_Op mem[3], *ops;
	size_t nops;
	bool value = false;

	if (dwarf_frame_register(frame, regno, mem, &ops, &nops))
		return -EINVAL;
	*off = 0;
	if (nops == 0) {
		*rule = ops ? CFI_UNDEFINED : CFI_SAME;
		return 0;
	}
	if (ops[nops - 1].atom == DW_OP_stack_value) {
		value = true;
		nops--;
	}
	if (nops < 1 || nops > 2 || ops[0].atom != DW_OP_call_frame_cfa)
		return -ENOTSUP;
	if (nops == 2) {
		if (ops[1].atom != DW_OP_plus_uconst)
			return -ENOTSUP;
		*off = (int32_t)(int64_t)ops[1].number;	/* wraps for negatives */
	}
	*rule = value ? CFI_VAL_CFA : CFI_AT_CFA;
	return 0;
}

static int compute(struct cfi *c, uint64_t vaddr, struct cfi_rule *r)
{
	Dwarf_CFI *tables[2] = { c->eh, c->debug };
	Dwarf_Frame *frame = NULL;
	int err = -ENOENT;

	memset(r, 0, sizeof(*r));
	for (int i = 0; i < 2 && !frame; i++)
		if (tables[i] && dwarf_cfi_addrframe(tables[i], vaddr, &frame))
			frame = NULL;
	if (!frame)
		return -ENOENT;
	err = cfa_rule(frame, r);
	if (!err)
		err = reg_rule(frame, CFI_REG_RA, &r->ra_rule, &r->ra_off);
	if (!err && reg_rule(frame, CFI_REG_RBP, &r->bp_rule, &r->bp_off))
		r->bp_rule = CFI_UNDEFINED;	/* RBP unknown, RA still fine */
	free(frame);
	return err;
}

int cfi__rule(struct cfi *c, uint64_t vaddr, struct cfi_rule *out)
{
	uint64_t v;
	int err;

	if (!c)
		return -ENOENT;
	if (u64map__get(c->cache, vaddr, &v)) {
		if ((int64_t)v < 0)
			return (int)(int64_t)v;
		*out = c->rules[v];
		return 0;
	}
	err = compute(c, vaddr, out);
	if (err) {
		u64map__put(c->cache, vaddr, (uint64_t)(int64_t)err);
		return err;
	}
	grow_array((void **)&c->rules, &c->caprules, c->nrules + 1, sizeof(*c->rules));
	c->rules[c->nrules] = *out;
	u64map__put(c->cache, vaddr, c->nrules++);
	return 0;
}
