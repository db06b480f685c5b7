// SPDX-License-Identifier: MIT
#include "trace/mallocprobes.h"
#include "base/elfsyms.h"
#include "base/hashmap.h"
#include "base/logfmt.h"
#include "base/strtab.h"
#include "base/util.h"
#include "leakscope.h"
#include "ledgers/process.h"
#include "malloc.skel.h"
#include "symbols/modules.h"
#include "symbols/tables.h"
#include "trace/mallocload.h"
#include "trace/probe_site.h"
#include "trace/probes.h"
#include "unwind_guard.skel.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* The family: C names (which --malloc-prefix applies to) and C++'s. */
static const struct family_fn {
	const char *name;
	uint32_t cls;
	int nargs;
	bool cxx;
	bool throws;	/* may throw std::bad_alloc */
} family[] = {
	{ "malloc", LS_ALLOC_SIZE, 1, false },
	{ "calloc", LS_ALLOC_CALLOC, 2, false },
	{ "realloc", LS_ALLOC_REALLOC, 2, false },
	{ "reallocarray", LS_ALLOC_REALLOCARRAY, 3, false },
	{ "posix_memalign", LS_ALLOC_POSIX_MEMALIGN, 3, false },
	{ "aligned_alloc", LS_ALLOC_ALIGNED, 2, false },
	{ "memalign", LS_ALLOC_ALIGNED, 2, false },
	{ "valloc", LS_ALLOC_SIZE, 1, false },
	{ "pvalloc", LS_ALLOC_PAGES, 1, false },
	{ "free", LS_ALLOC_FREE, 1, false },
	{ "cfree", LS_ALLOC_FREE, 1, false },
	/* operator new: plain, [], nothrow, aligned, aligned nothrow */
	{ "_Znwm", LS_ALLOC_SIZE, 1, true, true },
	{ "_Znam", LS_ALLOC_SIZE, 1, true, true },
	{ "_ZnwmRKSt9nothrow_t", LS_ALLOC_SIZE, 1, true },
	{ "_ZnamRKSt9nothrow_t", LS_ALLOC_SIZE, 1, true },
	{ "_ZnwmSt11align_val_t", LS_ALLOC_SIZE, 1, true, true },
	{ "_ZnamSt11align_val_t", LS_ALLOC_SIZE, 1, true, true },
	{ "_ZnwmSt11align_val_tRKSt9nothrow_t", LS_ALLOC_SIZE, 1, true },
	{ "_ZnamSt11align_val_tRKSt9nothrow_t", LS_ALLOC_SIZE, 1, true },
	/* operator delete: plain, [], sized, nothrow, aligned, combinations */
	{ "_ZdlPv", LS_ALLOC_FREE, 1, true },
	{ "_ZdaPv", LS_ALLOC_FREE, 1, true },
	{ "_ZdlPvm", LS_ALLOC_FREE, 1, true },
	{ "_ZdaPvm", LS_ALLOC_FREE, 1, true },
	{ "_ZdlPvRKSt9nothrow_t", LS_ALLOC_FREE, 1, true },
	{ "_ZdaPvRKSt9nothrow_t", LS_ALLOC_FREE, 1, true },
	{ "_ZdlPvSt11align_val_t", LS_ALLOC_FREE, 1, true },
	{ "_ZdaPvSt11align_val_t", LS_ALLOC_FREE, 1, true },
	{ "_ZdlPvmSt11align_val_t", LS_ALLOC_FREE, 1, true },
	{ "_ZdaPvmSt11align_val_t", LS_ALLOC_FREE, 1, true },
	{ "_ZdlPvSt11align_val_tRKSt9nothrow_t", LS_ALLOC_FREE, 1, true },
	{ "_ZdaPvSt11align_val_tRKSt9nothrow_t", LS_ALLOC_FREE, 1, true },
};

/* Where an unwind starts (libgcc_s, LLVM's libunwind, static binaries):
 * the unwind guard goes there (bpf/unwind_guard.bpf.c). */
static const char *const unwinders[] = {
	"_Unwind_RaiseException", "_Unwind_Resume_or_Rethrow", "_Unwind_ForcedUnwind",
};

#define MAX_THUNK_HOPS 3
#define CODE_MAX 4096	/* bytes of a function decoded */

/* A module inspected, by device and inode (else path): not by the
 * collector's module id, which a sweep may free and give to another
 * file while this stays. Its strings are the mallocprobes' own. */
struct alloc_module {
	const char *path;	/* as the process names it */
	uint64_t dev, ino;
	bool allocator;		/* defines malloc or free */
	const char *what;	/* "glibc (libc.so.6)" */
	uint32_t *fns;		/* probe ids */
	size_t nfns;
	const char *skipped;	/* lines "name: why", or NULL */
	uint64_t guard_off[3];	/* file offsets of unwinder entry sites */
	size_t nguard;
	struct u64map *pids;	/* attached for these pids */
};

/* The links attached for one process (the kernel filters by process):
 * detached when it exits, so a long-running agent keeps none of the
 * processes it is done with. */
struct pid_links {
	int pid;
	struct bpf_link **l;
	size_t nl;
	int *fds;	/* session links (raw BPF_LINK_CREATE) */
	size_t nfds;
};

struct mallocprobes {
	struct probes *p;
	struct malloc_options o;
	/* Names and paths of what it inspected and probed: they live as long
	 * as the probes, whatever the collector's tables sweep. */
	struct strtab *strings;
	const struct logger *log;
	struct u64map *by_pid;	/* pid -> index in links[] + 1 */
	struct pid_links *links;
	size_t nlinks, caplinks;
	struct alloc_module **mods;
	size_t nmods, capmods;
	struct malloc_fn **fns;	/* index = probe id */
	size_t nfns, capfns;
};

struct mallocprobes *mallocprobes__new(struct probes *p, const struct malloc_options *o)
{
	struct mallocprobes *m = xcalloc(1, sizeof(*m));

	m->p = p;
	m->o = *o;
	m->strings = strtab__new();
	m->log = p ? p->log : NULL;
	m->by_pid = u64map__new(16);
	if (!m->o.sample_mean)
		m->o.sample_mean = MALLOC_SAMPLE_MEAN;
	return m;
}

static void detach_set(struct pid_links *s)
{
	for (size_t i = 0; i < s->nl; i++)
		bpf_link__destroy(s->l[i]);
	for (size_t i = 0; i < s->nfds; i++)
		close(s->fds[i]);
	free(s->l);
	free(s->fds);
	memset(s, 0, sizeof(*s));
}

static struct pid_links *links_of(struct mallocprobes *m, int pid)
{
	uint64_t idx;

	if (!u64map__get(m->by_pid, (uint64_t)pid, &idx)) {
		grow_array((void **)&m->links, &m->caplinks, m->nlinks + 1, sizeof(*m->links));
		memset(&m->links[m->nlinks], 0, sizeof(*m->links));
		m->links[m->nlinks].pid = pid;
		idx = ++m->nlinks;
		u64map__put(m->by_pid, (uint64_t)pid, idx);
	}
	return &m->links[idx - 1];
}

static void keep_link(struct mallocprobes *m, int pid, struct bpf_link *l)
{
	struct pid_links *s = links_of(m, pid);

	s->l = xrealloc(s->l, (s->nl + 1) * sizeof(*s->l));
	s->l[s->nl++] = l;
}

static void keep_fd(struct mallocprobes *m, int pid, int fd)
{
	struct pid_links *s = links_of(m, pid);

	s->fds = xrealloc(s->fds, (s->nfds + 1) * sizeof(*s->fds));
	s->fds[s->nfds++] = fd;
}

/* Detach what was attached for pid (it exited). */
static void detach_pid(struct mallocprobes *m, int pid)
{
	uint64_t idx, last;

	if (!u64map__del(m->by_pid, (uint64_t)pid, &idx))
		return;
	detach_set(&m->links[idx - 1]);
	last = m->nlinks--;
	if (idx != last) {
		m->links[idx - 1] = m->links[last - 1];
		u64map__put(m->by_pid, (uint64_t)m->links[idx - 1].pid, idx);
	}
}

void mallocprobes__free(struct mallocprobes *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->nlinks; i++)
		detach_set(&m->links[i]);
	free(m->links);
	u64map__free(m->by_pid);
	for (size_t i = 0; i < m->nmods; i++) {
		free(m->mods[i]->fns);
		u64map__free(m->mods[i]->pids);
		free(m->mods[i]);
	}
	for (size_t i = 0; i < m->nfns; i++)
		free(m->fns[i]);
	free(m->mods);
	free(m->fns);
	strtab__free(m->strings);
	free(m);
}

enum malloc_mode mallocprobes__mode(const struct mallocprobes *m)
{
	return m ? m->o.mode : MALLOC_OFF;
}

uint64_t mallocprobes__sample_mean(const struct mallocprobes *m)
{
	return m ? m->o.sample_mean : MALLOC_SAMPLE_MEAN;
}

const struct malloc_fn *mallocprobes__fn(const struct mallocprobes *m, uint32_t id)
{
	return m && id < m->nfns ? m->fns[id] : NULL;
}

/* ---- inspecting a module -------------------------------------------- */

/* fmt's text in m's strings. */
static const char *say(struct mallocprobes *m, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static const char *say(struct mallocprobes *m, const char *fmt, ...)
{
	char buf[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return strtab__intern(m->strings, buf);
}

static void add_skipped(struct mallocprobes *m, struct alloc_module *a, const char *name,
			const char *why)
{
	a->skipped = say(m, "%s%s%s: %s", a->skipped ? a->skipped : "",
			 a->skipped ? "; " : "", name, why);
}

/* Which allocator this is, for the report. */
static const char *describe(struct mallocprobes *m, const struct elfsyms *s,
			    const char *path)
{
	const char *base = strrchr(path, '/');
	struct elf_func f;
	const char *kind = "its own malloc";

	base = base ? base + 1 : path;
	if (!elfsyms__func(s, "mallctl", &f) || !elfsyms__func(s, "je_malloc", &f))
		kind = "jemalloc";
	else if (!elfsyms__func(s, "tc_malloc", &f))
		kind = "tcmalloc";
	else if (!elfsyms__func(s, "mi_malloc", &f))
		kind = "mimalloc";
	else if (!elfsyms__func(s, "__libc_malloc", &f))
		kind = "glibc malloc";
	return say(m, "%s (%s)", kind, base);
}

/*
 * Follow a function that is only a jump: to a function of this module
 * (directly or through its own PLT slot). vaddr and size become the
 * destination's; false when it cannot be followed, with *why set, and
 * *elsewhere when the jump leaves the module (the probe on the
 * destination, where it is defined, sees the call).
 */
static bool follow_thunk(struct mallocprobes *m, const struct elfsyms *s, uint64_t target,
			 uint64_t *vaddr, uint64_t *size, const char **target_name,
			 const char **why, bool *elsewhere)
{
	uint8_t stub[32];
	struct elf_func f;
	const char *name;
	size_t n;

	if (elfsyms__in_plt(s, target)) {
		n = elfsyms__read(s, target, stub, sizeof(stub));
		name = elfsyms__got_symbol(s, probe_site__plt_slot(stub, n, target));
		if (!name) {
			*why = "jumps through a PLT stub not understood";
			return false;
		}
		if (elfsyms__func(s, name, &f)) {
			*why = say(m, "jumps to %s in another module (probed there)", name);
			*elsewhere = true;
			return false;
		}
		*vaddr = f.vaddr;
		*size = f.size;
		*target_name = strtab__intern(m->strings, name);
		return true;
	}
	*vaddr = target;
	*size = CODE_MAX;
	*target_name = NULL;
	if (!elfsyms__func_at(s, target, &f)) {
		*size = f.size ? f.size : CODE_MAX;
		*target_name = strtab__intern(m->strings, f.name);
	}
	return true;
}

static bool is_family(const struct malloc_options *o, const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(family); i++) {
		size_t n = strlen(family[i].name);

		if (!strcmp(name, family[i].name))
			return true;
		for (size_t k = 0; !family[i].cxx && k < o->nprefixes; k++) {
			size_t pl = strlen(o->prefixes[k]);

			if (!strncmp(name, o->prefixes[k], pl) && !strcmp(name + pl, family[i].name) &&
			    strlen(name) == pl + n)
				return true;
		}
	}
	return false;
}

/* A function with no probe site of its own that ends by jumping to
 * another of the family (glibc's reallocarray: `jmp realloc`): its calls
 * are seen there. The name it jumps to, or NULL. */
static const char *tail_into_family(const struct mallocprobes *m, const struct elfsyms *s,
				    const uint8_t *code, size_t n, uint64_t vaddr)
{
	uint64_t t = probe_site__tail_jump(code, n, vaddr);
	struct elf_func f;
	const char *name = NULL;
	uint8_t stub[32];

	if (!t)
		return NULL;
	if (elfsyms__in_plt(s, t)) {
		name = elfsyms__got_symbol(s, probe_site__plt_slot(stub, elfsyms__read(s, t, stub, sizeof(stub)), t));
		return name && is_family(&m->o, name) ? name : NULL;
	}
	/* a function of this module: any of its names (aliases) will do */
	for (size_t i = 0; !elfsyms__func_nth_at(s, t, i, &f); i++)
		if (is_family(&m->o, f.name))
			return f.name;
	return NULL;
}

static struct malloc_fn *place(struct mallocprobes *m, struct alloc_module *a,
			       const struct elfsyms *s, const struct family_fn *ff,
			       const char *name, const struct elf_func *sym)
{
	uint64_t vaddr = sym->vaddr, size = sym->size ? sym->size : CODE_MAX;
	const char *target = NULL, *why = NULL;
	bool elsewhere = false;	/* its calls are seen by another probe */
	struct probe_site site;
	enum probe_site_fail fail;
	struct malloc_fn *fn;
	uint8_t *code = xmalloc(CODE_MAX);
	size_t n;

	for (int hop = 0;; hop++) {
		n = elfsyms__read(s, vaddr, code, MIN(size, CODE_MAX));
		fail = n ? probe_site__find(code, n, vaddr, ff->nargs, &site) : PROBE_SITE_UNDECODABLE;
		if (fail != PROBE_SITE_OK) {
			const char *tail = n ? tail_into_family(m, s, code, n, vaddr) : NULL;

			why = tail ? say(m, "jumps to %s (probed there)", tail) :
				     probe_site__why(fail);
			elsewhere = tail != NULL;
			break;
		}
		if (!site.thunk)
			break;
		if (hop == MAX_THUNK_HOPS) {
			why = "jumps too far";
			break;
		}
		if (!follow_thunk(m, s, site.target, &vaddr, &size, &target, &why, &elsewhere))
			break;
	}
	free(code);
	if (!why && ff->cls != LS_ALLOC_FREE && site.sp_words)
		why = "its stack pointer moves before its first emulated instruction "
		      "(no return probe can go there)";
	if (why) {
		if (!elsewhere)
			add_skipped(m, a, name, why);
		else if (m->o.verbose)
			logger__say(m->log, LOG_DEBUG, "%s: %s %s", a->path, name, why);
		return NULL;
	}
	/* an alias (free and cfree, tcmalloc's free and operator delete):
	 * one probe at one place */
	for (size_t i = 0; i < a->nfns; i++) {
		struct malloc_fn *other = m->fns[a->fns[i]];
		uint64_t off;

		if (elfsyms__file_offset(s, site.vaddr, &off) && other->site_off == off)
			return NULL;
	}
	fn = xcalloc(1, sizeof(*fn));
	fn->name = strtab__intern(m->strings, name);
	fn->target = target;
	fn->cls = ff->cls;
	fn->dev = a->dev;
	fn->ino = a->ino;
	fn->path = a->path;
	if (!elfsyms__file_offset(s, vaddr, &fn->entry_off) ||
	    !elfsyms__file_offset(s, site.vaddr, &fn->site_off)) {
		free(fn);
		add_skipped(m, a, name, "not in a loadable segment");
		return NULL;
	}
	snprintf(fn->insn, sizeof(fn->insn), "%s", site.insn);
	grow_array((void **)&m->fns, &m->capfns, m->nfns + 1, sizeof(*m->fns));
	fn->cookie = LS_MC_COOKIE(fn->cls, site.arg_reg[0],
				  ff->nargs > 1 ? site.arg_reg[1] : 0,
				  ff->nargs > 2 ? site.arg_reg[2] : 0, site.sp_words, m->nfns);
	m->fns[m->nfns] = fn;
	a->fns = xrealloc(a->fns, (a->nfns + 1) * sizeof(*a->fns));
	a->fns[a->nfns++] = (uint32_t)m->nfns++;
	if (m->o.verbose)
		logger__say(m->log, LOG_DEBUG, "%s: malloc probe on %s%s%s at %#llx (%s)", a->path,
			    name, target ? " -> " : "", target ? target : "",
			    (unsigned long long)site.vaddr, site.insn);
	return fn;
}

static bool defines_any(const struct elfsyms *s, const struct malloc_options *o,
			const char *base)
{
	struct elf_func f;

	if (!elfsyms__func(s, base, &f))
		return true;
	for (size_t i = 0; i < o->nprefixes; i++) {
		char name[128];

		snprintf(name, sizeof(name), "%s%s", o->prefixes[i], base);
		if (!elfsyms__func(s, name, &f))
			return true;
	}
	return false;
}

/* The unwinder's entry points in this module, for the unwind guard. */
static void find_unwinders(struct alloc_module *a, const struct elfsyms *s)
{
	uint8_t code[256];

	for (size_t i = 0; i < ARRAY_SIZE(unwinders); i++) {
		struct elf_func f;
		struct probe_site site;
		size_t n;

		if (elfsyms__func(s, unwinders[i], &f))
			continue;
		n = elfsyms__read(s, f.vaddr, code, MIN(sizeof(code), f.size ? f.size : sizeof(code)));
		if (n && probe_site__find(code, n, f.vaddr, 0, &site) == PROBE_SITE_OK &&
		    !site.thunk && elfsyms__file_offset(s, site.vaddr, &a->guard_off[a->nguard]))
			a->nguard++;
	}
}

static void inspect(struct mallocprobes *m, struct alloc_module *a, const char *open_path)
{
	const char *why;
	struct elfsyms *s = elfsyms__open(open_path, &why);
	bool guarded = m->p && m->p->guard;
	int unguarded = 0;

	if (!s)
		return;
	find_unwinders(a, s);
	a->allocator = defines_any(s, &m->o, "malloc") || defines_any(s, &m->o, "free");
	if (!a->allocator) {
		elfsyms__free(s);
		return;
	}
	a->what = describe(m, s, a->path);
	/* off: only what the process allocates with, for the report's note */
	for (size_t i = 0; i < ARRAY_SIZE(family) && m->o.mode != MALLOC_OFF; i++) {
		const struct family_fn *ff = &family[i];
		struct elf_func f;

		if (ff->throws && !guarded && m->o.mode != MALLOC_OFF) {
			unguarded += !elfsyms__func(s, ff->name, &f);
			continue;
		}
		if (!elfsyms__func(s, ff->name, &f))
			place(m, a, s, ff, ff->name, &f);
		for (size_t k = 0; !ff->cxx && k < m->o.nprefixes; k++) {
			char name[128];

			snprintf(name, sizeof(name), "%s%s", m->o.prefixes[k], ff->name);
			if (!elfsyms__func(s, name, &f))
				place(m, a, s, ff, name, &f);
		}
	}
	if (unguarded)
		add_skipped(m, a, "operator new", say(m,
			"%d variants that can throw left unprobed: the kernel refused the unwind "
			"guard (bpf_probe_write_user: kernel lockdown?), and a std::bad_alloc "
			"thrown through a return probe would end the program", unguarded));
	elfsyms__free(s);
}

static struct alloc_module *module_for(struct mallocprobes *m, const struct module *mod)
{
	struct alloc_module *a;

	if (!mod || mod->is_vdso || !mod->open_path || !mod->open_path[0])
		return NULL;
	for (size_t i = 0; i < m->nmods; i++) {
		a = m->mods[i];
		if (mod->ino ? (a->ino == mod->ino && a->dev == mod->dev) :
			       !strcmp(a->path, mod->path))
			return a;
	}
	a = xcalloc(1, sizeof(*a));
	a->path = strtab__intern(m->strings, mod->path);
	a->dev = mod->dev;
	a->ino = mod->ino;
	a->pids = u64map__new(8);
	inspect(m, a, mod->open_path);
	grow_array((void **)&m->mods, &m->capmods, m->nmods + 1, sizeof(*m->mods));
	m->mods[m->nmods++] = a;
	return a;
}

/* ---- attaching ------------------------------------------------------- */

static int attach_classic(struct mallocprobes *m, const struct malloc_fn *fn,
			  const char *file, int pid)
{
	LIBBPF_OPTS(bpf_uprobe_opts, opts);
	struct malloc_bpf *skel = m->p->malloc;
	struct bpf_link *l;

	opts.bpf_cookie = fn->cookie;
	l = bpf_program__attach_uprobe_opts(fn->cls == LS_ALLOC_FREE ? skel->progs.free_entry :
					    skel->progs.malloc_entry, pid, file, fn->site_off, &opts);
	if (!l)
		return -errno;
	keep_link(m, pid, l);
	if (fn->cls == LS_ALLOC_FREE)
		return 0;
	opts.retprobe = true;
	l = bpf_program__attach_uprobe_opts(skel->progs.malloc_return, pid, file, fn->site_off,
					    &opts);
	if (!l)
		return -errno;
	keep_link(m, pid, l);
	return 0;
}

static void attach(struct mallocprobes *m, struct alloc_module *a, struct process *p,
		   const char *file)
{
	uint64_t *offs, *cookies;
	size_t nsession = 0;
	int err = 0;

	/* the process's own record: in its tables, marked with its ledgers */
	if (a->allocator && (a->nfns || m->o.mode == MALLOC_OFF)) {
		struct strtab *st = p->tables->strings;

		if (!p->heap.allocator) {
			p->heap.allocator = strtab__intern(st, a->what);
		} else if (!strstr(p->heap.allocator, a->what)) {
			char *both = xasprintf("%s, %s", p->heap.allocator, a->what);

			p->heap.allocator = strtab__intern(st, both);
			free(both);
		}
		if (a->skipped)
			p->heap.skipped = strtab__intern(st, a->skipped);
	}
	p->heap.sample_mean = m->o.mode == MALLOC_SAMPLED ? m->o.sample_mean : 0;
	if (m->o.mode == MALLOC_OFF || !m->p || !m->p->malloc || (!a->nfns && !a->nguard) ||
	    !u64map__put(a->pids, (uint64_t)p->pid, 1))
		return;
	for (size_t i = 0; i < a->nguard && m->p->guard; i++) {
		LIBBPF_OPTS(bpf_uprobe_opts, opts);
		struct bpf_link *l = bpf_program__attach_uprobe_opts(
			m->p->guard->progs.unwind_guard, p->pid, file, a->guard_off[i], &opts);

		if (l)
			keep_link(m, p->pid, l);
		else
			logger__say(m->log, LOG_WARN, "cannot attach the unwind guard in %s: %s",
				    a->path, strerror(errno));
	}
	offs = xcalloc(a->nfns, sizeof(*offs));
	cookies = xcalloc(a->nfns, sizeof(*cookies));
	for (size_t i = 0; i < a->nfns && !err; i++) {
		const struct malloc_fn *fn = m->fns[a->fns[i]];

		if (m->p->malloc_session && fn->cls != LS_ALLOC_FREE) {
			offs[nsession] = fn->site_off;
			cookies[nsession++] = fn->cookie;
			continue;
		}
		err = attach_classic(m, fn, file, p->pid);
		if (err)
			logger__say(m->log, LOG_WARN, "cannot attach to %s in %s: %s", fn->name,
				    a->path, strerror(-err));
	}
	if (!err && nsession) {
		int fd = mallocload__attach_session(m->p, file, offs, cookies, nsession, p->pid);

		if (fd >= 0)
			keep_fd(m, p->pid, fd);
		err = fd < 0 ? fd : 0;
		if (err)
			logger__say(m->log, LOG_WARN, "cannot attach to the malloc family in %s: %s",
				    a->path, strerror(-err));
	}
	if (!err && m->o.verbose && a->nfns)
		logger__say(m->log, LOG_DEBUG, "pid %d: malloc probes attached in %s", p->pid,
			    a->path);
	free(offs);
	free(cookies);
}

void mallocprobes__attach_module(struct mallocprobes *m, struct process *p, uint32_t module)
{
	const struct module *mod;
	struct alloc_module *a;

	if (!m || p->go)
		return;	/* Go programs: their heap is go_heap; no return probes there */
	mod = modules__get(p->tables->modules, module);
	a = module_for(m, mod);
	if (a)
		attach(m, a, p, mod->open_path);
}

void mallocprobes__attach_process(struct mallocprobes *m, struct process *p)
{
	struct u64map *seen;

	if (!m || p->go)
		return;
	seen = u64map__new(16);
	for (size_t i = 0; i < p->as.n; i++) {
		uint32_t id = p->as.v[i].module;

		if (id != MODULE_NONE && u64map__put(seen, id, 1))
			mallocprobes__attach_module(m, p, id);
	}
	u64map__free(seen);
}

/*
 * The libraries a command will load, as its own dynamic loader resolves
 * them (the same search, environment and cache): `INTERP --list PATH`,
 * lines "\tname => /path (0x...)" or "\t/path (0x...)".
 */
static size_t list_libraries(const char *interp, const char *path, char ***out)
{
	char *argv[] = { (char *)interp, "--list", (char *)path, NULL };
	posix_spawn_file_actions_t fa;
	char buf[8192], *line, *save = NULL;
	size_t len = 0, n = 0;
	int pipefd[2], status;
	pid_t pid;
	ssize_t r;

	*out = NULL;
	if (pipe2(pipefd, O_CLOEXEC))
		return 0;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], STDOUT_FILENO);
	posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
	if (posix_spawn(&pid, interp, &fa, NULL, argv, environ)) {
		posix_spawn_file_actions_destroy(&fa);
		close(pipefd[0]);
		close(pipefd[1]);
		return 0;
	}
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[1]);
	while (len < sizeof(buf) - 1 && (r = read(pipefd[0], buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t)r;
	buf[len] = '\0';
	close(pipefd[0]);
	waitpid(pid, &status, 0);
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *p = strstr(line, "=> "), *end;

		p = p ? p + 3 : line + strspn(line, " \t");
		if (*p != '/' || !(end = strstr(p, " (")))
			continue;
		*end = '\0';
		*out = xrealloc(*out, (n + 1) * sizeof(**out));
		(*out)[n++] = xstrdup(p);
	}
	return n;
}

void mallocprobes__prepare_launch(struct mallocprobes *m, struct tables *tables,
				  const char *path, int pid)
{
	struct elf_info info;
	const char *why;
	char **libs = NULL;
	size_t n = 0;
	struct process *p;

	if (!m || m->o.mode == MALLOC_OFF)
		return;
	/* a placeholder process: what is attached is kept per pid */
	p = process__new(pid, 4096, tables);
	if (elfinfo__read(path, &info, &why) == 0) {
		if (info.interp[0])
			n = list_libraries(info.interp, path, &libs);
		elfinfo__free(&info);
	}
	for (size_t i = 0; i <= n; i++) {
		const char *file = i < n ? libs[i] : path;	/* and the program itself */
		struct stat st;

		if (stat(file, &st) == 0)
			mallocprobes__attach_module(m, p, modules__add(tables->modules, file,
								       st.st_dev, st.st_ino, 0));
		if (i < n)
			free(libs[i]);
	}
	free(libs);
	process__free(p);
}

/* ---- the sampled blocks' table follows the process --------------------- */

/* The keys of sampled_blocks for one process (read before changing the
 * table: a hash map walk is not stable across updates). */
static size_t keys_of(int fd, uint32_t tgid, struct ls_block_key **out)
{
	struct ls_block_key key, next;
	size_t n = 0, cap = 0;
	bool first = true;

	*out = NULL;
	while (bpf_map_get_next_key(fd, first ? NULL : &key, &next) == 0) {
		first = false;
		key = next;
		if (key.tgid != tgid)
			continue;
		grow_array((void **)out, &cap, n + 1, sizeof(**out));
		(*out)[n++] = key;
	}
	return n;
}

static int sampled_fd(const struct mallocprobes *m)
{
	if (!m || m->o.mode != MALLOC_SAMPLED || !m->p || !m->p->malloc)
		return -1;
	return bpf_map__fd(m->p->malloc->maps.sampled_blocks);
}

void mallocprobes__fork(struct mallocprobes *m, int parent, int child)
{
	struct ls_block_key *keys;
	int fd = sampled_fd(m);
	size_t n;

	if (fd < 0)
		return;
	n = keys_of(fd, (uint32_t)parent, &keys);
	for (size_t i = 0; i < n; i++) {
		__u64 born;

		if (bpf_map_lookup_elem(fd, &keys[i], &born))
			continue;
		keys[i].tgid = (uint32_t)child;
		bpf_map_update_elem(fd, &keys[i], &born, BPF_NOEXIST);
	}
	free(keys);
}

void mallocprobes__forget_blocks(struct mallocprobes *m, int pid)
{
	struct ls_block_key *keys;
	int fd = sampled_fd(m);
	size_t n;

	if (fd < 0)
		return;
	n = keys_of(fd, (uint32_t)pid, &keys);
	for (size_t i = 0; i < n; i++)
		bpf_map_delete_elem(fd, &keys[i]);
	free(keys);
}

void mallocprobes__exited(struct mallocprobes *m, int pid)
{
	if (!m)
		return;
	mallocprobes__forget_blocks(m, pid);
	detach_pid(m, pid);
	/* a process that reuses the pid needs its own probes */
	for (size_t i = 0; i < m->nmods; i++)
		u64map__del(m->mods[i]->pids, (uint64_t)pid, NULL);
}

size_t mallocprobes__count(const struct mallocprobes *m)
{
	return m ? m->nmods : 0;
}

size_t mallocprobes__sweep(struct mallocprobes *m)
{
	size_t kept = 0, freed = 0;

	if (!m)
		return 0;
	for (size_t i = 0; i < m->nmods; i++) {
		struct alloc_module *a = m->mods[i];

		if (a->nfns || a->nguard) {
			strtab__mark(m->strings, a->path);
			strtab__mark(m->strings, a->what);
			strtab__mark(m->strings, a->skipped);
			m->mods[kept++] = a;
			continue;
		}
		free(a->fns);
		u64map__free(a->pids);
		free(a);
		freed++;
	}
	m->nmods = kept;
	for (size_t i = 0; i < m->nfns; i++) {
		strtab__mark(m->strings, m->fns[i]->name);
		strtab__mark(m->strings, m->fns[i]->target);
		strtab__mark(m->strings, m->fns[i]->path);
	}
	strtab__sweep(m->strings);
	return freed;
}
