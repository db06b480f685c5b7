// SPDX-License-Identifier: MIT
/*
 * The CFI reader and the unwinder, on committed ELF inputs
 * (tests/unit/data, see make-cfi-inputs.sh). Ground truth for the rules
 * is binutils' own reading of the same file: readelf --debug-dump=frames-interp.
 */
#include "check.h"
#include "symbols/addrspace.h"
#include "symbols/cfi.h"
#include "symbols/modules.h"
#include "symbols/tables.h"
#include "symbols/unwind.h"

#include <elf.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#define SAMPLE "data/cfi_sample.so"

/* Modules are registered by absolute path, as /proc names them. */
static uint32_t sample_module(struct tables *t)
{
	char abs[PATH_MAX];

	return modules__add(t->modules, realpath(SAMPLE, abs) ? abs : SAMPLE, 0, 0, 0);
}

struct row {
	uint64_t loc, end;	/* the row applies to [loc, end) */
	char cfa[32], rbp[16], ra[16];
};

/* Rows of every FDE as readelf interprets them; FDEs without rows get
 * one row covering them with the CIE's initial rule (rsp+8, ra c-8). */
static size_t readelf_rows(const char *path, struct row *rows, size_t max)
{
	char cmd[256], line[512];
	int col_rbp = -1, col_ra = -1;
	uint64_t fde_lo = 0, fde_hi = 0;
	size_t n = 0, fde_first = 0;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "readelf --debug-dump=frames-interp %s", path);
	p = popen(cmd, "r");
	if (!p)
		return 0;
	while (fgets(line, sizeof(line), p)) {
		char *pc = strstr(line, " FDE ");
		char tok[12][32];
		int nt;

		if (pc && (pc = strstr(line, "pc="))) {
			/* close the previous FDE's last row, or give it one */
			if (fde_hi && n == fde_first && n < max)
				rows[n++] = (struct row){ fde_lo, fde_hi, "rsp+8", "u", "c-8" };
			if (n > fde_first)
				rows[n - 1].end = fde_hi;
			sscanf(pc, "pc=%lx..%lx", &fde_lo, &fde_hi);
			fde_first = n;
			col_rbp = col_ra = -1;
			continue;
		}
		if (strstr(line, "LOC") && strstr(line, "CFA")) {
			nt = sscanf(line, "%31s %31s %31s %31s %31s %31s %31s %31s %31s %31s %31s %31s",
				    tok[0], tok[1], tok[2], tok[3], tok[4], tok[5], tok[6],
				    tok[7], tok[8], tok[9], tok[10], tok[11]);
			for (int i = 0; i < nt; i++) {
				if (!strcmp(tok[i], "rbp"))
					col_rbp = i;
				if (!strcmp(tok[i], "ra"))
					col_ra = i;
			}
			continue;
		}
		if (!fde_hi || strlen(line) < 17 || line[16] != ' ')
			continue;
		nt = sscanf(line, "%31s %31s %31s %31s %31s %31s %31s %31s %31s %31s %31s %31s",
			    tok[0], tok[1], tok[2], tok[3], tok[4], tok[5], tok[6], tok[7],
			    tok[8], tok[9], tok[10], tok[11]);
		if (nt < 2 || n >= max)
			continue;
		if (n > fde_first)
			rows[n - 1].end = strtoull(tok[0], NULL, 16);
		rows[n].loc = strtoull(tok[0], NULL, 16);
		rows[n].end = fde_hi;
		snprintf(rows[n].cfa, sizeof(rows[n].cfa), "%s", tok[1]);
		snprintf(rows[n].rbp, sizeof(rows[n].rbp), "%s",
			 col_rbp >= 0 && col_rbp < nt ? tok[col_rbp] : "u");
		snprintf(rows[n].ra, sizeof(rows[n].ra), "%s",
			 col_ra >= 0 && col_ra < nt ? tok[col_ra] : "?");
		n++;
	}
	if (fde_hi && n == fde_first && n < max)
		rows[n++] = (struct row){ fde_lo, fde_hi, "rsp+8", "u", "c-8" };
	else if (n > fde_first)
		rows[n - 1].end = fde_hi;
	pclose(p);
	return n;
}

static void check_row(struct cfi *c, const struct row *r, uint64_t pc)
{
	struct cfi_rule rule;
	int err = cfi__rule(c, pc, &rule);
	char want[32];

	if (!strcmp(r->cfa, "exp")) {
		if (err != -ENOTSUP) {
			fprintf(stderr, "  pc %#lx: CFA expression: expected -ENOTSUP, got %d\n",
				(unsigned long)pc, err);
			check_failures++;
		}
		return;
	}
	if (err) {
		fprintf(stderr, "  pc %#lx: no rule (%d), readelf says CFA %s\n",
			(unsigned long)pc, err, r->cfa);
		check_failures++;
		return;
	}
	snprintf(want, sizeof(want), "%s+%d", rule.cfa_reg == CFI_REG_RSP ? "rsp" : "rbp",
		 rule.cfa_off);
	if (strcmp(want, r->cfa)) {
		fprintf(stderr, "  pc %#lx: CFA %s, readelf says %s\n", (unsigned long)pc, want,
			r->cfa);
		check_failures++;
	}
	snprintf(want, sizeof(want), "c%d", rule.ra_off);
	if (rule.ra_rule != CFI_AT_CFA || strcmp(want, r->ra)) {
		fprintf(stderr, "  pc %#lx: ra rule %d %s, readelf says %s\n", (unsigned long)pc,
			rule.ra_rule, want, r->ra);
		check_failures++;
	}
	if (r->rbp[0] == 'c') {
		snprintf(want, sizeof(want), "c%d", rule.bp_off);
		if (rule.bp_rule != CFI_AT_CFA || strcmp(want, r->rbp)) {
			fprintf(stderr, "  pc %#lx: rbp rule %d %s, readelf says %s\n",
				(unsigned long)pc, rule.bp_rule, want, r->rbp);
			check_failures++;
		}
	} else if (rule.bp_rule == CFI_AT_CFA) {
		fprintf(stderr, "  pc %#lx: rbp saved at c%d, readelf says %s\n",
			(unsigned long)pc, rule.bp_off, r->rbp);
		check_failures++;
	}
}

TEST(cfi_rules_match_readelf_on_every_row)
{
	struct row rows[256];
	size_t n = readelf_rows(SAMPLE, rows, 256), checked = 0;
	const char *why = NULL;
	struct cfi *c = cfi__open(SAMPLE, &why);

	CHECK(c != NULL);
	CHECK(n >= 20);	/* the sample has ~25 rows in 7 FDEs */
	for (size_t i = 0; c && i < n; i++) {
		check_row(c, &rows[i], rows[i].loc);
		if (rows[i].end - rows[i].loc > 1)
			check_row(c, &rows[i], rows[i].end - 1);
		checked++;
	}
	CHECK(checked == n);
	cfi__free(c);
}

TEST(cfi_no_fde_is_enoent_and_cached)
{
	const char *why;
	struct cfi *c = cfi__open(SAMPLE, &why);
	struct cfi_rule r;

	CHECK_EQ_I(cfi__rule(c, 0x10, &r), -ENOENT);	/* in the ELF header */
	CHECK_EQ_I(cfi__rule(c, 0x10, &r), -ENOENT);
	CHECK_EQ_I(cfi__rule(c, 0x1180, &r), 0);
	CHECK_EQ_I(cfi__rule(c, 0x1180, &r), 0);
	CHECK_EQ_U(cfi__cached(c), 2);
	cfi__free(c);
}

TEST(cfi_malformed_inputs_fail_cleanly)
{
	static const char *const files[] = {
		"data/cfi_bad_cie.so", "data/cfi_bad_fde.so", "data/cfi_truncated.so",
		"data/cfi_garbage.so", "data/no-such-file.so",
	};
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		const char *why = NULL;
		struct cfi *c = cfi__open(files[i], &why);
		struct cfi_rule r;
		int bad = 0;

		if (!c) {
			CHECK(why != NULL && why[0]);
			continue;
		}
		/* every lookup returns an answer or an error, never a crash */
		for (uint64_t pc = 0x1000; pc < 0x1300; pc++)
			bad += cfi__rule(c, pc, &r) != 0;
		if (strstr(files[i], "bad_cie"))
			CHECK_EQ_I(cfi__rule(c, 0x1180, &r) != 0, 1);	/* no rule from a broken CIE */
		CHECK(bad > 0);
		cfi__free(c);
	}
}

/* A stack written by hand from the readelf rows of the sample, laid out
 * as the running code would have left it (see the comments per frame). */
TEST(unwinder_walks_cfi_frames_through_rbp_based_one)
{
	const uint64_t base = 0x7f0000000000ULL, stack = 0x7ffd00010000ULL;
	uint8_t mem[1024] = { 0 };
	struct addrspace as;
	struct tables t;
	uint64_t pcs[16], sp0 = stack + 0x40;
	uint32_t mod, flags, n;
	uint64_t cfa1, cfa2, cfa3, cfa4, F;

#define PUT(addr, val) do { uint64_t v_ = (val); memcpy(mem + ((addr) - stack), &v_, 8); } while (0)
	tables__init(&t);
	mod = sample_module(&t);
	addrspace__init(&as, t.modules);
	addrspace__add(&as, base, base + 0x4000, 0, mod);
	/* saves_registers at 0x1180: CFA rsp+64, rbp saved at c-48 */
	cfa1 = sp0 + 64;
	/* big_frame at 0x11ff (return to 0x1200): CFA rsp+224 */
	cfa2 = cfa1 + 224;
	/* with_frame_pointer at 0x128f: CFA rbp+16, rbp saved at c-16 */
	F = cfa2 + 48;
	cfa3 = F + 16;
	/* entry at 0x12c7: CFA rsp+16 */
	cfa4 = cfa3 + 16;
	PUT(cfa1 - 8, base + 0x1200);
	PUT(cfa1 - 48, F);
	PUT(cfa2 - 8, base + 0x1290);
	PUT(cfa3 - 8, base + 0x12c8);
	PUT(cfa3 - 16, 0);
	PUT(cfa4 - 8, 0);	/* the bottom of the stack */
#undef PUT
	{
		struct unwind_regs regs = { base + 0x1180, sp0, 0x1234 };
		struct unwind_snapshot snap = { stack, mem, sizeof(mem) };

		n = unwind__stack(&as, &regs, &snap, pcs, 16, &flags);
	}
	CHECK_EQ_U(n, 4);
	CHECK_EQ_U(pcs[0], base + 0x1180);
	CHECK_EQ_U(pcs[1], base + 0x1200);
	CHECK_EQ_U(pcs[2], base + 0x1290);
	CHECK_EQ_U(pcs[3], base + 0x12c8);
	CHECK_EQ_U(flags, UNWIND_END_CLEAN);
	addrspace__clear(&as);
	tables__free(&t);
}

TEST(unwinder_stops_at_snapshot_end_and_stitches)
{
	const uint64_t base = 0x7f0000000000ULL, stack = 0x7ffd00010000ULL;
	uint8_t mem[64] = { 0 };
	struct addrspace as;
	uint64_t pcs[16], fp[] = { 0x1, base + 0x1200, 0x3, 0x4 };
	struct tables t;
	uint32_t mod, flags, n;

	tables__init(&t);
	mod = sample_module(&t);
	addrspace__init(&as, t.modules);
	addrspace__add(&as, base, base + 0x4000, 0, mod);
	/* big_frame's CFA is rsp+224: beyond a 64-byte snapshot */
	memcpy(mem + 0x40 - 8 + 0x0, &(uint64_t){ 0 }, 8);
	{
		struct unwind_regs regs = { base + 0x1200, stack, 0 };
		struct unwind_snapshot snap = { stack, mem, sizeof(mem) };

		n = unwind__stack(&as, &regs, &snap, pcs, 16, &flags);
	}
	CHECK_EQ_U(n, 1);
	CHECK(flags & UNWIND_END_SNAPSHOT);
	n = unwind__stitch(pcs, n, 16, fp, 4);
	CHECK_EQ_U(n, 3);	/* the kernel's frames after the matching one */
	CHECK_EQ_U(pcs[1], 0x3);
	CHECK_EQ_U(pcs[2], 0x4);
	addrspace__clear(&as);
	tables__free(&t);
}

TEST(unwinder_follows_frame_pointers_without_cfi)
{
	const uint64_t stack = 0x7ffd00020000ULL;
	uint8_t mem[256] = { 0 };
	struct addrspace as;
	uint64_t pcs[16];
	uint32_t flags, n;
	uint64_t bp1 = stack + 0x20, bp2 = stack + 0x60;
	struct tables t;

	tables__init(&t);
	addrspace__init(&as, t.modules);	/* nothing mapped: JIT-like code */
	memcpy(mem + 0x20, &bp2, 8);
	memcpy(mem + 0x28, &(uint64_t){ 0x500000 }, 8);
	memcpy(mem + 0x60, &(uint64_t){ 0 }, 8);
	memcpy(mem + 0x68, &(uint64_t){ 0x600000 }, 8);
	{
		struct unwind_regs regs = { 0x400000, stack + 8, bp1 };
		struct unwind_snapshot snap = { stack, mem, sizeof(mem) };

		n = unwind__stack(&as, &regs, &snap, pcs, 16, &flags);
	}
	CHECK_EQ_U(n, 3);
	CHECK_EQ_U(pcs[1], 0x500000);
	CHECK_EQ_U(pcs[2], 0x600000);
	CHECK(flags & UNWIND_USED_FP);
	CHECK(flags & UNWIND_END_CLEAN);
	addrspace__clear(&as);
	tables__free(&t);
}

/* A program run by a path that no longer leads to it once its exec record
 * is read (deleted here; relative or renamed in life): placed from the
 * file leakscope held open before launching it, and only then. */
TEST(exec_placed_from_the_held_file_when_its_path_is_gone)
{
	const uint64_t base = 0x560000000000ULL;
	char copy[] = "/tmp/leakscope-held-XXXXXX", cmd[PATH_MAX + 32];
	uint64_t auxv[4] = { AT_PHDR, 0, AT_NULL, 0 };
	uint32_t held, mod;
	uint64_t off;
	struct addrspace as;
	struct tables t;
	struct stat st;
	int fd = mkstemp(copy);

	CHECK(fd >= 0);
	close(fd);
	snprintf(cmd, sizeof(cmd), "cp %s %s", SAMPLE, copy);
	CHECK(system(cmd) == 0);
	CHECK(stat(copy, &st) == 0);
	tables__init(&t);
	addrspace__init(&as, t.modules);
	{	/* where the kernel would have put the program headers */
		struct elf_info e;
		const char *why;

		CHECK(elfinfo__read(copy, &e, &why) == 0 && e.has_phdr_vaddr);
		auxv[1] = base + e.phdr_vaddr;
		elfinfo__free(&e);
	}
	held = modules__add_held(t.modules, copy);
	CHECK(held != MODULE_NONE);
	unlink(copy);
	CHECK(addrspace__from_exec(&as, 0, "./gone", st.st_dev, st.st_ino, auxv, 4));
	CHECK(addrspace__resolve(&as, base + 0x1180, &mod, &off));
	CHECK_EQ_U(mod, held);
	CHECK_EQ_U(off, 0x1180);
	/* another file's identity: nothing held, nothing placed */
	CHECK(!addrspace__from_exec(&as, 0, "./gone", st.st_dev, st.st_ino + 1, auxv, 4));
	CHECK(!addrspace__resolve(&as, base + 0x1180, &mod, &off));
	addrspace__clear(&as);
	tables__free(&t);
}
