// SPDX-License-Identifier: MIT
#include "ledgers/process.h"
#include "ledgers/goproc.h"
#include "base/hashmap.h"
#include "symbols/modules.h"
#include "symbols/stacks.h"
#include "base/strtab.h"
#include "symbols/tables.h"
#include "base/util.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Re-read /proc/PID/maps for unplaced frames at most this often. */
#define PROC_REREAD_NS (20 * NS_PER_MS)

struct process *process__new(int pid, uint64_t page_size, struct tables *tables)
{
	struct process *p = xcalloc(1, sizeof(*p));

	p->pid = pid;
	p->seen_ns = now_ns();
	p->tables = tables;
	addrspace__init(&p->as, tables->modules);
	mappings__init(&p->maps, page_size);
	brkheap__init(&p->brk, page_size);
	fdtable__init(&p->fds);
	heapblocks__init(&p->heap);
	p->stack_cache = u64map__new(64);
	return p;
}

void process__free(struct process *p)
{
	if (!p)
		return;
	addrspace__clear(&p->as);
	mappings__clear(&p->maps);
	brkheap__clear(&p->brk);
	fdtable__clear(&p->fds);
	heapblocks__clear(&p->heap);
	goproc__free(p->go);
	u64map__free(p->stack_cache);
	free(p);
}

/* Does path (as the process sees it) lead to the file /proc/PID/exe is? */
static bool same_file(int pid, const char *path, const struct stat *exe)
{
	struct stat st;
	char *buf = xasprintf("/proc/%d/root%s", pid, path);
	bool same = stat(buf, &st) == 0 && st.st_dev == exe->st_dev && st.st_ino == exe->st_ino;

	free(buf);
	return same;
}

/* Is the last part of path (as the process sees it) a symbolic link?
 * Only then is the name it was started by worth showing beside the
 * file's own ("./app" or a linked directory are the same file). */
static bool is_link(int pid, const char *path)
{
	struct stat st;
	char *buf = xasprintf("/proc/%d/root%s", pid, path);
	bool link = lstat(buf, &st) == 0 && S_ISLNK(st.st_mode);

	free(buf);
	return link;
}

/* The value of NAME in the process's environment, copied into out. */
static bool env_of(int pid, const char *name, char *out, size_t size)
{
	char path[64];
	size_t len, nlen = strlen(name);
	char *env, *e;
	bool found = false;

	snprintf(path, sizeof(path), "/proc/%d/environ", pid);
	env = read_file(path, &len);
	for (e = env; e && e < env + len && !found; e += strlen(e) + 1)
		if (!strncmp(e, name, nlen) && e[nlen] == '=') {
			snprintf(out, size, "%s", e + nlen + 1);
			found = true;
		}
	free(env);
	return found;
}

/* argv[0] made a path: as is when it has a slash (relative to the cwd),
 * else looked up in PATH and in the directory of the running file. */
static const char *started_as(struct strtab *st, int pid, const char *argv0,
			      const char *real, const struct stat *exe)
{
	char buf[2 * PATH_MAX + 2], dirs[4096] = "", cwd[PATH_MAX], link[64];
	ssize_t n;

	if (!argv0[0])
		return NULL;
	if (argv0[0] == '/')
		return same_file(pid, argv0, exe) ? strtab__intern(st, argv0) : NULL;
	if (strchr(argv0, '/')) {
		snprintf(link, sizeof(link), "/proc/%d/cwd", pid);
		n = readlink(link, cwd, sizeof(cwd) - 1);
		if (n <= 0)
			return NULL;
		cwd[n] = '\0';
		snprintf(buf, sizeof(buf), "%s/%s", strcmp(cwd, "/") ? cwd : "", argv0);
		return same_file(pid, buf, exe) ? strtab__intern(st, buf) : NULL;
	}
	env_of(pid, "PATH", dirs, sizeof(dirs));
	snprintf(dirs + strlen(dirs), sizeof(dirs) - strlen(dirs), ":%.*s",
		 (int)(strrchr(real, '/') ? strrchr(real, '/') - real : 0), real);
	for (char *d = dirs, *end; d && *d; d = end ? end + 1 : NULL) {
		end = strchr(d, ':');
		if (end)
			*end = '\0';
		if (d[0] != '/')
			continue;
		snprintf(buf, sizeof(buf), "%s/%s", d, argv0);
		if (same_file(pid, buf, exe))
			return strtab__intern(st, buf);
	}
	return NULL;
}

static void read_started_as(struct process *p, const char *real)
{
	char path[64], argv0[PATH_MAX];
	const char *as = NULL;
	struct stat exe;
	size_t len;
	char *cmd;

	snprintf(path, sizeof(path), "/proc/%d/exe", p->pid);
	if (stat(path, &exe))
		return;
	snprintf(path, sizeof(path), "/proc/%d/cmdline", p->pid);
	cmd = read_file(path, &len);
	if (!cmd)
		return;
	snprintf(argv0, sizeof(argv0), "%.*s", (int)strnlen(cmd, len), cmd);
	free(cmd);
	as = started_as(p->tables->strings, p->pid, argv0, real, &exe);
	/* A program that rewrites its title ("redis-server *:6379") keeps
	 * its name as the first word. */
	if (!as && strchr(argv0, ' ')) {
		*strchr(argv0, ' ') = '\0';
		as = started_as(p->tables->strings, p->pid, argv0, real, &exe);
	}
	if (as && strcmp(as, real) && is_link(p->pid, as)) {
		p->exe = as;
		p->exe_file = strtab__intern(p->tables->strings, real);
	}
}

void process__read_identity(struct process *p)
{
	char path[64], buf[PATH_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/comm", p->pid);
	if (read_line(path, buf, sizeof(buf)) == 0)
		snprintf(p->comm, sizeof(p->comm), "%.15s", buf);
	snprintf(path, sizeof(path), "/proc/%d/exe", p->pid);
	n = readlink(path, buf, sizeof(buf) - 1);
	if (n > 0) {
		buf[n] = '\0';
		p->exe = strtab__intern(p->tables->strings, buf);
		p->exe_file = NULL;
		read_started_as(p, p->exe);
	}
}

void process__resolve_exe(struct process *p)
{
	char path[64], buf[PATH_MAX];
	ssize_t n;

	p->exe_file = NULL;
	snprintf(path, sizeof(path), "/proc/%d/exe", p->pid);
	n = readlink(path, buf, sizeof(buf) - 1);
	if (n <= 0 || !p->exe)
		return;
	buf[n] = '\0';
	if (!strcmp(buf, p->exe))
		return;
	if (is_link(p->pid, p->exe))
		p->exe_file = strtab__intern(p->tables->strings, buf);
	else
		p->exe = strtab__intern(p->tables->strings, buf);	/* the same file by another spelling */
}

void process__exec_reset(struct process *p)
{
	mappings__clear(&p->maps);
	brkheap__clear(&p->brk);
	{
		uint64_t mean = p->heap.sample_mean;

		heapblocks__clear(&p->heap);	/* a new image: no block survives */
		heapblocks__init(&p->heap);
		p->heap.sample_mean = mean;
	}
	addrspace__clear(&p->as);
	/* /proc read before the exec showed the old image, or the new one
	 * before its loader mapped the libraries: the first code we cannot
	 * place may look again at once */
	p->as.last_proc_read_ns = 0;
	u64map__clear(p->stack_cache);
	goproc__free(p->go);	/* a new image: the hook decides again */
	p->go = NULL;
	p->execed = true;
}

void process__hold_program(struct process *p, const char *path)
{
	p->held_program = modules__add_held(p->tables->modules, path);
}

/* The code map from /proc: what the exec record could not place is there. */
static int reread_code(struct process *p)
{
	int err = addrspace__read_proc(&p->as, p->pid);

	if (!err)
		p->program_unread = false;
	return err;
}

void process__locate_code(struct process *p, uint64_t pc)
{
	uint32_t mod;
	uint64_t off;

	if (p->exited || addrspace__resolve(&p->as, pc, &mod, &off) ||
	    now_ns() - p->as.last_proc_read_ns <= PROC_REREAD_NS)
		return;
	reread_code(p);
}

uint32_t process__intern_stack(struct process *p, const uint64_t *ips,
			       uint32_t n, uint32_t flags)
{
	uint64_t key, id;
	uint32_t miss = 0;

	if (!n)
		return STACK_NONE;
	key = hash_bytes(ips, n * sizeof(*ips), p->as.gen ^ (uint64_t)flags << 32);
	if (key == U64MAP_EMPTY)
		key--;
	if (u64map__get(p->stack_cache, key, &id))
		return (uint32_t)id;
	id = stacks__intern_raw(p->tables->stacks, &p->as, ips, n, flags, &miss);
	/* Code mapped since we last looked (dlopen, or code that was there
	 * before attach): look again while the process is alive. */
	if (miss && !p->exited && now_ns() - p->as.last_proc_read_ns > PROC_REREAD_NS &&
	    reread_code(p) == 0) {
		key = hash_bytes(ips, n * sizeof(*ips), p->as.gen ^ (uint64_t)flags << 32);
		if (key == U64MAP_EMPTY)
			key--;
		id = stacks__intern_raw(p->tables->stacks, &p->as, ips, n, flags, &miss);
	}
	p->unresolved_frames += miss;
	u64map__put(p->stack_cache, key, id);
	return (uint32_t)id;
}

size_t process__items(const struct process *p)
{
	return p->maps.allocs + p->brk.n + p->fds.count + p->heap.n;
}

static void mark_mapping(void *ctx, const struct mapping_alloc *a)
{
	struct tables *t = ctx;

	tables__mark_stack(t, a->stack);
	tables__mark_string(t, a->file);
}

/* A goroutine's creation stack, and where it stopped when last read (the
 * current-stack cache of trace/gocurrent.c, reused while it stays). */
static void mark_goroutine(void *ctx, const struct goroutine *gr)
{
	tables__mark_stack(ctx, gr->stack);
	tables__mark_stack(ctx, gr->now_stack);
}

static void mark_go(struct tables *t, const struct goproc *g)
{
	goroutines__visit(&g->gor, mark_goroutine, t);
	/* exited creators kept for their descendants' chains of creators */
	goroutines__visit_ancestors(&g->gor, mark_goroutine, t);
	for (size_t i = 0; i < g->allocs.n; i++)
		tables__mark_stack(t, g->allocs.t[i].stack);
	for (size_t i = 0; i < g->nheap; i++)
		tables__mark_stack(t, g->heap[i].stack);
}

/* Blocks still held and what each stack allocated while traced; the
 * allocator's name and what was left unprobed (the report's notes). */
static void mark_heap(struct tables *t, const struct heapblocks *h)
{
	for (size_t i = 0; i < h->n; i++)
		tables__mark_stack(t, h->b[i].stack);
	for (size_t i = 0; i < h->nt; i++)
		tables__mark_stack(t, h->t[i].stack);
	tables__mark_string(t, h->allocator);
	tables__mark_string(t, h->skipped);
}

void process__mark(const struct process *p)
{
	struct tables *t = p->tables;

	tables__mark_string(t, p->exe);
	tables__mark_string(t, p->exe_file);
	modules__mark(t->modules, p->held_program);
	addrspace__mark(&p->as);
	mappings__visit_allocs(&p->maps, mark_mapping, t);
	for (size_t i = 0; i < p->brk.n; i++)
		tables__mark_stack(t, p->brk.segs[i].stack);
	for (size_t fd = 0; fd < p->fds.cap; fd++) {
		const struct fd_item *it = p->fds.fds[fd];

		if (it) {
			tables__mark_stack(t, it->stack);
			tables__mark_string(t, it->path);
		}
	}
	mark_heap(t, &p->heap);
	if (p->go)
		mark_go(t, p->go);
}

void process__drop_swept(struct process *p)
{
	struct u64map *kept = u64map__new(u64map__len(p->stack_cache));
	uint64_t key, id;
	size_t it = 0;

	while (u64map__next(p->stack_cache, &it, &key, &id))
		if (stacks__live(p->tables->stacks, (uint32_t)id))
			u64map__put(kept, key, id);
	u64map__free(p->stack_cache);
	p->stack_cache = kept;
}
