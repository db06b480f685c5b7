// SPDX-License-Identifier: MIT
#include "symbolize.h"
#include "hashmap.h"
#include "modules.h"
#include "stacks.h"
#include "util.h"

#include <elfutils/libdwfl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Per-module libdwfl session: one Dwfl holding just that module at bias
 * 0, so lookups use link-time addresses. */
struct native_sym {
	Dwfl *dwfl;
	Dwfl_Module *mod;
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

	if (!m->open_path[0])
		return s;
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

static void native_lookup(struct module *m, uint64_t vaddr,
			  struct frame_sym *out)
{
	struct native_sym *s = m->sym;
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
		if (!m->sym)
			m->sym = native_open(m);
		/* The call that made a return address is just before it. */
		if (e && elfinfo__offset_to_vaddr(e, off - (ret_addr && off), &vaddr))
			native_lookup(m, vaddr, out);
	}
	if (out->func) {
		out->name = out->func;
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
