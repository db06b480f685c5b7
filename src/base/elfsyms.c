// SPDX-License-Identifier: MIT
#include "base/elfsyms.h"
#include "base/elfinfo.h"
#include "base/util.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct plt_range {
	uint64_t lo, hi;
};

struct got_slot {
	uint64_t vaddr;
	const char *name;
};

struct elfsyms {
	int fd;
	Elf *elf;
	struct elf_info info;
	struct elf_func *funcs;		/* .dynsym's, then .symtab's */
	size_t nfuncs, cap;
	struct plt_range plt[4];
	size_t nplt;
	struct got_slot *got;		/* from .rela.plt and .rela.dyn */
	size_t ngot, gotcap;
};

static void read_symbols(struct elfsyms *s, Elf_Scn *scn, const GElf_Shdr *sh, bool dynamic)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	size_t n = sh->sh_entsize ? sh->sh_size / sh->sh_entsize : 0;

	for (size_t i = 0; data && i < n; i++) {
		GElf_Sym sym;
		const char *name;

		if (!gelf_getsym(data, (int)i, &sym) || GELF_ST_TYPE(sym.st_info) != STT_FUNC ||
		    sym.st_shndx == SHN_UNDEF || !sym.st_value)
			continue;
		name = elf_strptr(s->elf, sh->sh_link, sym.st_name);
		if (!name || !name[0])
			continue;
		grow_array((void **)&s->funcs, &s->cap, s->nfuncs + 1, sizeof(*s->funcs));
		s->funcs[s->nfuncs++] = (struct elf_func){ name, sym.st_value, sym.st_size, dynamic };
	}
}

/* GOT slots named by their relocations: what a PLT stub jumps to. */
static void read_relocations(struct elfsyms *s, Elf_Scn *scn, const GElf_Shdr *sh)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	Elf_Scn *symscn = elf_getscn(s->elf, sh->sh_link);
	GElf_Shdr symsh;
	Elf_Data *syms;
	size_t n = sh->sh_entsize ? sh->sh_size / sh->sh_entsize : 0;

	if (!data || !symscn || !gelf_getshdr(symscn, &symsh) ||
	    !(syms = elf_getdata(symscn, NULL)))
		return;
	for (size_t i = 0; i < n; i++) {
		GElf_Rela r;
		GElf_Sym sym;
		const char *name;
		uint32_t type;

		if (!gelf_getrela(data, (int)i, &r))
			continue;
		type = GELF_R_TYPE(r.r_info);
		if (type != R_X86_64_JUMP_SLOT && type != R_X86_64_GLOB_DAT)
			continue;
		if (!gelf_getsym(syms, (int)GELF_R_SYM(r.r_info), &sym))
			continue;
		name = elf_strptr(s->elf, symsh.sh_link, sym.st_name);
		if (!name || !name[0])
			continue;
		grow_array((void **)&s->got, &s->gotcap, s->ngot + 1, sizeof(*s->got));
		s->got[s->ngot++] = (struct got_slot){ r.r_offset, name };
	}
}

struct elfsyms *elfsyms__open(const char *path, const char **why)
{
	struct elfsyms *s = xcalloc(1, sizeof(*s));
	static char msg[160];
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	int pass;

	s->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (s->fd < 0) {
		snprintf(msg, sizeof(msg), "cannot open: %s", strerror(errno));
		*why = msg;
		free(s);
		return NULL;
	}
	if (elfinfo__read_fd(s->fd, &s->info, why))
		goto fail;
	elf_version(EV_CURRENT);
	s->elf = elf_begin(s->fd, ELF_C_READ_MMAP, NULL);
	if (!s->elf || elf_getshdrstrndx(s->elf, &shstrndx)) {
		*why = "no section headers";
		goto fail;
	}
	/* .dynsym first: its names are the exported ones */
	for (pass = 0; pass < 2; pass++) {
		scn = NULL;
		while ((scn = elf_nextscn(s->elf, scn))) {
			GElf_Shdr sh;

			if (!gelf_getshdr(scn, &sh))
				continue;
			if (sh.sh_type == (pass ? SHT_SYMTAB : SHT_DYNSYM))
				read_symbols(s, scn, &sh, !pass);
		}
	}
	while ((scn = elf_nextscn(s->elf, scn))) {
		GElf_Shdr sh;
		const char *name;

		if (!gelf_getshdr(scn, &sh))
			continue;
		name = elf_strptr(s->elf, shstrndx, sh.sh_name);
		if (sh.sh_type == SHT_RELA)
			read_relocations(s, scn, &sh);
		if (name && (!strcmp(name, ".plt") || !strcmp(name, ".plt.sec") ||
			     !strcmp(name, ".plt.got")) && s->nplt < ARRAY_SIZE(s->plt))
			s->plt[s->nplt++] = (struct plt_range){ sh.sh_addr, sh.sh_addr + sh.sh_size };
	}
	return s;
fail:
	elfsyms__free(s);
	return NULL;
}

void elfsyms__free(struct elfsyms *s)
{
	if (!s)
		return;
	free(s->funcs);
	free(s->got);
	if (s->elf)
		elf_end(s->elf);
	elfinfo__free(&s->info);
	if (s->fd >= 0)
		close(s->fd);
	free(s);
}

int elfsyms__each_func(const struct elfsyms *s,
		       int (*fn)(void *ctx, const struct elf_func *f), void *ctx)
{
	for (size_t i = 0; i < s->nfuncs; i++) {
		int r = fn(ctx, &s->funcs[i]);

		if (r)
			return r;
	}
	return 0;
}

int elfsyms__func(const struct elfsyms *s, const char *name, struct elf_func *out)
{
	for (size_t i = 0; i < s->nfuncs; i++)
		if (!strcmp(s->funcs[i].name, name)) {
			*out = s->funcs[i];
			return 0;
		}
	return -ENOENT;
}

int elfsyms__func_nth_at(const struct elfsyms *s, uint64_t vaddr, size_t n,
			 struct elf_func *out)
{
	for (size_t i = 0; i < s->nfuncs; i++)
		if (s->funcs[i].vaddr == vaddr && n-- == 0) {
			*out = s->funcs[i];
			return 0;
		}
	return -ENOENT;
}

int elfsyms__func_at(const struct elfsyms *s, uint64_t vaddr, struct elf_func *out)
{
	return elfsyms__func_nth_at(s, vaddr, 0, out);
}

bool elfsyms__in_plt(const struct elfsyms *s, uint64_t vaddr)
{
	for (size_t i = 0; i < s->nplt; i++)
		if (vaddr >= s->plt[i].lo && vaddr < s->plt[i].hi)
			return true;
	return false;
}

const char *elfsyms__got_symbol(const struct elfsyms *s, uint64_t got_vaddr)
{
	for (size_t i = 0; i < s->ngot; i++)
		if (s->got[i].vaddr == got_vaddr)
			return s->got[i].name;
	return NULL;
}

bool elfsyms__file_offset(const struct elfsyms *s, uint64_t vaddr, uint64_t *off)
{
	return elfinfo__vaddr_to_offset(&s->info, vaddr, off);
}

size_t elfsyms__read(const struct elfsyms *s, uint64_t vaddr, void *buf, size_t len)
{
	for (size_t i = 0; i < s->info.nloads; i++) {
		const struct elf_segment *seg = &s->info.loads[i];
		ssize_t n;

		if (vaddr < seg->vaddr || vaddr >= seg->vaddr + seg->filesz)
			continue;
		len = MIN(len, seg->vaddr + seg->filesz - vaddr);
		n = pread(s->fd, buf, len, (off_t)(seg->offset + vaddr - seg->vaddr));
		return n > 0 ? (size_t)n : 0;
	}
	return 0;
}
