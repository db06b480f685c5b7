// SPDX-License-Identifier: MIT
/*
 * Go binary inspection: opening the ELF file, finding .gopclntab, function
 * lookups and prologue decoding. The Go version lives in gobuildinfo.c,
 * runtime data (moduledata, globals, runtime.g, wait reasons) in
 * goruntime.c; gobin_int.h is what they share.
 */
#include "golang/gobin.h"
#include "golang/gobin_int.h"
#include "base/util.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static __thread char why_buf[256];

const char *gobin_why(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why_buf, sizeof(why_buf), fmt, ap);
	va_end(ap);
	return why_buf;
}

const char *gobin_source__str(enum gobin_source src)
{
	switch (src) {
	case GOBIN_SRC_BUILDINFO: return "buildinfo";
	case GOBIN_SRC_SYMTAB: return "symtab";
	case GOBIN_SRC_SCAN: return "scan";
	case GOBIN_SRC_DECODE: return "decode";
	case GOBIN_SRC_DWARF: return "dwarf";
	case GOBIN_SRC_TABLE: return "table";
	default: return "none";
	}
}

/* --- the file ----------------------------------------------------------- */

const uint8_t *gobin__read(const struct gobin *bin, uint64_t vaddr,
			   size_t size)
{
	for (size_t i = 0; i < bin->ei.nloads; i++) {
		const struct elf_segment *s = &bin->ei.loads[i];
		uint64_t delta;

		if (vaddr < s->vaddr || vaddr - s->vaddr >= s->filesz)
			continue;
		delta = vaddr - s->vaddr;
		if (s->filesz - delta < size || s->offset > bin->map_size ||
		    bin->map_size - s->offset < s->filesz)
			return NULL;
		return bin->map + s->offset + delta;
	}
	return NULL;
}

/* How many file-backed bytes follow vaddr in its segment (0 if none). */
size_t gobin_avail(const struct gobin *bin, uint64_t vaddr)
{
	for (size_t i = 0; i < bin->ei.nloads; i++) {
		const struct elf_segment *s = &bin->ei.loads[i];

		if (vaddr >= s->vaddr && vaddr - s->vaddr < s->filesz &&
		    s->offset <= bin->map_size &&
		    bin->map_size - s->offset >= s->filesz)
			return s->filesz - (vaddr - s->vaddr);
	}
	return 0;
}

/* A segment's file-backed bytes, or NULL if the file is truncated. */
const uint8_t *gobin_segment_data(const struct gobin *bin,
				  const struct elf_segment *s)
{
	if (s->offset > bin->map_size || bin->map_size - s->offset < s->filesz)
		return NULL;
	return bin->map + s->offset;
}

int gobin__vaddr_to_offset(const struct gobin *bin, uint64_t vaddr,
			   uint64_t *off)
{
	return elfinfo__vaddr_to_offset(&bin->ei, vaddr, off) ? 0 : -ENOENT;
}

const struct gobin_section *gobin_section(const struct gobin *bin,
					  const char *name)
{
	for (size_t i = 0; i < bin->nsecs; i++)
		if (!strcmp(bin->secs[i].name, name))
			return &bin->secs[i];
	return NULL;
}

/* Section contents, NULL for NOBITS or out-of-file sections. */
const uint8_t *gobin_section_data(const struct gobin *bin,
				  const struct gobin_section *s)
{
	if (!s || s->type == SHT_NOBITS || s->offset > bin->map_size ||
	    bin->map_size - s->offset < s->size)
		return NULL;
	return bin->map + s->offset;
}

static int read_sections(struct gobin *bin)
{
	size_t shstrndx;
	Elf_Scn *scn = NULL;

	if (elf_getshdrstrndx(bin->elf, &shstrndx))
		return 0;	/* no section headers: fine, we scan */
	/* Every section gets a slot, readable or not: sh_link indexes. */
	while ((scn = elf_nextscn(bin->elf, scn))) {
		struct gobin_section *s;
		GElf_Shdr sh;
		const char *name = NULL;

		bin->secs = xrealloc(bin->secs, (bin->nsecs + 1) * sizeof(*s));
		s = &bin->secs[bin->nsecs++];
		memset(s, 0, sizeof(*s));
		s->name = "";
		if (!gelf_getshdr(scn, &sh))
			continue;
		name = elf_strptr(bin->elf, shstrndx, sh.sh_name);
		s->name = name ? name : "";
		s->addr = sh.sh_addr;
		s->offset = sh.sh_offset;
		s->size = sh.sh_size;
		s->type = sh.sh_type;
		s->flags = sh.sh_flags;
		s->link = sh.sh_link;
		s->entsize = sh.sh_entsize;
		if (!strncmp(s->name, ".debug_info", 11) ||
		    !strcmp(s->name, ".zdebug_info"))
			bin->has_dwarf = true;
	}
	return 0;
}

/* .symtab as raw Elf64_Sym records (the file is ELF64, checked at open). */
static void find_symtab(struct gobin *bin)
{
	for (size_t i = 0; i < bin->nsecs; i++) {
		const struct gobin_section *s = &bin->secs[i];
		const uint8_t *d = gobin_section_data(bin, s);
		const struct gobin_section *str;

		if (s->type != SHT_SYMTAB || !d || s->link == 0 ||
		    s->link > bin->nsecs)
			continue;
		/* secs[] skips section 0, so section n is secs[n - 1]. */
		str = &bin->secs[s->link - 1];
		if (!gobin_section_data(bin, str) || str->type != SHT_STRTAB)
			continue;
		bin->syms = (const Elf64_Sym *)d;
		bin->nsyms = s->size / sizeof(Elf64_Sym);
		bin->strtab = (const char *)gobin_section_data(bin, str);
		bin->strtab_size = str->size;
		return;
	}
}

bool gobin_symbol(const struct gobin *bin, const char *name, uint64_t *value,
		  uint64_t *size)
{
	for (size_t i = 0; i < bin->nsyms; i++) {
		Elf64_Sym sym;

		memcpy(&sym, &bin->syms[i], sizeof(sym));
		if (sym.st_name >= bin->strtab_size || sym.st_shndx == SHN_UNDEF ||
		    !memchr(bin->strtab + sym.st_name, '\0',
			    bin->strtab_size - sym.st_name) ||
		    strcmp(bin->strtab + sym.st_name, name))
			continue;
		*value = sym.st_value;
		if (size)
			*size = sym.st_size;
		return true;
	}
	return false;
}

/* --- .gopclntab --------------------------------------------------------- */

/* Table found by its magic: the first 8-aligned spot in a segment where
 * a whole valid table parses (first and last function records check). */
static int scan_pclntab(struct gobin *bin, const char **why)
{
	const char *old_why = NULL;

	for (size_t i = 0; i < bin->ei.nloads; i++) {
		const struct elf_segment *s = &bin->ei.loads[i];
		const uint8_t *d = gobin_segment_data(bin, s);

		if (!d)
			continue;
		for (uint64_t off = 0; off + 72 <= s->filesz; off += 8) {
			const uint8_t *p = d + off;
			struct gopclntab_func f;
			const char *w;
			int err;

			if (p[0] < 0xf0 || p[1] != 0xff || p[2] != 0xff ||
			    p[3] != 0xff || p[4] || p[5] || p[6] != 1 || p[7] != 8)
				continue;
			err = gopclntab__check_magic(p, s->filesz - off, &w);
			if (err == -ENOTSUP) {
				old_why = w;
				continue;
			}
			if (err)
				continue;
			if (gopclntab__init(&bin->pcln, p, s->filesz - off,
					    s->vaddr + off, &w) ||
			    gopclntab__func(&bin->pcln, 0, &f) ||
			    gopclntab__func(&bin->pcln, bin->pcln.nfunc - 1, &f))
				continue;
			return 0;
		}
	}
	*why = old_why ? old_why : "not a Go binary (no .gopclntab)";
	return old_why ? -ENOTSUP : -ENOENT;
}

static int find_pclntab(struct gobin *bin, const char **why)
{
	const struct gobin_section *s = gobin_section(bin, ".gopclntab");
	const uint8_t *d;
	int err;

	if (!s)	/* PIE: the table is relocated data */
		s = gobin_section(bin, ".data.rel.ro.gopclntab");
	d = gobin_section_data(bin, s);
	if (!d)
		return scan_pclntab(bin, why);
	err = gopclntab__init(&bin->pcln, d, s->size, s->addr, why);
	if (err)
		return err;
	return 0;
}

static const uint8_t *pcln_read(void *ctx, uint64_t vaddr, size_t size)
{
	return gobin__read(ctx, vaddr, size);
}

/* Go 1.26+ writes textStart 0: entry offsets are from runtime.text,
 * which moduledata holds; .text's address is the same for the internal
 * linker. Last resort: the lowest executable segment. */
static void set_text_base(struct gobin *bin)
{
	const struct gobin_section *text = gobin_section(bin, ".text");
	uint64_t md, base = 0;

	if (bin->pcln.text_start)
		return;
	if (!gobin__moduledata(bin, &md, NULL)) {
		const uint8_t *p = gobin__read(bin, md + GOBIN_MD_TEXT * 8, 8);

		if (p)
			memcpy(&base, p, 8);
	}
	if (!base && text)
		base = text->addr;
	for (size_t i = 0; !base && i < bin->ei.nloads; i++)
		if (bin->ei.loads[i].flags & PF_X)
			base = bin->ei.loads[i].vaddr;
	gopclntab__set_text_base(&bin->pcln, base);
}

/* --- open / free -------------------------------------------------------- */

struct gobin *gobin__open(const char *path, const char **why)
{
	return gobin__open_flags(path, 0, why, NULL);
}

struct gobin *gobin__open_flags(const char *path, unsigned flags,
				const char **why, enum gobin_fault *fault)
{
	struct gobin *bin = xcalloc(1, sizeof(*bin));
	enum gobin_fault unused, *kind = fault ? fault : &unused;
	GElf_Ehdr eh;
	struct stat st;
	int err;

	*kind = GOBIN_UNREADABLE;
	bin->fd = -1;
	bin->path = xstrdup(path);
	bin->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (bin->fd < 0) {
		err = -errno;
		*why = gobin_why("cannot open %s: %s", path, strerror(errno));
		goto fail;
	}
	if (fstat(bin->fd, &st) || !S_ISREG(st.st_mode) || st.st_size < 64) {
		*kind = GOBIN_NOT_ELF;
		err = -EINVAL;
		*why = "not an ELF file";
		goto fail;
	}
	bin->map_size = st.st_size;
	bin->map = mmap(NULL, bin->map_size, PROT_READ, MAP_PRIVATE, bin->fd, 0);
	if (bin->map == MAP_FAILED) {
		bin->map = NULL;
		err = -errno;
		*why = gobin_why("cannot map %s: %s", path, strerror(errno));
		goto fail;
	}
	err = elfinfo__read_fd(bin->fd, &bin->ei, why);
	*kind = err == -ENOEXEC ? GOBIN_NOT_ELF : GOBIN_UNSUPPORTED;
	if (err)
		goto fail;
	elf_version(EV_CURRENT);
	bin->elf = elf_begin(bin->fd, ELF_C_READ_MMAP, NULL);
	if (!bin->elf || !gelf_getehdr(bin->elf, &eh)) {
		*kind = GOBIN_NOT_ELF;
		err = -EINVAL;
		*why = "not an ELF file";
		goto fail;
	}
	if (gelf_getclass(bin->elf) != ELFCLASS64 || eh.e_machine != EM_X86_64 ||
	    eh.e_ident[EI_DATA] != ELFDATA2LSB) {
		err = -ENOTSUP;
		*why = "not an x86-64 ELF file (only x86-64 Go binaries are supported)";
		goto fail;
	}
	if (!(flags & GOBIN_IGNORE_SECTIONS)) {
		read_sections(bin);
		if (!(flags & GOBIN_IGNORE_SYMTAB))
			find_symtab(bin);
		if (flags & GOBIN_IGNORE_DWARF)
			bin->has_dwarf = false;
	}
	err = find_pclntab(bin, why);
	if (err) {
		/* -ENOENT: no table at all; anything else is a Go table
		 * we cannot read */
		*kind = err == -ENOENT ? GOBIN_NOT_GO : GOBIN_UNSUPPORTED;
		goto fail;
	}
	bin->pcln.read = pcln_read;
	bin->pcln.read_ctx = bin;
	set_text_base(bin);
	{
		struct gopclntab_func f;

		if (gopclntab__func(&bin->pcln, 0, &f)) {
			err = -EINVAL;
			*why = "corrupt .gopclntab (first function record)";
			goto fail;
		}
	}
	gobin_read_version(bin);
	*kind = GOBIN_OK;
	return bin;
fail:
	gobin__free(bin);
	errno = -err;
	return NULL;
}

void gobin__free(struct gobin *bin)
{
	if (!bin)
		return;
	gobin_runtime_free(bin);
	gobin_pcinfo_free(bin);
	if (bin->cs_ok)
		cs_close(&bin->cs);
	free(bin->byname);
	free(bin->secs);
	if (bin->elf)
		elf_end(bin->elf);
	elfinfo__free(&bin->ei);
	if (bin->map)
		munmap((void *)bin->map, bin->map_size);
	if (bin->fd >= 0)
		close(bin->fd);
	free(bin->path);
	free(bin);
}

const char *gobin__path(const struct gobin *bin)
{
	return bin->path;
}

bool gobin__has_symtab(const struct gobin *bin)
{
	return bin->nsyms > 0;
}

bool gobin__has_dwarf(const struct gobin *bin)
{
	return bin->has_dwarf;
}

bool gobin__is_pie(const struct gobin *bin)
{
	return bin->ei.type == ET_DYN;
}

/* --- functions ---------------------------------------------------------- */

size_t gobin__nfuncs(const struct gobin *bin)
{
	return bin->pcln.nfunc;
}

int gobin__func(const struct gobin *bin, size_t i, struct gobin_func *out)
{
	struct gopclntab_func f;
	int err;

	if (i > UINT32_MAX)
		return -ERANGE;
	err = gopclntab__func(&bin->pcln, (uint32_t)i, &f);
	if (err)
		return err;
	out->name = f.name;
	out->entry = f.entry;
	out->end = f.end;
	out->stack_check = false;
	out->wrapper = false;
	out->abi0 = false;
	return 0;
}

static const struct gobin *sort_bin;	/* qsort has no context argument */

static const char *index_name(const struct gobin *bin, uint32_t idx)
{
	struct gopclntab_func f;

	return gopclntab__func(&bin->pcln, idx, &f) ? "" : f.name;
}

static int cmp_byname(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	int c = strcmp(index_name(sort_bin, x), index_name(sort_bin, y));

	return c ? c : (x > y) - (x < y);
}

static void build_byname(struct gobin *bin)
{
	if (bin->byname)
		return;
	bin->byname = xmalloc(bin->pcln.nfunc * sizeof(uint32_t));
	for (uint32_t i = 0; i < bin->pcln.nfunc; i++)
		bin->byname[i] = i;
	sort_bin = bin;
	qsort(bin->byname, bin->pcln.nfunc, sizeof(uint32_t), cmp_byname);
	sort_bin = NULL;
}

static bool cs_ready(struct gobin *bin)
{
	if (!bin->cs_ok && !bin->cs_failed) {
		if (cs_open(CS_ARCH_X86, CS_MODE_64, &bin->cs) == CS_ERR_OK &&
		    cs_option(bin->cs, CS_OPT_DETAIL, CS_OPT_ON) == CS_ERR_OK)
			bin->cs_ok = true;
		else
			bin->cs_failed = true;
	}
	return bin->cs_ok;
}

/*
 * Code is decoded from the file itself, not through the mapping: a uprobe
 * on this binary (another tracer's, or a leakscope agent tracing every
 * process) puts an int3 into every mapping of the file that may execute,
 * leakscope's own read-only one included, and the instruction under it
 * would decode as something else.
 */
size_t gobin_disasm(struct gobin *bin, uint64_t addr, size_t max_bytes,
		    size_t max_insns, cs_insn **insns)
{
	size_t avail = gobin_avail(bin, addr), len = MIN(avail, max_bytes), n = 0;
	uint64_t off;
	uint8_t *code;

	*insns = NULL;
	if (!cs_ready(bin) || !avail || gobin__vaddr_to_offset(bin, addr, &off))
		return 0;
	code = xmalloc(len);
	if (pread(bin->fd, code, len, (off_t)off) == (ssize_t)len)
		n = cs_disasm(bin->cs, code, len, addr, max_insns, insns);
	free(code);
	return n;
}

static bool is_reg(const cs_x86_op *op, x86_reg reg)
{
	return op->type == X86_OP_REG && op->reg == reg;
}

/* 0x10(%r14): g.stackguard0, the current g being in R14 (ABIInternal). */
static bool is_stackguard(const cs_x86_op *op)
{
	return op->type == X86_OP_MEM && op->mem.base == X86_REG_R14 &&
	       op->mem.index == X86_REG_INVALID && op->mem.disp == 0x10 &&
	       op->mem.segment == X86_REG_INVALID;
}

/* Instructions Go puts before the compare for big frames: R12 = SP - N
 * (lea, or mov + sub + jb for frames over StackBig). */
static bool is_r12_setup(const cs_insn *in)
{
	const cs_x86 *x = &in->detail->x86;

	switch (in->id) {
	case X86_INS_LEA:
	case X86_INS_MOV:
	case X86_INS_SUB:
		return x->op_count == 2 && is_reg(&x->operands[0], X86_REG_R12);
	case X86_INS_JB:
		return true;
	default:
		return false;
	}
}

int gobin__prologue(struct gobin *bin, uint64_t entry,
		    struct gobin_prologue *out)
{
	cs_insn *in;
	size_t n, i = 0;

	memset(out, 0, sizeof(*out));
	if (!gobin_avail(bin, entry))
		return -ENOENT;
	n = gobin_disasm(bin, entry, 96, 10, &in);
	if (!n)
		return -EINVAL;
	while (i < n && i < 3 && is_r12_setup(&in[i]))
		i++;
	if (i < n && in[i].id == X86_INS_CMP) {
		const cs_x86 *x = &in[i].detail->x86;
		bool reg_ok = (i == 0 && is_reg(&x->operands[0], X86_REG_RSP)) ||
			      (i > 0 && is_reg(&x->operands[0], X86_REG_R12));

		if (x->op_count == 2 && reg_ok && is_stackguard(&x->operands[1])) {
			out->stack_check = true;
			out->check_addr = entry;
			i++;
		}
	}
	if (out->stack_check && i < n && in[i].id == X86_INS_JBE) {
		out->jbe_addr = in[i].address;
		out->jbe_len = in[i].size;
		out->body_addr = in[i].address + in[i].size;
		i++;
	}
	if (!out->stack_check)
		i = 0;
	for (size_t j = i; j < n && j < i + 3; j++) {
		const cs_x86 *x = &in[j].detail->x86;

		if (in[j].id == X86_INS_PUSH && x->op_count == 1 &&
		    is_reg(&x->operands[0], X86_REG_RBP)) {
			out->push_rbp_addr = in[j].address;
			break;
		}
	}
	cs_free(in, n);
	return 0;
}

struct candidate {
	struct gobin_func f;
	uint32_t index;
};

static int cmp_candidates(const void *a, const void *b)
{
	const struct candidate *x = a, *y = b;
	uint64_t xs = x->f.end - x->f.entry, ys = y->f.end - y->f.entry;

	if (x->f.abi0 != y->f.abi0)
		return x->f.abi0 ? 1 : -1;
	if (x->f.stack_check != y->f.stack_check)
		return x->f.stack_check ? -1 : 1;
	if (x->f.wrapper != y->f.wrapper)
		return x->f.wrapper ? 1 : -1;
	if (xs != ys)
		return xs > ys ? -1 : 1;
	return (x->index > y->index) - (x->index < y->index);
}

/* Which other candidate i calls or jumps to (-1 if none), and whether
 * it loads g from thread-local storage into R14 (`mov %fs:-8,%r14`)
 * before that call: ABI0-to-ABIInternal wrappers set up R14 for the
 * callee, ABIInternal-to-ABI0 wrappers restore it after. */
static int calls_other(struct gobin *bin, const struct candidate *c,
		       size_t count, size_t i, bool *loads_g)
{
	uint64_t size = c[i].f.end - c[i].f.entry;
	int callee = -1;
	cs_insn *in;
	size_t n;

	*loads_g = false;
	n = gobin_disasm(bin, c[i].f.entry, MIN(size, 512), 128, &in);
	for (size_t k = 0; k < n; k++) {
		const cs_x86 *x = &in[k].detail->x86;

		if (callee < 0 && in[k].id == X86_INS_MOV && x->op_count == 2 &&
		    is_reg(&x->operands[0], X86_REG_R14) &&
		    x->operands[1].type == X86_OP_MEM &&
		    x->operands[1].mem.segment == X86_REG_FS)
			*loads_g = true;
		if ((in[k].id != X86_INS_CALL && in[k].id != X86_INS_JMP) ||
		    x->op_count != 1 || x->operands[0].type != X86_OP_IMM)
			continue;
		for (size_t j = 0; j < count && callee < 0; j++)
			if (j != i && (uint64_t)x->operands[0].imm == c[j].f.entry)
				callee = (int)j;
	}
	if (n)
		cs_free(in, n);
	return callee;
}

static void classify_abi(struct gobin *bin, struct candidate *c, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		bool loads_g;
		int callee = calls_other(bin, c, count, i, &loads_g);

		if (callee < 0)
			continue;
		c[i].f.wrapper = true;
		if (loads_g)
			c[i].f.abi0 = true;	/* ABI0 -> ABIInternal */
		else
			c[callee].f.abi0 = true;	/* ABIInternal -> ABI0 */
	}
}

int gobin__funcs_by_name(struct gobin *bin, const char *name,
			 struct gobin_func *out, size_t max)
{
	size_t lo = 0, hi, first, count = 0;
	struct candidate *c;

	build_byname(bin);
	hi = bin->pcln.nfunc;
	while (lo < hi) {	/* first index whose name >= name */
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(index_name(bin, bin->byname[mid]), name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	first = lo;
	while (first + count < bin->pcln.nfunc &&
	       !strcmp(index_name(bin, bin->byname[first + count]), name))
		count++;
	if (!count)
		return 0;
	c = xcalloc(count, sizeof(*c));
	for (size_t i = 0; i < count; i++) {
		struct gobin_prologue pro;

		c[i].index = bin->byname[first + i];
		gobin__func(bin, c[i].index, &c[i].f);
		if (!gobin__prologue(bin, c[i].f.entry, &pro))
			c[i].f.stack_check = pro.stack_check;
	}
	if (count > 1)
		classify_abi(bin, c, count);
	if (count > 1)
		qsort(c, count, sizeof(*c), cmp_candidates);
	for (size_t i = 0; i < count && i < max; i++)
		out[i] = c[i].f;
	free(c);
	return (int)MIN(count, (size_t)INT32_MAX);
}

int gobin__func_by_name(struct gobin *bin, const char *name,
			uint64_t *entry, uint64_t *end)
{
	struct gobin_func f;

	if (gobin__funcs_by_name(bin, name, &f, 1) <= 0)
		return -ENOENT;
	if (entry)
		*entry = f.entry;
	if (end)
		*end = f.end;
	return 0;
}

/* The funcID of a runtime function, by name; -1 if it is not there. */
static int func_id_of(struct gobin *bin, const char *name)
{
	struct gopclntab_func f;
	uint64_t entry;

	if (gobin__func_by_name(bin, name, &entry, NULL) ||
	    gopclntab__find_pc(&bin->pcln, entry, &f))
		return -1;
	return f.func_id;
}

/*
 * The runtime lists its special functions in one enum whose last member
 * is the wrapper ID, right after systemstack_switch (true from Go 1.18 to
 * 1.27, though members were added before it): so the wrapper ID is that
 * function's ID plus one, whatever the release.
 */
static void learn_func_ids(struct gobin *bin)
{
	static const char *const panics[3] = {
		"runtime.gopanic", "runtime.sigpanic", "runtime.panicwrap",
	};
	int sw;

	if (bin->fid_done)
		return;
	bin->fid_done = true;
	sw = func_id_of(bin, "runtime.systemstack_switch");
	bin->fid_wrapper = sw > 0 ? sw + 1 : -1;
	for (int i = 0; i < 3; i++)
		bin->fid_panic[i] = func_id_of(bin, panics[i]);
}

static void set_roles(struct gobin *bin, struct gobin_frame *fr, int func_id)
{
	fr->wrapper = bin->fid_wrapper > 0 && func_id == bin->fid_wrapper;
	fr->panics = false;
	for (int i = 0; i < 3; i++)
		fr->panics |= func_id > 0 && func_id == bin->fid_panic[i];
}

int gobin__func_at(struct gobin *bin, uint64_t pc, struct gobin_frame *frames,
		   size_t max)
{
	const struct gopclntab *t = &bin->pcln;
	struct gopclntab_func f;
	uint64_t at = pc;
	int32_t ix;
	size_t n = 0;

	if (!max)
		return -EINVAL;
	learn_func_ids(bin);
	if (gopclntab__find_pc(t, pc, &f))
		return -ENOENT;
	if (!t->gofunc)
		bin->pcln.gofunc = gobin__gofunc(bin);
	/* Inlined calls, innermost first: the pc-value tables give the
	 * innermost position; each tree entry's parent_pc is an instruction
	 * at its call site, where the next level's index is read. */
	if (gopclntab__pcdata(t, &f, GOPCLNTAB_PCDATA_INLTREEINDEX, at, &ix))
		ix = -1;
	for (int depth = 0; ix >= 0 && n + 1 < max && depth < 64; depth++) {
		struct gopclntab_inl inl;
		struct gobin_frame *fr = &frames[n];

		if (gopclntab__inl(t, &f, ix, &inl))
			break;
		fr->func = inl.name;
		fr->entry = f.entry;
		fr->inlined = true;
		set_roles(bin, fr, inl.func_id);
		if (gopclntab__fileline(t, &f, at, &fr->file, &fr->line)) {
			fr->file = NULL;
			fr->line = 0;
		}
		n++;
		at = f.entry + (uint64_t)inl.parent_pc;
		if (gopclntab__pcdata(t, &f, GOPCLNTAB_PCDATA_INLTREEINDEX, at, &ix))
			ix = -1;
	}
	frames[n].func = f.name;
	frames[n].entry = f.entry;
	frames[n].inlined = false;
	set_roles(bin, &frames[n], f.func_id);
	if (gopclntab__fileline(t, &f, at, &frames[n].file, &frames[n].line)) {
		frames[n].file = NULL;
		frames[n].line = 0;
	}
	return (int)n + 1;
}

int gobin__frame_size(struct gobin *bin, uint64_t pc, const char **func,
		      uint64_t *entry, int32_t *spdelta)
{
	struct gopclntab_func f;

	if (gopclntab__find_pc(&bin->pcln, pc, &f) ||
	    gopclntab__pcvalue(&bin->pcln, &f, f.pcsp, pc, spdelta))
		return -ENOENT;
	if (func)
		*func = f.name;
	if (entry)
		*entry = f.entry;
	return 0;
}
