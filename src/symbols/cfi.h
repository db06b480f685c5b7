/* SPDX-License-Identifier: MIT */
/*
 * Call-frame information of one ELF file (.eh_frame, else .debug_frame),
 * reduced to what an x86_64 unwinder needs at a pc: where the CFA is,
 * where the return address and the caller's RBP were saved. Parsing is
 * elfutils' libdw; rules are cached per pc, so each pc costs the FDE
 * search and CFA program once per binary.
 */
#ifndef LS_CFI_H
#define LS_CFI_H

#include <stddef.h>
#include <stdint.h>

enum cfi_reg_rule {
	CFI_SAME = 0,		/* the caller's value is this frame's */
	CFI_UNDEFINED,		/* cannot be recovered (end of stack for RA) */
	CFI_AT_CFA,		/* saved in memory at CFA + off */
	CFI_VAL_CFA,		/* the value is CFA + off */
};

#define CFI_REG_RBP 6		/* DWARF numbers on x86_64 */
#define CFI_REG_RSP 7
#define CFI_REG_RA 16

struct cfi_rule {
	uint8_t cfa_reg;	/* CFI_REG_RSP or CFI_REG_RBP */
	uint8_t ra_rule, bp_rule;	/* enum cfi_reg_rule */
	int32_t cfa_off;
	int32_t ra_off, bp_off;
};

struct cfi;

/* NULL with errno set (ENOENT no file, ENODATA no CFI, EINVAL not ELF);
 * *why says what in words. */
struct cfi *cfi__open(const char *path, const char **why);
void cfi__free(struct cfi *c);
/* Rule at link-time address vaddr: 0, -ENOENT (no FDE covers it),
 * -ENOTSUP (a rule we do not evaluate, e.g. a DWARF expression), or
 * -EINVAL (malformed CFI). */
int cfi__rule(struct cfi *c, uint64_t vaddr, struct cfi_rule *out);
/* Number of distinct pcs whose rule is cached (for benchmarks). */
uint64_t cfi__cached(const struct cfi *c);
/* Memory of the rule cache (libdw's own is not counted). */
size_t cfi__bytes(const struct cfi *c);
/* Empty the rule cache: rules are found again when asked for. */
void cfi__forget_rules(struct cfi *c);

#endif
