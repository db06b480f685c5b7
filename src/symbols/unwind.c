// SPDX-License-Identifier: MIT
#include "symbols/unwind.h"
#include "symbols/addrspace.h"
#include "symbols/cfi.h"
#include "base/elfinfo.h"
#include "symbols/modules.h"

#include <stdbool.h>
#include <string.h>

static bool read_u64(const struct unwind_snapshot *s, uint64_t addr,
		     uint64_t *out)
{
	if (addr < s->base || addr - s->base > s->len || s->len - (addr - s->base) < 8)
		return false;
	memcpy(out, s->data + (addr - s->base), 8);
	return true;
}

/* The CFI rule for pc, or false when its code has none. */
static bool rule_for(const struct addrspace *as, uint64_t pc, bool exact,
		     struct cfi_rule *rule)
{
	const struct elf_info *e;
	struct module *m;
	uint32_t mod;
	uint64_t off, vaddr;

	if (!addrspace__resolve(as, pc, &mod, &off) || !(m = modules__get(as->mods, mod)))
		return false;
	e = modules__elf(m);
	/* A return address may sit just past the end of a function whose
	 * last instruction is a call: look up the call itself. */
	if (!e || !elfinfo__offset_to_vaddr(e, off - !exact, &vaddr))
		return false;
	return cfi__rule(modules__cfi(m), vaddr, rule) == 0;
}

uint32_t unwind__stack(const struct addrspace *as, const struct unwind_regs *r,
		       const struct unwind_snapshot *s, uint64_t *pcs,
		       uint32_t max, uint32_t *flags)
{
	uint64_t pc = r->ip, sp = r->sp, bp = r->bp;
	bool exact = true;
	uint32_t n = 0;

	*flags = 0;
	while (n < max) {
		struct cfi_rule rule;
		uint64_t ra, cfa, new_bp = bp;

		pcs[n++] = pc;
		if (rule_for(as, pc, exact, &rule)) {
			cfa = (rule.cfa_reg == CFI_REG_RSP ? sp : bp) + (int64_t)rule.cfa_off;
			if (rule.ra_rule == CFI_UNDEFINED) {
				*flags |= UNWIND_END_CLEAN;
				return n;
			}
			if (rule.ra_rule != CFI_AT_CFA) {
				*flags |= UNWIND_END_BROKEN;
				return n;
			}
			if (!read_u64(s, cfa + (int64_t)rule.ra_off, &ra)) {
				*flags |= UNWIND_END_SNAPSHOT;
				return n;
			}
			if (rule.bp_rule == CFI_AT_CFA) {
				if (!read_u64(s, cfa + (int64_t)rule.bp_off, &new_bp)) {
					*flags |= UNWIND_END_SNAPSHOT;
					return n;
				}
			} else if (rule.bp_rule == CFI_VAL_CFA) {
				new_bp = cfa + (int64_t)rule.bp_off;
			} else if (rule.bp_rule == CFI_UNDEFINED) {
				new_bp = 0;
			}
		} else {
			/* No CFI: follow the frame-pointer chain, which Go and
			 * most JITs keep. RBP 0 is how the outermost frame
			 * (the kernel's entry state) ends the chain. */
			if (bp == 0) {
				*flags |= UNWIND_END_CLEAN;
				return n;
			}
			if (bp < sp) {
				*flags |= UNWIND_END_BROKEN;
				return n;
			}
			if (!read_u64(s, bp + 8, &ra) || !read_u64(s, bp, &new_bp)) {
				*flags |= UNWIND_END_SNAPSHOT;
				return n;
			}
			cfa = bp + 16;
			*flags |= UNWIND_USED_FP;
		}
		/* A return address in the first page is the bottom of the
		 * stack (argc, or the zero the kernel leaves), not code. */
		if (ra < 4096) {
			*flags |= UNWIND_END_CLEAN;
			return n;
		}
		/* The stack only grows toward lower addresses: a caller's
		 * frame is above ours, or the unwind has gone wrong. */
		if (cfa <= sp) {
			*flags |= UNWIND_END_BROKEN;
			return n;
		}
		pc = ra;
		sp = cfa;
		bp = new_bp;
		exact = false;
	}
	*flags |= UNWIND_END_DEPTH;
	return n;
}

uint32_t unwind__stitch(uint64_t *pcs, uint32_t n, uint32_t max,
			const uint64_t *fp, uint32_t nfp)
{
	if (!n)
		return 0;
	for (uint32_t j = 1; j < nfp; j++) {
		if (fp[j] != pcs[n - 1])
			continue;
		for (uint32_t k = j + 1; k < nfp && n < max; k++)
			pcs[n++] = fp[k];
		break;
	}
	return n;
}
