// SPDX-License-Identifier: MIT
/*
 * Runtime data of a Go binary: where runtime.firstmoduledata and a few
 * globals are, the layout of runtime.g, and the wait-reason names.
 *
 * Stripped binaries keep no symbols for these, so:
 * - moduledata starts with a pointer to the pclntab header followed by the
 *   funcnametab slice (pclntab + funcnameOffset): that pair is searched in
 *   the writable segments. Its words are stable from 1.18 to 1.27 up to
 *   `text` (gobin_int.h); gofunc moved (word 38 in 1.18-1.19, 40 in
 *   1.20-1.26, 43 in 1.27), so each candidate is checked by decoding
 *   inline trees with it.
 * - runtime.allgs is the slice that runtime.forEachG ranges over (the one
 *   RIP-relative address loaded together with address+8); allglen and
 *   allgptr are the first and second RIP-relative loads of
 *   runtime.forEachGRace (atomicAllG loads length, then pointer; atomic
 *   loads keep their order).
 * - runtime.waitReasonStrings is a [...]string in .data. Its length and
 *   address are in runtime.waitReason.String (`cmp $len,%al; jb; ...;
 *   lea table(%rip),...`). Failing that, the table is found by its
 *   entries 0 and 1, "" and "GC assist marking" in every version since
 *   1.18, and taken to run while entries are printable strings (which
 *   can overrun into a neighbouring string array).
 */
#include "golang/gobin_int.h"
#include "base/util.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* --- moduledata --------------------------------------------------------- */

static int find_moduledata(struct gobin *bin)
{
	uint64_t want0 = bin->pcln.vaddr;
	uint64_t want1 = bin->pcln.vaddr + bin->pcln.funcname_off;

	if (gobin_symbol(bin, "runtime.firstmoduledata", &bin->md, NULL)) {
		bin->md_src = GOBIN_SRC_SYMTAB;
		return 0;
	}
	/* Writable segments first: moduledata is data (.noptrdata, or
	 * .go.module from 1.26). */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < bin->ei.nloads; i++) {
			const struct elf_segment *s = &bin->ei.loads[i];
			const uint8_t *d = gobin_segment_data(bin, s);

			if (!d || !!(s->flags & PF_W) != (pass == 0))
				continue;
			for (uint64_t off = 0; off + 16 <= s->filesz; off += 8) {
				uint64_t w0, w1;

				memcpy(&w0, d + off, 8);
				if (w0 != want0)
					continue;
				memcpy(&w1, d + off + 8, 8);
				if (w1 != want1)
					continue;
				bin->md = s->vaddr + off;
				bin->md_src = GOBIN_SRC_SCAN;
				return 0;
			}
		}
	}
	return -ENOENT;
}

int gobin__moduledata(struct gobin *bin, uint64_t *vaddr,
		      enum gobin_source *src)
{
	if (!bin->md_done) {
		bin->md_err = find_moduledata(bin);
		bin->md_done = true;
	}
	if (bin->md_err)
		return bin->md_err;
	*vaddr = bin->md;
	if (src)
		*src = bin->md_src;
	return 0;
}

/* --- gofunc ------------------------------------------------------------- */

/* Decodes inline-tree entry 0 of up to 64 functions spread over the
 * table with gofunc = base: 1 if all are sane, 0 if one is not, -1 if no
 * function had an inline tree to check. */
static int check_gofunc(struct gobin *bin, uint64_t base)
{
	struct gopclntab *t = &bin->pcln;
	uint64_t saved = t->gofunc, step = t->nfunc / 512 + 1;
	int checked = 0, ok = 1;

	t->gofunc = base;
	for (uint64_t i = 0; i < t->nfunc && checked < 64; i += step) {
		struct gopclntab_func f;
		struct gopclntab_inl inl;
		const char *names = (const char *)t->data + t->funcname_off;

		if (gopclntab__func(t, (uint32_t)i, &f) ||
		    !gopclntab__funcdata(t, &f, GOPCLNTAB_FUNCDATA_INLTREE))
			continue;
		checked++;
		/* A name must start a string of funcnametab. */
		if (gopclntab__inl(t, &f, 0, &inl) ||
		    (inl.name != names && inl.name[-1] != '\0') || !inl.name[0]) {
			ok = 0;
			break;
		}
	}
	t->gofunc = saved;
	return checked ? ok : -1;
}

static uint64_t find_gofunc(struct gobin *bin)
{
	/* Words seen: 38 (1.18-1.19), 40 (1.20-1.26), 43 (1.27); then any
	 * other nearby word, in case a later release moves it again. */
	static const int words_118[] = { 38 };
	static const int words_120[] = { 40, 43, 39, 41, 42, 44, 45, 46 };
	const int *words = bin->pcln.format == 118 ? words_118 : words_120;
	size_t nwords = bin->pcln.format == 118 ? ARRAY_SIZE(words_118)
						 : ARRAY_SIZE(words_120);
	uint64_t md, v, unchecked = 0;

	if (gobin_symbol(bin, "go:func.*", &v, NULL) ||
	    gobin_symbol(bin, "go.func.*", &v, NULL))
		return v;
	if (gobin__moduledata(bin, &md, NULL))
		return 0;
	for (size_t i = 0; i < nwords; i++) {
		int r;

		if (!gobin_read_u64(bin, md + 8 * words[i], &v) || !v ||
		    !gobin_avail(bin, v))
			continue;
		r = check_gofunc(bin, v);
		if (r == 1)
			return v;
		/* No inline tree anywhere (built with -l): nothing to check,
		 * and nothing that needs gofunc; keep the usual word. */
		if (r < 0 && i == 0)
			unchecked = v;
	}
	return unchecked;
}

uint64_t gobin__gofunc(struct gobin *bin)
{
	if (!bin->gofunc_done) {
		bin->gofunc = find_gofunc(bin);
		bin->gofunc_done = true;
	}
	return bin->gofunc;
}

/* --- globals ------------------------------------------------------------ */

struct rip_ref {
	uint64_t target;
	unsigned insn;		/* X86_INS_* */
	bool load;		/* memory operand is read */
};

/* RIP-relative memory operands of the function named name, in order. */
static size_t rip_refs(struct gobin *bin, const char *name,
		       struct rip_ref *out, size_t max)
{
	uint64_t entry, end;
	cs_insn *in;
	size_t n, count = 0;

	if (gobin__func_by_name(bin, name, &entry, &end) || end <= entry ||
	    end - entry > 4096)
		return 0;
	n = gobin_disasm(bin, entry, end - entry, 1024, &in);
	for (size_t i = 0; i < n && count < max; i++) {
		const cs_x86 *x = &in[i].detail->x86;

		for (int j = 0; j < x->op_count && count < max; j++) {
			const cs_x86_op *op = &x->operands[j];

			if (op->type != X86_OP_MEM || op->mem.base != X86_REG_RIP)
				continue;
			out[count].target = in[i].address + in[i].size + op->mem.disp;
			out[count].insn = in[i].id;
			out[count].load = in[i].id == X86_INS_MOV && j == 1;
			count++;
		}
	}
	if (n)
		cs_free(in, n);
	return count;
}

static int decode_allgs(struct gobin *bin, uint64_t *vaddr)
{
	struct rip_ref r[64];
	size_t n = rip_refs(bin, "runtime.forEachG", r, ARRAY_SIZE(r));

	for (size_t i = 0; i < n; i++) {
		if (!r[i].load)
			continue;
		for (size_t j = 0; j < n; j++)
			if (r[j].load && r[j].target == r[i].target + 8) {
				*vaddr = r[i].target;
				return 0;
			}
	}
	return -ENOENT;
}

static int decode_allglen(struct gobin *bin, bool want_ptr, uint64_t *vaddr)
{
	struct rip_ref r[64];
	size_t n = rip_refs(bin, "runtime.forEachGRace", r, ARRAY_SIZE(r));
	int seen = 0;

	for (size_t i = 0; i < n; i++) {
		if (!r[i].load)
			continue;
		if (seen++ == (want_ptr ? 1 : 0)) {
			*vaddr = r[i].target;
			return 0;
		}
	}
	return -ENOENT;
}

static int find_waitreasons(struct gobin *bin, uint64_t *table, size_t *count,
			    enum gobin_source *src);

int gobin__global(struct gobin *bin, const char *name, uint64_t *vaddr,
		  enum gobin_source *src)
{
	enum gobin_source dummy;
	size_t n;
	int err;

	if (!src)
		src = &dummy;
	if (gobin_symbol(bin, name, vaddr, NULL)) {
		*src = GOBIN_SRC_SYMTAB;
		return 0;
	}
	*src = GOBIN_SRC_SCAN;
	if (!strcmp(name, "runtime.firstmoduledata"))
		return gobin__moduledata(bin, vaddr, NULL);
	if (!strcmp(name, "runtime.buildVersion")) {
		struct gobin_version v;

		return gobin_scan_version(bin, &v, vaddr) > 0 ? 0 : -ENOENT;
	}
	if (!strcmp(name, "runtime.waitReasonStrings"))
		return find_waitreasons(bin, vaddr, &n, src);
	*src = GOBIN_SRC_DECODE;
	if (!strcmp(name, "runtime.allgs"))
		err = decode_allgs(bin, vaddr);
	else if (!strcmp(name, "runtime.allglen"))
		err = decode_allglen(bin, false, vaddr);
	else if (!strcmp(name, "runtime.allgptr"))
		err = decode_allglen(bin, true, vaddr);
	else
		err = bin->nsyms ? -ENOENT : -ENOTSUP;
	return err;
}

/* --- runtime.g ---------------------------------------------------------- */

/*
 * Offsets of runtime.g fields on amd64. The struct starts: stack {lo,
 * hi}, stackguard0/1, _panic, _defer, m, sched (gobuf: sp, pc, g, ctxt,
 * [ret], lr, bp), syscallsp, syscallpc, [syscallbp], stktopsp, param,
 * atomicstatus, stackLock, goid, schedlink, waitsince, waitreason, flags,
 * tracing fields, lockedm, sig, writebuf, sigcode0/1, sigpc,
 * [parentGoid], gopc, ancestors, startpc. runtime.m starts g0, morebuf
 * (a gobuf), divmod, procid, gsignal, goSigStack, sigmask, tls[6],
 * mstartfn, curg.
 * Each row was read off that release's own code, in a real binary of it
 * (tests/unit/gobin_test.c does it again): the cmpxchg in casgstatus
 * (atomicstatus), the load of the caller's goid and the stores of
 * parentGoid, gopc and startpc in newproc1, the byte store of the reason
 * in gopark (waitreason), the stores of the caller's pc, sp and bp into
 * g.sched in mcall, the stores of syscallsp and syscallpc in
 * reentersyscall, g.m and m.curg in systemstack; waitsince is the word
 * between schedlink and waitreason in every release. 1.19 also matches
 * its DWARF.
 */
struct g_layout {
	int minor_lo, minor_hi;	/* Go 1.lo .. 1.hi */
	struct gobin_g_offsets o;
};

#define G_COMMON .stack_hi = 8, .m = 48, .sched_sp = 56, .sched_pc = 64

static const struct g_layout g_layouts[] = {
	{ 18, 20, { .goid = 152, .atomicstatus = 144, .waitreason = 176, .waitsince = 168,
		    .gopc = 0x128, .startpc = 0x138, .parent_goid = -1, G_COMMON,
		    .sched_bp = 104, .syscallsp = 112, .syscallpc = 120, .syscallbp = -1,
		    .m_curg = 192 } },
	/* 1.21: parentGoid added before gopc, tracer fields dropped */
	{ 21, 22, { .goid = 152, .atomicstatus = 144, .waitreason = 176, .waitsince = 168,
		    .gopc = 0x118, .startpc = 0x128, .parent_goid = 0x110, G_COMMON,
		    .sched_bp = 104, .syscallsp = 112, .syscallpc = 120, .syscallbp = -1,
		    .m_curg = 192 } },
	/* 1.23: syscallbp added (+8 from param on; gobuf still has ret) */
	{ 23, 24, { .goid = 160, .atomicstatus = 152, .waitreason = 184, .waitsince = 176,
		    .gopc = 0x120, .startpc = 0x130, .parent_goid = 0x118, G_COMMON,
		    .sched_bp = 104, .syscallsp = 112, .syscallpc = 120, .syscallbp = 128,
		    .m_curg = 192 } },
	/* 1.25: gobuf.ret gone (g.sched and m.morebuf one word shorter) */
	{ 25, 25, { .goid = 152, .atomicstatus = 144, .waitreason = 176, .waitsince = 168,
		    .gopc = 0x118, .startpc = 0x128, .parent_goid = 0x110, G_COMMON,
		    .sched_bp = 96, .syscallsp = 104, .syscallpc = 112, .syscallbp = 120,
		    .m_curg = 184 } },
	/* 1.26: one more word before parentGoid */
	{ 26, 27, { .goid = 152, .atomicstatus = 144, .waitreason = 176, .waitsince = 168,
		    .gopc = 0x120, .startpc = 0x130, .parent_goid = 0x118, G_COMMON,
		    .sched_bp = 96, .syscallsp = 104, .syscallpc = 112, .syscallbp = 120,
		    .m_curg = 184 } },
};

int gobin_g_offsets__table(int major, int minor, struct gobin_g_offsets *out)
{
	if (major != 1)
		return -ENOTSUP;
	for (size_t i = 0; i < ARRAY_SIZE(g_layouts); i++)
		if (minor >= g_layouts[i].minor_lo && minor <= g_layouts[i].minor_hi) {
			*out = g_layouts[i].o;
			out->source = GOBIN_SRC_TABLE;
			return 0;
		}
	return -ENOTSUP;
}

static int member_offset(Dwarf_Die *die)
{
	Dwarf_Attribute attr;
	Dwarf_Word off;

	if (!dwarf_attr(die, DW_AT_data_member_location, &attr) ||
	    dwarf_formudata(&attr, &off) || off > INT32_MAX)
		return -1;
	return (int)off;
}

/* Offset of member name in struct st (-1 if absent), and its type's DIE
 * when type is not NULL (0 if found). */
static int struct_member(Dwarf_Die *st, const char *name, Dwarf_Die *type)
{
	Dwarf_Die m;

	if (dwarf_child(st, &m))
		return -1;
	do {
		const char *n = dwarf_diename(&m);
		Dwarf_Attribute attr;

		if (dwarf_tag(&m) != DW_TAG_member || !n || strcmp(n, name))
			continue;
		if (type && (!dwarf_attr(&m, DW_AT_type, &attr) ||
			     !dwarf_formref_die(&attr, type)))
			return -1;
		/* Go names its types with a typedef of the struct */
		for (int i = 0; type && i < 4 && dwarf_tag(type) == DW_TAG_typedef; i++)
			if (!dwarf_attr(type, DW_AT_type, &attr) ||
			    !dwarf_formref_die(&attr, type))
				return -1;
		return member_offset(&m);
	} while (dwarf_siblingof(&m, &m) == 0);
	return -1;
}

/* base + offset of field in the struct that member outer of st has as
 * its type (g.sched.pc, g.stack.hi); -1 if either is missing. */
static int nested_member(Dwarf_Die *st, const char *outer, const char *field)
{
	Dwarf_Die type;
	int base = struct_member(st, outer, &type), off;

	if (base < 0)
		return -1;
	off = struct_member(&type, field, NULL);
	return off < 0 ? -1 : base + off;
}

static bool g_from_struct(Dwarf_Die *st, struct gobin_g_offsets *out)
{
	out->goid = struct_member(st, "goid", NULL);
	out->atomicstatus = struct_member(st, "atomicstatus", NULL);
	out->waitreason = struct_member(st, "waitreason", NULL);
	out->waitsince = struct_member(st, "waitsince", NULL);
	out->gopc = struct_member(st, "gopc", NULL);
	out->startpc = struct_member(st, "startpc", NULL);
	out->parent_goid = struct_member(st, "parentGoid", NULL);
	out->stack_hi = nested_member(st, "stack", "hi");
	out->sched_sp = nested_member(st, "sched", "sp");
	out->sched_pc = nested_member(st, "sched", "pc");
	out->sched_bp = nested_member(st, "sched", "bp");
	out->syscallsp = struct_member(st, "syscallsp", NULL);
	out->syscallpc = struct_member(st, "syscallpc", NULL);
	out->syscallbp = struct_member(st, "syscallbp", NULL);
	out->m = struct_member(st, "m", NULL);
	return out->goid >= 0 && out->atomicstatus >= 0 && out->waitreason >= 0 &&
	       out->waitsince >= 0 && out->gopc >= 0 && out->startpc >= 0 &&
	       out->stack_hi >= 0 && out->sched_sp >= 0 && out->sched_pc >= 0 &&
	       out->syscallsp >= 0 && out->syscallpc >= 0 && out->m >= 0;
}

static int g_from_dwarf(struct gobin *bin, struct gobin_g_offsets *out)
{
	Dwarf *dw = dwarf_begin_elf(bin->elf, DWARF_C_READ, NULL);
	Dwarf_Off off = 0, next;
	size_t hsize;
	bool have_g = false;

	if (!dw)
		return -ENOENT;
	out->m_curg = -1;
	while ((!have_g || out->m_curg < 0) &&
	       dwarf_nextcu(dw, off, &next, &hsize, NULL, NULL, NULL) == 0) {
		Dwarf_Die cu, d;

		if (dwarf_offdie(dw, off + hsize, &cu) && dwarf_child(&cu, &d) == 0) {
			do {
				const char *name;

				if (dwarf_tag(&d) != DW_TAG_structure_type)
					continue;
				name = dwarf_diename(&d);
				if (name && !strcmp(name, "runtime.g") && !have_g)
					have_g = g_from_struct(&d, out);
				else if (name && !strcmp(name, "runtime.m") && out->m_curg < 0)
					out->m_curg = struct_member(&d, "curg", NULL);
			} while (dwarf_siblingof(&d, &d) == 0);
		}
		off = next;
	}
	dwarf_end(dw);
	if (!have_g || out->m_curg < 0)
		return -ENOENT;
	out->source = GOBIN_SRC_DWARF;
	return 0;
}

int gobin__g_offsets(struct gobin *bin, struct gobin_g_offsets *out)
{
	if (!bin->goff_done) {
		bin->goff_err = -ENOTSUP;
		if (bin->has_dwarf && !g_from_dwarf(bin, &bin->goff))
			bin->goff_err = 0;
		else if (bin->version.major)
			bin->goff_err = gobin_g_offsets__table(bin->version.major,
							       bin->version.minor,
							       &bin->goff);
		bin->goff_done = true;
	}
	if (bin->goff_err)
		return bin->goff_err;
	*out = bin->goff;
	return 0;
}

/* --- wait reasons ------------------------------------------------------- */

/* Go 1.19's table (src/runtime/runtime2.go, waitReasonStrings), for
 * binaries whose own table cannot be found. */
static const char *const waitreasons_119[] = {
	"", "GC assist marking", "IO wait", "chan receive (nil chan)",
	"chan send (nil chan)", "dumping heap", "garbage collection",
	"garbage collection scan", "panicwait", "select", "select (no cases)",
	"GC assist wait", "GC sweep wait", "GC scavenge wait", "chan receive",
	"chan send", "finalizer wait", "force gc (idle)", "semacquire",
	"sleep", "sync.Cond.Wait", "timer goroutine (idle)",
	"trace reader (blocked)", "wait for GC cycle", "GC worker (idle)",
	"preempted", "debug call",
};

static bool printable(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return false;
	return true;
}

/* Entry i of a [...]string at table: its bytes, or NULL. */
static const char *table_string(struct gobin *bin, uint64_t table, size_t i,
				size_t *len)
{
	uint64_t ptr, n;
	const char *s;

	if (!gobin_read_u64(bin, table + 16 * i, &ptr) ||
	    !gobin_read_u64(bin, table + 16 * i + 8, &n) || n > 64)
		return NULL;
	if (n == 0) {
		*len = 0;
		return "";
	}
	s = (const char *)gobin__read(bin, ptr, n);
	if (!s || !printable(s, n))
		return NULL;
	*len = n;
	return s;
}

static bool is_waitreason_table(struct gobin *bin, uint64_t table)
{
	size_t len0, len1;
	const char *s0 = table_string(bin, table, 0, &len0);
	const char *s1 = table_string(bin, table, 1, &len1);

	return s0 && s1 && len0 == 0 && len1 == 17 &&
	       !memcmp(s1, "GC assist marking", 17);
}

/* waitReason.String: the bound of its range check, and the table among
 * its RIP-relative lea targets (another is "unknown wait reason"). */
static int decode_waitreasons(struct gobin *bin, uint64_t *table,
			      size_t *count)
{
	uint64_t entry, end, bound = 0, addr = 0;
	cs_insn *in;
	size_t n;

	if (gobin__func_by_name(bin, "runtime.waitReason.String", &entry, &end) ||
	    end <= entry || end - entry > 256)
		return -ENOENT;
	n = gobin_disasm(bin, entry, end - entry, 32, &in);
	for (size_t i = 0; i < n; i++) {
		const cs_x86 *x = &in[i].detail->x86;

		if (!bound && in[i].id == X86_INS_CMP && x->op_count == 2 &&
		    x->operands[1].type == X86_OP_IMM && x->operands[1].imm > 2 &&
		    x->operands[1].imm < 256)
			bound = (uint64_t)x->operands[1].imm;
		if (!addr && in[i].id == X86_INS_LEA && x->op_count == 2 &&
		    x->operands[1].type == X86_OP_MEM &&
		    x->operands[1].mem.base == X86_REG_RIP &&
		    x->operands[1].mem.index == X86_REG_INVALID) {
			uint64_t t = in[i].address + in[i].size +
				     x->operands[1].mem.disp;

			if (is_waitreason_table(bin, t))
				addr = t;
		}
	}
	if (n)
		cs_free(in, n);
	if (!bound || !addr)
		return -ENOENT;
	*table = addr;
	*count = bound;
	return 0;
}

static int find_waitreasons(struct gobin *bin, uint64_t *table, size_t *count,
			    enum gobin_source *src)
{
	uint64_t size;
	size_t len;

	if (gobin_symbol(bin, "runtime.waitReasonStrings", table, &size)) {
		*count = size / 16;
		*src = GOBIN_SRC_SYMTAB;
		return *count ? 0 : -ENOENT;
	}
	*src = GOBIN_SRC_DECODE;
	if (!decode_waitreasons(bin, table, count))
		return 0;
	*src = GOBIN_SRC_SCAN;
	for (size_t i = 0; i < bin->ei.nloads; i++) {
		const struct elf_segment *s = &bin->ei.loads[i];
		const uint8_t *d = gobin_segment_data(bin, s);

		if (!d || !(s->flags & PF_W))
			continue;
		for (uint64_t off = 16; off + 16 <= s->filesz; off += 8) {
			uint64_t n;

			memcpy(&n, d + off + 8, 8);
			if (n != 17 || !is_waitreason_table(bin, s->vaddr + off - 16))
				continue;
			*table = s->vaddr + off - 16;
			*count = 2;
			while (*count < 256 &&
			       table_string(bin, *table, *count, &len) && len)
				(*count)++;
			return 0;
		}
	}
	return -ENOENT;
}

static void load_waitreasons(struct gobin *bin)
{
	uint64_t table;
	size_t count, len;

	bin->wr_done = true;
	if (!find_waitreasons(bin, &table, &count, &bin->wr_src)) {
		bin->wr = xcalloc(count, sizeof(*bin->wr));
		for (size_t i = 0; i < count; i++) {
			const char *s = table_string(bin, table, i, &len);

			if (!s)
				len = 0, s = "";
			bin->wr[i].name = xmalloc(len + 1);
			memcpy(bin->wr[i].name, s, len);
			bin->wr[i].name[len] = '\0';
		}
		bin->nwr = count;
		return;
	}
	if (bin->version.major == 1 && (bin->version.minor == 18 ||
					 bin->version.minor == 19)) {
		count = ARRAY_SIZE(waitreasons_119);
		bin->wr = xcalloc(count, sizeof(*bin->wr));
		for (size_t i = 0; i < count; i++)
			bin->wr[i].name = xstrdup(waitreasons_119[i]);
		bin->nwr = count;
		bin->wr_src = GOBIN_SRC_TABLE;
	}
}

int gobin__waitreasons(struct gobin *bin, size_t *count,
		       enum gobin_source *src)
{
	if (!bin->wr_done)
		load_waitreasons(bin);
	if (!bin->nwr)
		return -ENOENT;
	*count = bin->nwr;
	if (src)
		*src = bin->wr_src;
	return 0;
}

const char *gobin__waitreason_name(struct gobin *bin, unsigned value)
{
	if (!bin->wr_done)
		load_waitreasons(bin);
	return value < bin->nwr ? bin->wr[value].name : NULL;
}

int gobin__waitreason_value(struct gobin *bin, const char *name)
{
	if (!bin->wr_done)
		load_waitreasons(bin);
	for (size_t i = 0; i < bin->nwr; i++)
		if (!strcmp(bin->wr[i].name, name))
			return (int)i;
	return -ENOENT;
}

void gobin_runtime_free(struct gobin *bin)
{
	for (size_t i = 0; i < bin->nwr; i++)
		free(bin->wr[i].name);
	free(bin->wr);
	bin->wr = NULL;
	bin->nwr = 0;
}

int gobin__rip_refs(struct gobin *bin, const char *func, uint64_t *targets,
		    size_t max)
{
	struct rip_ref refs[256];
	size_t n = rip_refs(bin, func, refs, max < 256 ? max : 256);

	for (size_t i = 0; i < n; i++)
		targets[i] = refs[i].target;
	return (int)n;
}

int gobin__find_call(struct gobin *bin, const char *func, const char *callee,
		     uint64_t *call_vaddr)
{
	struct gobin_func targets[8];
	uint64_t entry, end;
	int ntargets = gobin__funcs_by_name(bin, callee, targets, 8);
	cs_insn *in;
	size_t n;
	int err = -ENOENT;

	if (ntargets <= 0 || gobin__func_by_name(bin, func, &entry, &end) || end <= entry)
		return -ENOENT;
	n = gobin_disasm(bin, entry, MIN(end - entry, 65536), 16384, &in);
	for (size_t i = 0; i < n && err; i++) {
		const cs_x86 *x = &in[i].detail->x86;

		if (in[i].id != X86_INS_CALL || x->op_count != 1 ||
		    x->operands[0].type != X86_OP_IMM)
			continue;
		for (int t = 0; t < ntargets && t < 8; t++)
			if ((uint64_t)x->operands[0].imm == targets[t].entry) {
				*call_vaddr = in[i].address;
				err = 0;
				break;
			}
	}
	if (n)
		cs_free(in, n);
	return err;
}

/*
 * runtime.MemProfileRate in a stripped binary: profilealloc computes the
 * next sample point (nextSample, inlined), which starts by comparing the
 * rate with 1. The global loaded RIP-relative into the register that is
 * then compared with $1 is the rate. Seen in every release 1.18-1.27.
 */
int gobin__decode_memprofilerate(struct gobin *bin, uint64_t *vaddr)
{
	uint64_t entry, end, loaded[X86_REG_ENDING] = { 0 };
	cs_insn *in;
	size_t n;
	int err = -ENOENT;

	if (gobin__func_by_name(bin, "runtime.profilealloc", &entry, &end) || end <= entry)
		return -ENOENT;
	n = gobin_disasm(bin, entry, MIN(end - entry, 1024), 256, &in);
	for (size_t i = 0; i < n && err; i++) {
		const cs_x86 *x = &in[i].detail->x86;

		if (x->op_count != 2)
			continue;
		if (in[i].id == X86_INS_MOV && x->operands[0].type == X86_OP_REG &&
		    x->operands[1].type == X86_OP_MEM && x->operands[1].mem.base == X86_REG_RIP &&
		    x->operands[1].size == 8 && x->operands[0].reg < X86_REG_ENDING)
			loaded[x->operands[0].reg] = in[i].address + in[i].size +
						     x->operands[1].mem.disp;
		else if (in[i].id == X86_INS_CMP && x->operands[0].type == X86_OP_REG &&
			 x->operands[1].type == X86_OP_IMM && x->operands[1].imm == 1 &&
			 x->operands[0].reg < X86_REG_ENDING && loaded[x->operands[0].reg]) {
			*vaddr = loaded[x->operands[0].reg];
			err = 0;
		}
	}
	if (n)
		cs_free(in, n);
	return err;
}

/*
 * Where the Go runtime keeps the current g in thread-local storage, as an
 * offset from the thread pointer (%fs). Go code reads it with
 * `mov %fs:OFF, %r14` when the linker knew the offset (internal linking:
 * -8), else through the GOT (external linking: `mov %fs:(%reg)`); then the
 * offset is that of runtime.tlsg in the executable's TLS block, which on
 * x86-64 ends at the thread pointer.
 */
int gobin__tls_g_offset(struct gobin *bin, uint64_t tls_memsz, uint64_t tls_align,
			int64_t *off)
{
	static const char *const readers[] = {
		"runtime.systemstack", "runtime.asmcgocall", "runtime.mcall",
		"runtime.gogo", "runtime.morestack", "runtime.rt0_go",
	};
	uint64_t v;
	enum gobin_source src;

	for (size_t r = 0; r < ARRAY_SIZE(readers); r++) {
		uint64_t entry, end;
		cs_insn *in;
		size_t n;
		int found = 0;

		if (gobin__func_by_name(bin, readers[r], &entry, &end) || end <= entry)
			continue;
		n = gobin_disasm(bin, entry, MIN(end - entry, 2048), 512, &in);
		for (size_t i = 0; i < n && !found; i++) {
			const cs_x86 *x = &in[i].detail->x86;

			for (int j = 0; j < x->op_count && !found; j++) {
				const cs_x86_op *op = &x->operands[j];

				if (op->type == X86_OP_MEM && op->mem.segment == X86_REG_FS &&
				    op->mem.base == X86_REG_INVALID &&
				    op->mem.index == X86_REG_INVALID && op->mem.disp < 0) {
					*off = op->mem.disp;
					found = 1;
				}
			}
		}
		if (n)
			cs_free(in, n);
		if (found)
			return 0;
	}
	if (!tls_memsz)
		return -ENOENT;
	if (!tls_align)
		tls_align = 1;
	v = 0;
	gobin__global(bin, "runtime.tlsg", &v, &src);	/* 0: first in the block */
	*off = (int64_t)v - (int64_t)((tls_memsz + tls_align - 1) / tls_align * tls_align);
	return 0;
}
