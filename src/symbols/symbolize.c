// SPDX-License-Identifier: MIT
#include "symbols/symbolize.h"
#include "golang/gobin.h"
#include "base/hashmap.h"
#include "symbols/modules.h"
#include "symbols/stacks.h"
#include "base/intern.h"
#include "base/util.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Per-module libdwfl session: one Dwfl holding just that module at bias
 * 0, so lookups use link-time addresses. */
struct native_sym {
	Dwfl *dwfl;
	Dwfl_Module *mod;
	struct gobin *go;	/* Go binaries: names from .gopclntab */
};

static char *debuginfo_path;
static const Dwfl_Callbacks callbacks = {
	.find_elf = dwfl_build_id_find_elf,
	.find_debuginfo = dwfl_standard_find_debuginfo,
	.section_address = dwfl_offline_section_address,
	.debuginfo_path = &debuginfo_path,
};

static struct u64map *cache;	/* (frame << 1 | ret_addr) hash -> sym */

static struct native_sym *native_open(struct module *m)
{
	struct native_sym *s = xcalloc(1, sizeof(*s));
	const char *base;

	if (!modules__path(m)[0])
		return s;
	/* .gopclntab survives stripping and knows Go's inlining: it is the
	 * first source for Go code. Quietly not Go for everything else. */
	{
		const char *why;

		s->go = gobin__open(m->open_path, &why);
	}
	s->dwfl = dwfl_begin(&callbacks);
	if (!s->dwfl)
		return s;
	base = strrchr(m->path, '/');
	base = base ? base + 1 : m->path;
	s->mod = dwfl_report_elf(s->dwfl, base, m->open_path, -1, 0, false);
	dwfl_report_end(s->dwfl, NULL, NULL);
	return s;
}

/* libstdc++'s demangler (the C++ ABI's own entry point), so C++ frames
 * read as the source names them. */
extern char *__cxa_demangle(const char *mangled, char *buf, size_t *len,
			    int *status);

/*
 * What a reader wants to see for a symbol: C++ names demangled, and the
 * symbol-version suffix of versioned libc symbols ("@@GLIBC_2.34")
 * dropped, so the same function has one name everywhere.
 */
static const char *clean_name(const char *raw)
{
	const char *at;
	char *dem;
	int status = -1;

	if (raw[0] == '_' && raw[1] == 'Z') {
		dem = __cxa_demangle(raw, NULL, NULL, &status);
		if (dem && status == 0) {
			const char *out = intern(dem);

			free(dem);
			return out;
		}
		free(dem);
	}
	at = strchr(raw, '@');
	if (at && at > raw) {
		char buf[512];

		snprintf(buf, sizeof(buf), "%.*s", (int)(at - raw), raw);
		return intern(buf);
	}
	return intern(raw);
}

/* The name a reader knows an inlined function by: its linkage name
 * demangled (qualified, for C++), else its plain name. */
static const char *die_name(Dwarf_Die *die)
{
	Dwarf_Attribute attr;
	const char *n = NULL;

	if (dwarf_attr_integrate(die, DW_AT_linkage_name, &attr) ||
	    dwarf_attr_integrate(die, DW_AT_MIPS_linkage_name, &attr))
		n = dwarf_formstring(&attr);
	if (!n)
		n = dwarf_diename(die);
	if (!n && dwarf_attr_integrate(die, DW_AT_name, &attr))
		n = dwarf_formstring(&attr);
	return n ? clean_name(n) : NULL;
}

/*
 * Functions inlined at addr, from the DWARF scopes: each inlined
 * subroutine is one level, and its call site (DW_AT_call_file/line) is
 * where the level above it stands.
 */
static void inline_levels(Dwfl_Module *mod, GElf_Addr addr, struct frame_sym *out)
{
	Dwarf_Addr bias = 0;
	Dwarf_Die *cudie = dwfl_module_addrdie(mod, addr, &bias);
	Dwarf_Die *scopes = NULL;
	Dwarf_Files *files = NULL;
	const char *file = out->file;
	uint32_t line = out->line;
	size_t nfiles = 0;
	int n;

	if (!cudie)
		return;
	n = dwarf_getscopes(cudie, addr - bias, &scopes);
	if (n <= 0)
		return;
	dwarf_getsrcfiles(cudie, &files, &nfiles);
	out->nlevels = 0;
	for (int i = 0; i < n && out->nlevels < SYM_MAX_INLINE - 1; i++) {
		Dwarf_Attribute attr;
		Dwarf_Word call_file = 0, call_line = 0;

		if (dwarf_tag(&scopes[i]) != DW_TAG_inlined_subroutine)
			continue;
		out->levels[out->nlevels++] = (struct sym_line){
			die_name(&scopes[i]), file, line,
		};
		/* The caller's position is this inlined call's site. */
		if (dwarf_attr(&scopes[i], DW_AT_call_file, &attr) &&
		    dwarf_formudata(&attr, &call_file) == 0 && files &&
		    call_file < nfiles)
			file = intern(dwarf_filesrc(files, call_file, NULL, NULL));
		if (dwarf_attr(&scopes[i], DW_AT_call_line, &attr) &&
		    dwarf_formudata(&attr, &call_line) == 0)
			line = (uint32_t)call_line;
	}
	out->levels[out->nlevels++] = (struct sym_line){ out->func, file, line };
	free(scopes);
}

/* Go code: function, file:line and inlined calls from .gopclntab. */
static bool go_lookup(struct gobin *bin, uint64_t vaddr, struct frame_sym *out)
{
	struct gobin_frame frames[SYM_MAX_INLINE];
	int n = gobin__func_at(bin, vaddr, frames, SYM_MAX_INLINE);

	if (n <= 0)
		return false;
	out->nlevels = 0;
	for (int i = 0; i < n; i++)
		out->levels[out->nlevels++] = (struct sym_line){
			intern(frames[i].func), frames[i].file ? intern(frames[i].file) : NULL,
			frames[i].line > 0 ? (uint32_t)frames[i].line : 0,
		};
	out->func = out->levels[n - 1].name;
	out->file = out->levels[0].file;
	out->line = out->levels[0].line;
	return true;
}

static void native_lookup(struct module *m, uint64_t vaddr,
			  struct frame_sym *out)
{
	struct native_sym *s = m->sym;

	if (s->go && go_lookup(s->go, vaddr, out))
		return;
	GElf_Addr bias = 0, addr, off;
	Dwfl_Line *line;
	GElf_Sym sym;
	const char *name;

	if (!s->mod)
		return;
	if (!dwfl_module_getelf(s->mod, &bias))
		return;
	addr = vaddr + bias;
	name = dwfl_module_addrinfo(s->mod, addr, &off, &sym, NULL, NULL, NULL);
	if (name)
		out->func = clean_name(name);
	line = dwfl_module_getsrc(s->mod, addr);
	if (line) {
		int lineno = 0;
		const char *file = dwfl_lineinfo(line, NULL, &lineno, NULL,
						 NULL, NULL);
		if (file) {
			out->file = intern(file);
			out->line = lineno;
		}
	}
	if (out->func)
		inline_levels(s->mod, addr, out);
}

struct cached {
	uint64_t frame;
	bool ret_addr;
	struct frame_sym sym;
};

static void resolve(uint64_t frame, bool ret_addr, struct frame_sym *out)
{
	uint32_t mod_id = FRAME_MODULE(frame);
	uint64_t off = FRAME_OFFSET(frame);
	struct module *m = modules__get(mod_id);
	char buf[512];

	out->offset = off;
	if (m) {
		const struct elf_info *e = modules__elf(m);
		uint64_t vaddr;

		out->module = m->path;
		if (e && e->build_id[0])
			out->build_id = intern(e->build_id);
		if (!m->sym)
			m->sym = native_open(m);
		/* The call that made a return address is just before it. */
		if (e && elfinfo__offset_to_vaddr(e, off - (ret_addr && off), &vaddr))
			native_lookup(m, vaddr, out);
	}
	if (out->func) {
		out->name = out->func;
		if (!out->nlevels)
			out->levels[out->nlevels++] =
				(struct sym_line){ out->func, out->file, out->line };
		return;
	} else if (m) {
		const char *base = strrchr(m->path, '/');

		snprintf(buf, sizeof(buf), "%s+0x%llx", base ? base + 1 : m->path,
			 (unsigned long long)off);
		out->name = intern(buf);
	} else {
		snprintf(buf, sizeof(buf), "[unknown 0x%llx]",
			 (unsigned long long)off);
		out->name = intern(buf);
	}
	out->levels[0] = (struct sym_line){ out->name, NULL, 0 };
	out->nlevels = 1;
}

const struct frame_sym *symbolize__frame(uint64_t frame, bool ret_addr)
{
	uint64_t key = hash_u64(frame ^ ret_addr), v;
	struct cached *c;

	if (!cache)
		cache = u64map__new(4096);
	/* The key is a hash: confirm it is this frame before trusting it. */
	for (;; key = hash_u64(key + 1)) {
		if (key == U64MAP_EMPTY)
			continue;
		if (!u64map__get(cache, key, &v))
			break;
		c = (struct cached *)(uintptr_t)v;
		if (c->frame == frame && c->ret_addr == ret_addr)
			return &c->sym;
	}
	c = xcalloc(1, sizeof(*c));
	c->frame = frame;
	c->ret_addr = ret_addr;
	resolve(frame, ret_addr, &c->sym);
	u64map__put(cache, key, (uint64_t)(uintptr_t)c);
	return &c->sym;
}
