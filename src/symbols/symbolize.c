// SPDX-License-Identifier: MIT
#include "symbols/symbolize.h"
#include "golang/gobin.h"
#include "base/hashmap.h"
#include "symbols/modules.h"
#include "symbols/stacks.h"
#include "base/strtab.h"
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

struct cached {
	uint64_t frame;
	bool ret_addr;
	bool marked;
	struct frame_sym sym;
};

struct symbolizer {
	struct modules *mods;
	struct strtab *strings;
	struct u64map *cache;	/* (frame, ret_addr) hash (+ probe) -> struct cached * */
	struct u64map *by_module;	/* module id -> struct native_sym * */
};

static char *debuginfo_path;
static const Dwfl_Callbacks callbacks = {
	.find_elf = dwfl_build_id_find_elf,
	.find_debuginfo = dwfl_standard_find_debuginfo,
	.section_address = dwfl_offline_section_address,
	.debuginfo_path = &debuginfo_path,
};

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

static void native_free(struct native_sym *s)
{
	if (s->dwfl)
		dwfl_end(s->dwfl);
	gobin__free(s->go);
	free(s);
}

struct symbolizer *symbolizer__new(struct modules *mods, struct strtab *strings)
{
	struct symbolizer *sz = xcalloc(1, sizeof(*sz));

	sz->mods = mods;
	sz->strings = strings;
	sz->cache = u64map__new(4096);
	sz->by_module = u64map__new(64);
	return sz;
}

void symbolizer__free(struct symbolizer *sz)
{
	uint64_t v;
	size_t it = 0;

	if (!sz)
		return;
	while (u64map__next(sz->cache, &it, NULL, &v))
		free((struct cached *)(uintptr_t)v);
	it = 0;
	while (u64map__next(sz->by_module, &it, NULL, &v))
		native_free((struct native_sym *)(uintptr_t)v);
	u64map__free(sz->cache);
	u64map__free(sz->by_module);
	free(sz);
}

static struct native_sym *native_of(struct symbolizer *sz, struct module *m)
{
	struct native_sym *s;
	uint64_t v;

	if (u64map__get(sz->by_module, m->id, &v))
		return (struct native_sym *)(uintptr_t)v;
	s = native_open(m);
	u64map__put(sz->by_module, m->id, (uint64_t)(uintptr_t)s);
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
static const char *clean_name(struct strtab *strings, const char *raw)
{
	const char *at;
	char *dem;
	int status = -1;

	if (raw[0] == '_' && raw[1] == 'Z') {
		dem = __cxa_demangle(raw, NULL, NULL, &status);
		if (dem && status == 0) {
			const char *out = strtab__intern(strings, dem);

			free(dem);
			return out;
		}
		free(dem);
	}
	at = strchr(raw, '@');
	if (at && at > raw) {
		char buf[512];

		snprintf(buf, sizeof(buf), "%.*s", (int)(at - raw), raw);
		return strtab__intern(strings, buf);
	}
	return strtab__intern(strings, raw);
}

/* The name a reader knows an inlined function by: its linkage name
 * demangled (qualified, for C++), else its plain name. */
static const char *die_name(struct strtab *strings, Dwarf_Die *die)
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
	return n ? clean_name(strings, n) : NULL;
}

/*
 * Functions inlined at addr, from the DWARF scopes: each inlined
 * subroutine is one level, and its call site (DW_AT_call_file/line) is
 * where the level above it stands.
 */
static void inline_levels(struct strtab *strings, Dwfl_Module *mod, GElf_Addr addr,
			  struct frame_sym *out)
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
			die_name(strings, &scopes[i]), file, line,
		};
		/* The caller's position is this inlined call's site. */
		if (dwarf_attr(&scopes[i], DW_AT_call_file, &attr) &&
		    dwarf_formudata(&attr, &call_file) == 0 && files &&
		    call_file < nfiles)
			file = strtab__intern(strings, dwarf_filesrc(files, call_file, NULL, NULL));
		if (dwarf_attr(&scopes[i], DW_AT_call_line, &attr) &&
		    dwarf_formudata(&attr, &call_line) == 0)
			line = (uint32_t)call_line;
	}
	out->levels[out->nlevels++] = (struct sym_line){ out->func, file, line };
	free(scopes);
}

/* Go code: function, file:line and inlined calls from .gopclntab. */
static bool go_lookup(struct strtab *strings, struct gobin *bin, uint64_t vaddr,
		      struct frame_sym *out)
{
	struct gobin_frame frames[SYM_MAX_INLINE];
	int n = gobin__func_at(bin, vaddr, frames, SYM_MAX_INLINE);

	if (n <= 0)
		return false;
	out->nlevels = 0;
	for (int i = 0; i < n; i++)
		out->levels[out->nlevels++] = (struct sym_line){
			strtab__intern(strings, frames[i].func),
			frames[i].file ? strtab__intern(strings, frames[i].file) : NULL,
			frames[i].line > 0 ? (uint32_t)frames[i].line : 0,
			frames[i].wrapper, frames[i].panics,
		};
	out->func = out->levels[n - 1].name;
	out->file = out->levels[0].file;
	out->line = out->levels[0].line;
	return true;
}

static void native_lookup(struct strtab *strings, struct native_sym *s, uint64_t vaddr,
			  struct frame_sym *out)
{
	if (s->go && go_lookup(strings, s->go, vaddr, out))
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
		out->func = clean_name(strings, name);
	line = dwfl_module_getsrc(s->mod, addr);
	if (line) {
		int lineno = 0;
		const char *file = dwfl_lineinfo(line, NULL, &lineno, NULL,
						 NULL, NULL);
		if (file) {
			out->file = strtab__intern(strings, file);
			out->line = lineno;
		}
	}
	if (out->func)
		inline_levels(strings, s->mod, addr, out);
}

static void resolve(struct symbolizer *sz, uint64_t frame, bool ret_addr,
		    struct frame_sym *out)
{
	uint32_t mod_id = FRAME_MODULE(frame);
	uint64_t off = FRAME_OFFSET(frame);
	struct module *m = modules__get(sz->mods, mod_id);
	char buf[512];

	out->offset = off;
	if (m) {
		const struct elf_info *e = modules__elf(m);
		uint64_t vaddr;

		out->module = m->path;
		if (e && e->build_id[0])
			out->build_id = strtab__intern(sz->strings, e->build_id);
		/* The call that made a return address is just before it. */
		if (e && elfinfo__offset_to_vaddr(e, off - (ret_addr && off), &vaddr))
			native_lookup(sz->strings, native_of(sz, m), vaddr, out);
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
		out->name = strtab__intern(sz->strings, buf);
	} else {
		snprintf(buf, sizeof(buf), "[unknown 0x%llx]",
			 (unsigned long long)off);
		out->name = strtab__intern(sz->strings, buf);
	}
	out->levels[0] = (struct sym_line){ out->name, NULL, 0 };
	out->nlevels = 1;
}

static uint64_t first_key(uint64_t frame, bool ret_addr)
{
	return hash_u64(frame ^ ret_addr);
}

/* The key is a hash: confirm it is this frame before trusting it. */
static struct cached *lookup(const struct symbolizer *sz, uint64_t frame, bool ret_addr,
			     uint64_t *free_key)
{
	uint64_t key = first_key(frame, ret_addr), v;

	for (;; key = hash_u64(key + 1)) {
		struct cached *c;

		if (key == U64MAP_EMPTY)
			continue;
		if (!u64map__get(sz->cache, key, &v))
			break;
		c = (struct cached *)(uintptr_t)v;
		if (c->frame == frame && c->ret_addr == ret_addr)
			return c;
	}
	if (free_key)
		*free_key = key;
	return NULL;
}

const struct frame_sym *symbolizer__frame(struct symbolizer *sz, uint64_t frame,
					  bool ret_addr)
{
	struct cached *c;
	uint64_t key;

	c = lookup(sz, frame, ret_addr, &key);
	if (c)
		return &c->sym;
	c = xcalloc(1, sizeof(*c));
	c->frame = frame;
	c->ret_addr = ret_addr;
	resolve(sz, frame, ret_addr, &c->sym);
	u64map__put(sz->cache, key, (uint64_t)(uintptr_t)c);
	return &c->sym;
}

size_t symbolizer__count(const struct symbolizer *sz)
{
	return u64map__len(sz->cache);
}

size_t symbolizer__bytes(const struct symbolizer *sz)
{
	return sizeof(*sz) + u64map__len(sz->cache) * sizeof(struct cached) +
	       u64map__bytes(sz->cache) + u64map__len(sz->by_module) * sizeof(struct native_sym) +
	       u64map__bytes(sz->by_module);
}

void symbolizer__mark_frame(struct symbolizer *sz, uint64_t frame)
{
	for (int ret_addr = 0; ret_addr < 2; ret_addr++) {
		struct cached *c = lookup(sz, frame, ret_addr, NULL);

		if (c)
			c->marked = true;
	}
}

/* Both indexes are rebuilt from what stays: entries sit along probe
 * chains, which deleting from the middle would cut. */
size_t symbolizer__sweep(struct symbolizer *sz)
{
	struct u64map *old = sz->cache, *mods;
	uint64_t key, v;
	size_t it = 0, freed = 0, marked = 0;

	/* the new indexes sized for what stays */
	while (u64map__next(old, &it, NULL, &v))
		marked += ((const struct cached *)(uintptr_t)v)->marked;
	sz->cache = u64map__new(marked);
	it = marked = 0;
	while (u64map__next(sz->by_module, &it, &key, NULL))
		marked += modules__marked(sz->mods, (uint32_t)key);
	mods = u64map__new(marked);
	it = 0;
	while (u64map__next(old, &it, NULL, &v)) {
		struct cached *c = (struct cached *)(uintptr_t)v;

		if (!c->marked) {
			free(c);
			freed++;
			continue;
		}
		c->marked = false;
		lookup(sz, c->frame, c->ret_addr, &key);
		u64map__put(sz->cache, key, v);
	}
	u64map__free(old);
	it = 0;
	while (u64map__next(sz->by_module, &it, &key, &v)) {
		if (modules__marked(sz->mods, (uint32_t)key))
			u64map__put(mods, key, v);
		else
			native_free((struct native_sym *)(uintptr_t)v);
	}
	u64map__free(sz->by_module);
	sz->by_module = mods;
	return freed;
}

static void mark_sym(struct strtab *strings, const struct frame_sym *fs)
{
	strtab__mark(strings, fs->func);
	strtab__mark(strings, fs->module);
	strtab__mark(strings, fs->build_id);
	strtab__mark(strings, fs->name);
	strtab__mark(strings, fs->file);
	for (uint32_t i = 0; i < fs->nlevels; i++) {
		strtab__mark(strings, fs->levels[i].name);
		strtab__mark(strings, fs->levels[i].file);
	}
}

void symbolizer__mark_strings(const struct symbolizer *sz, struct strtab *strings)
{
	uint64_t v;
	size_t it = 0;

	while (u64map__next(sz->cache, &it, NULL, &v))
		mark_sym(strings, &((const struct cached *)(uintptr_t)v)->sym);
}
