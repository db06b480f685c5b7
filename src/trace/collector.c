// SPDX-License-Identifier: MIT
#include "trace/collector.h"
#include "trace/memusage.h"
#include "ledgers/fdtable.h"
#include "trace/goprobes.h"
#include "ledgers/goproc.h"
#include "trace/goread.h"
#include "golang/gostack.h"
#include "trace/heapevents.h"
#include "trace/mallocprobes.h"
#include "base/hashmap.h"
#include "leakscope.h"
#include "symbols/modules.h"
#include "ledgers/process.h"
#include "symbols/stacks.h"
#include "symbols/unwind.h"
#include "base/strtab.h"
#include "base/util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <linux/close_range.h>
#include <linux/mman.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

void collector__init(struct collector *c)
{
	memset(c, 0, sizeof(*c));
	tables__init(&c->tables);
	c->by_pid = u64map__new(64);
	c->page_size = sysconf(_SC_PAGESIZE);
	c->max_frames = LS_MAX_STACK_DEPTH;
	c->start_ns = now_ns();
	c->start_realtime_ns = realtime_ns();
}

void collector__free(struct collector *c)
{
	for (size_t i = 0; i < c->nprocs; i++)
		process__free(c->procs[i]);
	free(c->procs);
	u64map__free(c->by_pid);
	tables__free(&c->tables);
	memset(c, 0, sizeof(*c));
}

struct process *collector__find(const struct collector *c, int pid)
{
	uint64_t v;

	return u64map__get(c->by_pid, (uint64_t)pid, &v) ?
		       (struct process *)(uintptr_t)v : NULL;
}

struct process *collector__add(struct collector *c, int pid,
			       const struct process *parent)
{
	struct process *p = collector__find(c, pid);

	if (p && !p->exited)
		return p;
	/* A new process with a pid we saw before: keep the old one's
	 * report, track the new one separately. */
	p = process__new(pid, c->page_size, &c->tables);
	if (parent) {
		p->parent_pid = parent->pid;
		memcpy(p->comm, parent->comm, sizeof(p->comm));
		p->exe = parent->exe;
	}
	process__read_identity(p);
	if (!parent)
		addrspace__read_proc(&p->as, pid);
	grow_array((void **)&c->procs, &c->cap, c->nprocs + 1, sizeof(*c->procs));
	c->procs[c->nprocs++] = p;
	u64map__put(c->by_pid, (uint64_t)pid, (uint64_t)(uintptr_t)p);
	c->live++;
	return p;
}

void collector__forget_process(struct collector *c, struct process *p)
{
	size_t i;

	for (i = 0; i < c->nprocs && c->procs[i] != p; i++)
		;
	if (i == c->nprocs)
		return;
	memmove(&c->procs[i], &c->procs[i + 1], (c->nprocs - i - 1) * sizeof(*c->procs));
	c->nprocs--;
	if (collector__find(c, p->pid) == p)
		u64map__del(c->by_pid, (uint64_t)p->pid, NULL);
	if (!p->exited && c->live)
		c->live--;
	process__free(p);
}

void collector__forget(struct collector *c, int pid)
{
	struct process *p = collector__find(c, pid);

	if (p)
		collector__forget_process(c, p);
}

/* Path of an fd we did not see created: ask /proc while it is open. */
static const char *proc_fd_link(struct strtab *strings, int pid, int fd)
{
	char path[64], buf[PATH_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/fd/%d", pid, fd);
	n = readlink(path, buf, sizeof(buf) - 1);
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	return strtab__intern(strings, buf);
}

static bool fd_is_open(int pid, int fd)
{
	char path[64], buf[8];

	snprintf(path, sizeof(path), "/proc/%d/fd/%d", pid, fd);
	return readlink(path, buf, sizeof(buf)) > 0;
}

/* Make a relative path from the target absolute (its cwd), if we can.
 * Always returns a string of the tables. */
static const char *absolute_path(struct strtab *strings, int pid, int dirfd,
				 const char *path)
{
	char link[64], dir[PATH_MAX], full[2 * PATH_MAX];
	ssize_t n;

	if (!path || path[0] == '/' || !path[0])
		return strtab__intern(strings, path);
	if (dirfd == AT_FDCWD)
		snprintf(link, sizeof(link), "/proc/%d/cwd", pid);
	else
		snprintf(link, sizeof(link), "/proc/%d/fd/%d", pid, dirfd);
	n = readlink(link, dir, sizeof(dir) - 1);
	if (n <= 0)
		return strtab__intern(strings, path);
	dir[n] = '\0';
	/* formatted on the stack: this runs for every relative open */
	snprintf(full, sizeof(full), "%s/%s", strcmp(dir, "/") ? dir : "", path);
	return strtab__intern(strings, full);
}

static enum fd_kind kind_of_new_fd(long nr, uint32_t mode)
{
	switch (nr) {
	case SYS_socket: case SYS_socketpair:
	case SYS_accept: case SYS_accept4:
		return FD_SOCKET;
	case SYS_pipe: case SYS_pipe2:
		return FD_PIPE;
	case SYS_eventfd: case SYS_eventfd2:
		return FD_EVENTFD;
	case SYS_epoll_create: case SYS_epoll_create1:
		return FD_EPOLL;
	case SYS_timerfd_create:
		return FD_TIMERFD;
	case SYS_signalfd: case SYS_signalfd4:
		return FD_SIGNALFD;
	case SYS_inotify_init: case SYS_inotify_init1:
		return FD_INOTIFY;
	case SYS_fanotify_init:
		return FD_FANOTIFY;
	case SYS_memfd_create:
		return FD_MEMFD;
	case SYS_memfd_secret:
		return FD_SECRETMEM;
	case SYS_pidfd_open:
		return FD_PIDFD;
	case SYS_userfaultfd:
		return FD_USERFAULTFD;
	case SYS_perf_event_open:
		return FD_PERF_EVENT;
	case SYS_io_uring_setup:
		return FD_IO_URING;
	case SYS_fsopen: case SYS_fsmount: case SYS_fspick:
		return FD_MOUNT_API;
	default:	/* open family and open_tree: what the inode says */
		return fd_kind_from_mode(mode) ?: FD_FILE;
	}
}

/* A new fd that copies another (dup*, F_DUPFD): same kind and path. */
static void on_dup(struct process *p, const struct ls_syscall_event *e,
		   int oldfd, int newfd, uint32_t stack)
{
	const struct fd_item *src = fdtable__get(&p->fds, oldfd);
	enum fd_kind kind;
	const char *path;

	if (src) {
		kind = src->kind;
		path = src->path;
	} else {
		path = proc_fd_link(p->tables->strings, p->pid, newfd);
		kind = fd_kind_from_link(path, e->sc.aux[LS_AUX_FD_MODE]);
		if (kind != FD_FILE && kind != FD_DIR)
			path = NULL;
	}
	fdtable__open(&p->fds, newfd, kind, path, stack, e->hdr.ts_ns);
}

static void on_new_fds(struct process *p, const struct ls_syscall_event *e,
		       uint32_t stack)
{
	long nr = e->sc.nr;
	const char *path = NULL;
	enum fd_kind kind;
	int fd = (int)e->sc.ret;

	switch (nr) {
	case SYS_dup:
		on_dup(p, e, (int)e->sc.args[0], fd, stack);
		return;
	case SYS_fcntl:
		on_dup(p, e, (int)e->sc.args[0], fd, stack);
		return;
	case SYS_dup2: case SYS_dup3:
		if (e->sc.args[0] == e->sc.args[1])
			return;	/* dup2(fd, fd) changes nothing */
		/* The target fd, if open, was closed by the call. */
		fdtable__close(&p->fds, (int)e->sc.args[1]);
		on_dup(p, e, (int)e->sc.args[0], fd, stack);
		return;
	case SYS_pipe: case SYS_pipe2: case SYS_socketpair: {
		uint64_t pair = e->sc.aux[LS_AUX_PIPE_FDS];

		if (pair == ~0ULL)
			return;	/* could not read the fds back */
		kind = kind_of_new_fd(nr, 0);
		fdtable__open(&p->fds, (int)(uint32_t)pair, kind, NULL, stack,
			      e->hdr.ts_ns);
		fdtable__open(&p->fds, (int)(pair >> 32), kind, NULL, stack,
			      e->hdr.ts_ns);
		return;
	}
	case SYS_pidfd_getfd: {
		path = proc_fd_link(p->tables->strings, p->pid, fd);
		kind = fd_kind_from_link(path, e->sc.aux[LS_AUX_FD_MODE]);
		if (kind != FD_FILE && kind != FD_DIR)
			path = NULL;
		fdtable__open(&p->fds, fd, kind, path, stack, e->hdr.ts_ns);
		return;
	}
	default:
		break;
	}
	kind = kind_of_new_fd(nr, e->sc.aux[LS_AUX_FD_MODE]);
	if (e->sc.path_bytes) {
		char buf[LS_PATH_BYTES], memfd[LS_PATH_BYTES + 8];
		struct strtab *strings = p->tables->strings;

		memcpy(buf, e->path, sizeof(buf));
		buf[sizeof(buf) - 1] = '\0';
		if (nr == SYS_memfd_create) {
			snprintf(memfd, sizeof(memfd), "memfd:%s", buf);
			path = strtab__intern(strings, memfd);
		} else if (nr == SYS_openat || nr == SYS_openat2 ||
			   nr == SYS_open_tree || nr == SYS_fspick) {
			path = absolute_path(strings, p->pid, (int)e->sc.args[0], buf);
		} else {
			path = absolute_path(strings, p->pid, AT_FDCWD, buf);
		}
	} else if (nr == SYS_open_by_handle_at) {
		path = proc_fd_link(p->tables->strings, p->pid, fd);
	}
	fdtable__open(&p->fds, fd, kind, path, stack, e->hdr.ts_ns);
}

static void on_mmap(struct collector *c, struct process *p, const struct ls_syscall_event *e,
		    uint32_t stack, uint32_t alloc_flag)
{
	uint64_t addr = (uint64_t)e->sc.ret, len = e->sc.args[1];
	uint64_t prot = e->sc.args[2], flags = e->sc.args[3];
	int fd = (int)e->sc.args[4];
	bool file = fd >= 0 && !(flags & MAP_ANONYMOUS);
	const char *path = NULL;

	if (file) {
		const struct fd_item *it = fdtable__get(&p->fds, fd);

		path = it && it->path ? it->path : proc_fd_link(p->tables->strings, p->pid, fd);
		/* New code (a library being loaded): place it now, while
		 * the path is known, so its frames resolve even if the
		 * process is gone by the time we symbolize. */
		if ((prot & PROT_EXEC) && path && path[0] == '/') {
			uint32_t mod = modules__add(
				p->tables->modules, path,
				modules__kdev_to_dev(e->sc.aux[LS_AUX_MMAP_DEV]),
				e->sc.aux[LS_AUX_MMAP_INO], p->pid);

			if (mod != MODULE_NONE) {
				addrspace__add(&p->as, addr, addr + len, e->sc.args[5], mod);
				/* a library loaded now (dlopen) may hold an allocator */
				if (c->malloc)
					mallocprobes__attach_module(c->malloc, p, mod);
			}
		}
	}
	/* What the kernel counts against its commit limit (VM_ACCOUNT):
	 * until memusage measures it, the mapping is taken at that. */
	bool commits = (prot & PROT_WRITE) && (flags & MAP_TYPE) == MAP_PRIVATE &&
		       !(flags & MAP_NORESERVE);

	mappings__map(&p->maps, addr, len, stack, e->hdr.ts_ns,
		      (file ? MAPPING_FILE : 0) | (commits ? MAPPING_COMMITS : 0) | alloc_flag,
		      path);
}

/*
 * C code called from Go through cgo: the unwind of the C frames reaches
 * runtime.asmcgocall on the thread's system stack and cannot go further;
 * the BPF side walked the goroutine's own frames (go_tail). One stack:
 * the C frames up to asmcgocall, then the goroutine's.
 */
static uint32_t stitch_cgo(struct process *p, const struct ls_go_tail *tail,
			   uint64_t *pcs, uint32_t n, uint32_t max)
{
	uint32_t cut = n, ntail = MIN(tail->nr_frames, LS_GO_TAIL_FRAMES);

	for (uint32_t i = 0; i < n; i++) {
		uint32_t mod;
		uint64_t off, vaddr;
		struct module *m;
		const struct elf_info *e;

		if (!addrspace__resolve(&p->as, pcs[i], &mod, &off) ||
		    !(m = modules__get(p->tables->modules, mod)) || m->ino != p->go->bin->ino ||
		    !(e = modules__elf(m)) || !elfinfo__offset_to_vaddr(e, off - !!i, &vaddr))
			continue;
		if (goprobes__in_asmcgocall(p->go->bin, vaddr)) {
			cut = i + 1;
			break;
		}
	}
	for (uint32_t i = 0; i < ntail && cut < max; i++)
		pcs[cut++] = tail->ips[i];
	return cut;
}

uint32_t collector__unwind(struct collector *c, struct process *p,
			   const struct user_stack_in *in, uint64_t *pcs, uint32_t max,
			   uint32_t *stack_flags)
{
	uint32_t flags = 0, uflags, n;
	uint64_t t0;

	max = MIN(max, MIN(c->max_frames, LS_MAX_STACK_DEPTH));
	if (!in->snap_bytes || !in->regs.ip) {
		n = MIN(in->nfp, max);
		memcpy(pcs, in->fp, n * sizeof(*pcs));
		*stack_flags = in->fp_truncated ? STACK_TRUNCATED : 0;
		return n;
	}
	t0 = now_ns();
	{
		struct unwind_snapshot snap = { in->snap_base, in->snap, in->snap_bytes };

		process__locate_code(p, in->regs.ip);
		n = unwind__stack(&p->as, &in->regs, &snap, pcs, max, &uflags);
	}
	c->stacks_cfi++;
	if (uflags & UNWIND_END_SNAPSHOT) {
		uint32_t before = n;

		n = unwind__stitch(pcs, n, max, in->fp, in->nfp);
		if (n > before)
			c->stacks_stitched++;
		else
			flags |= STACK_TRUNCATED;
	}
	if (in->go_tail && in->go_tail->nr_frames && p->go && p->go->bin) {
		n = stitch_cgo(p, in->go_tail, pcs, n, max);
		c->stacks_cgo++;
	}
	if (uflags & UNWIND_END_DEPTH)
		flags |= STACK_TRUNCATED;
	if (uflags & UNWIND_END_BROKEN) {
		c->stacks_broken++;
		if (getenv("LS_DEBUG_UNWIND")) {
			fprintf(stderr, "broken unwind pid %d:", p->pid);
			for (uint32_t i = 0; i < n; i++)
				fprintf(stderr, " %llx", (unsigned long long)pcs[i]);
			fprintf(stderr, "\n");
		}
	}
	if (flags & STACK_TRUNCATED)
		c->stacks_truncated++;
	c->unwind_ns += now_ns() - t0;
	*stack_flags = flags;
	return n;
}

/*
 * The event's stack: unwound with CFI from the snapshot when there is one
 * (complete through code without frame pointers), else the kernel's
 * frame-pointer walk.
 */
static uint32_t event_stack(struct collector *c, struct process *p,
			    const struct ls_syscall_event *e, size_t size)
{
	struct user_stack_in in = {
		.regs = { e->regs.ip, e->regs.sp, e->regs.bp },
		.snap_base = e->snap_base,
		.snap = e->snapshot,
		.snap_bytes = size >= sizeof(*e) + e->snap_bytes ? e->snap_bytes : 0,
		.fp = (const uint64_t *)e->stack.ips,
		.nfp = MIN(e->stack.nr_frames, LS_MAX_STACK_DEPTH),
		.fp_truncated = e->stack.flags & LS_STACK_TRUNCATED,
		.go_tail = &e->go_tail,
	};
	uint64_t pcs[LS_MAX_STACK_DEPTH], slot = e->alloc_ret_slot;
	uint8_t *patched = NULL;
	uint32_t flags, n;

	/* Inside a malloc-family call with a return probe pending: its
	 * return address on the stack is the kernel's trampoline; unwind
	 * with the real one. */
	if (slot && slot >= in.snap_base && slot + 8 <= in.snap_base + in.snap_bytes) {
		patched = xmalloc(in.snap_bytes);
		memcpy(patched, in.snap, in.snap_bytes);
		memcpy(patched + (slot - in.snap_base), &e->alloc_ret, 8);
		in.snap = patched;
	}
	n = collector__unwind(c, p, &in, pcs, LS_MAX_STACK_DEPTH, &flags);
	free(patched);
	return process__intern_stack(p, pcs, n, flags);
}

static void on_acquire(struct collector *c, struct process *p,
		       const struct ls_syscall_event *e, size_t size)
{
	uint32_t stack = event_stack(c, p, e, size);

	/* inside malloc (--malloc): the allocator's own memory */
	uint32_t alloc = e->flags & LS_SYSCALL_IN_ALLOCATOR ? MAPPING_ALLOCATOR : 0;

	switch (e->sc.nr) {
	case SYS_mmap:
		on_mmap(c, p, e, stack, alloc);
		break;
	case SYS_mremap:
		mappings__remap(&p->maps, e->sc.args[0], e->sc.args[1],
				(uint64_t)e->sc.ret, e->sc.args[2],
				!!(e->sc.args[3] & MREMAP_DONTUNMAP), stack,
				e->hdr.ts_ns, alloc);
		break;
	case SYS_brk: {
		size_t before = p->brk.n;

		brkheap__moved(&p->brk, e->sc.aux[LS_AUX_BRK_OLD],
			       (uint64_t)e->sc.ret, stack, e->hdr.ts_ns);
		if (alloc && p->brk.n > before)
			p->brk.segs[p->brk.n - 1].allocator = 1;
		break;
	}
	default:
		on_new_fds(p, e, stack);
		break;
	}
}

static void on_release(struct process *p, const struct ls_release_event *e)
{
	switch (e->sc.nr) {
	case SYS_munmap:
		mappings__unmap(&p->maps, e->sc.args[0], e->sc.args[1]);
		break;
	case SYS_close:
		fdtable__close(&p->fds, (int)e->sc.args[0]);
		break;
	case SYS_close_range:
		if (!(e->sc.args[2] & CLOSE_RANGE_CLOEXEC))
			fdtable__close_range(&p->fds, (unsigned)e->sc.args[0],
					     (unsigned)e->sc.args[1]);
		break;
	}
}

static void on_exec(struct collector *c, struct process *p,
		    const struct ls_exec_event *e)
{
	char name[LS_EXEC_PATH_BYTES];
	const char *exe;
	size_t bitmap_fds;

	process__exec_reset(p);
	mallocprobes__forget_blocks(c->malloc, p->pid);
	memcpy(p->comm, e->comm, sizeof(p->comm));
	p->comm[sizeof(p->comm) - 1] = '\0';
	memcpy(name, e->filename, sizeof(name));
	name[sizeof(name) - 1] = '\0';
	exe = absolute_path(p->tables->strings, p->pid, AT_FDCWD, name);
	p->exe = exe;
	process__resolve_exe(p);	/* the path is as started: a link stays */
	p->program_unread = !addrspace__from_exec(&p->as, p->pid, exe,
						  modules__kdev_to_dev(e->exe_dev), e->exe_ino,
						  (const uint64_t *)e->auxv, LS_AUXV_WORDS);
	p->held_program = MODULE_NONE;	/* placed, or not the command's file */
	if (c->on_new_image)
		c->on_new_image(c->hook_ctx, p);
	/* Close-on-exec fds are gone: keep exactly what survived. The
	 * bitmap is as long as the record holds, whatever fd_words says. */
	bitmap_fds = (size_t)MIN(e->fd_words, LS_EXEC_FD_WORDS) * 64;
	for (size_t fd = 0; fd < p->fds.cap; fd++) {
		bool open;

		if (!p->fds.fds[fd])
			continue;
		if (fd < bitmap_fds)
			open = e->open_fds[fd / 64] >> (fd % 64) & 1;
		else
			open = fd_is_open(p->pid, (int)fd);
		if (!open)
			fdtable__close(&p->fds, (int)fd);
	}
}

static void on_fork(struct collector *c, struct process *parent,
		    const struct ls_fork_event *e)
{
	struct process *child = collector__add(c, (int)e->child_pid, parent);

	memcpy(child->comm, e->comm, sizeof(child->comm));
	child->comm[sizeof(child->comm) - 1] = '\0';
	child->seen_ns = e->hdr.ts_ns;
	addrspace__copy(&child->as, &parent->as);
	/* A fork copies the address space and the fd table, so the child
	 * holds what the parent held, made by the same stacks. */
	if (!(e->flags & LS_FORK_SHARES_VM)) {
		mappings__copy(&child->maps, &parent->maps);
		brkheap__copy(&child->brk, &parent->brk);
		heapblocks__copy(&child->heap, &parent->heap);
		mallocprobes__fork(c->malloc, parent->pid, child->pid);
	}
	if (!(e->flags & LS_FORK_SHARES_FILES))
		fdtable__copy(&child->fds, &parent->fds);
	if (c->on_new_image)
		c->on_new_image(c->hook_ctx, child);
}

static uint32_t go_stack(struct process *p, const struct ls_stack *s)
{
	uint32_t n = MIN(s->nr_frames, LS_MAX_STACK_DEPTH);
	uint32_t flags = STACK_LEAF_EXACT;	/* frame 0 is the probed pc */

	if (s->flags & LS_STACK_TRUNCATED)
		flags |= STACK_TRUNCATED;
	return process__intern_stack(p, (const uint64_t *)s->ips, n, flags);
}

/*
 * A creation stack copied at the probe: walked from where the creator
 * switched to the system stack (systemstack_switch, then newproc, then
 * the function holding the go statement). A g.sched that systemstack did
 * not just save (newproc run from code already on the system stack)
 * would lead elsewhere: then only the go statement (gopc) is known.
 */
static uint32_t copied_creation_stack(struct collector *c, struct process *p,
				      const struct ls_go_create_copy_event *e, size_t size)
{
	struct goproc *g = p->go;
	uint64_t pcs[LS_MAX_STACK_DEPTH], gopc = e->gopc;
	uint32_t max = MIN(c->max_frames ? c->max_frames : LS_MAX_STACK_DEPTH,
			   LS_MAX_STACK_DEPTH), n = 0, flags = 0;
	unsigned how = 0;

	if (e->snap_bytes && size >= sizeof(*e) + e->snap_bytes && g->bin->bin &&
	    goread__located(g, p->pid))
		n = gostack__walk(g->bin->bin, g->bias, e->pc, e->sp, e->snapshot, e->sp,
				  e->snap_bytes, pcs, max, &how);
	if (n < 2 || !goprobes__in_newproc(g->bin, pcs[1] - 1 - g->bias)) {
		c->go_creation_stacks_lost++;
		return gopc ? process__intern_stack(p, &gopc, 1, 0) : STACK_NONE;
	}
	if ((how & GOSTACK_TRUNCATED) || (e->flags & LS_STACK_TRUNCATED))
		flags |= STACK_TRUNCATED;
	c->go_creation_stacks_copied++;
	/* systemstack_switch is the runtime's marker, not a call: from newproc */
	return process__intern_stack(p, pcs + 1, n - 1, flags);
}

static void on_go_create(struct process *p, uint64_t goid, uint64_t g_addr, uint32_t stack,
			 uint64_t gopc, uint64_t startpc, uint64_t parent, uint64_t ts_ns)
{
	struct goroutine *g = goroutines__add(&p->go->gor, goid, g_addr, stack, ts_ns);

	if (g) {
		g->gopc = gopc;
		g->startpc = startpc;
		goroutines__set_parent(&p->go->gor, g, parent);
	}
}

static void on_go(struct collector *c, struct process *p, const void *data, size_t size)
{
	const struct ls_event_header *h = data;

	if (!p->go) {
		c->go_unknown++;
		return;
	}
	switch (h->type) {
	case LS_EV_GO_CREATE: {
		const struct ls_go_create_event *e = data;

		on_go_create(p, e->goid, e->g_addr, go_stack(p, &e->stack), e->gopc, e->startpc,
			     e->parent_goid, h->ts_ns);
		break;
	}
	case LS_EV_GO_CREATE_COPY: {
		const struct ls_go_create_copy_event *e = data;

		on_go_create(p, e->goid, e->g_addr, copied_creation_stack(c, p, e, size), e->gopc,
			     e->startpc, e->parent_goid, h->ts_ns);
		break;
	}
	case LS_EV_GO_EXIT: {
		const struct ls_go_exit_event *e = data;

		goroutines__exit(&p->go->gor, e->goid);
		break;
	}
	case LS_EV_GO_ALLOC: {
		const struct ls_go_alloc_event *e = data;

		goallocs__add(&p->go->allocs, go_stack(p, &e->stack), e->size,
			      e->flags & LS_GO_ALLOC_SAMPLED, h->ts_ns);
		break;
	}
	}
}

static void on_exit_event(struct collector *c, struct process *p,
			  const struct ls_exit_event *e)
{
	if (p->exited)
		return;
	p->exited = true;
	p->exit_status = e->exit_code;
	p->exit_ns = e->hdr.ts_ns;
	if (c->live)
		c->live--;
	mallocprobes__exited(c->malloc, p->pid);
}

static const size_t record_size[] = {
	[LS_EV_SYSCALL] = offsetof(struct ls_syscall_event, stack.ips),
	[LS_EV_RELEASE] = sizeof(struct ls_release_event),
	[LS_EV_EXEC] = sizeof(struct ls_exec_event),
	[LS_EV_FORK] = sizeof(struct ls_fork_event),
	[LS_EV_EXIT] = sizeof(struct ls_exit_event),
	[LS_EV_GO_CREATE] = offsetof(struct ls_go_create_event, stack.ips),
	[LS_EV_GO_EXIT] = sizeof(struct ls_go_exit_event),
	[LS_EV_GO_ALLOC] = offsetof(struct ls_go_alloc_event, stack.ips),
	[LS_EV_MALLOC] = sizeof(struct ls_malloc_event),
	[LS_EV_FREE] = sizeof(struct ls_free_event),
	[LS_EV_GO_CREATE_COPY] = sizeof(struct ls_go_create_copy_event),
};

int collector__on_record(void *ctx, void *data, size_t size)
{
	struct collector *c = ctx;
	const struct ls_event_header *h = data;
	struct process *p;

	c->records++;
	if (size < sizeof(*h) || h->type >= ARRAY_SIZE(record_size) ||
	    !record_size[h->type] || size < record_size[h->type]) {
		c->bad_records++;
		return 0;
	}
	p = collector__find(c, (int)h->pid);
	if (!p || p->exited) {
		/* a second exit is no stranger: on kernels without group_dead,
		 * two last threads ending at once both report it */
		if (!(p && h->type == LS_EV_EXIT))
			c->unknown_pid_records++;
		return 0;
	}
	switch (h->type) {
	case LS_EV_SYSCALL:
		on_acquire(c, p, data, size);
		break;
	case LS_EV_RELEASE:
		on_release(p, data);
		break;
	case LS_EV_EXEC:
		on_exec(c, p, data);
		break;
	case LS_EV_FORK:
		on_fork(c, p, data);
		break;
	case LS_EV_EXIT:
		on_exit_event(c, p, data);
		break;
	case LS_EV_GO_CREATE:
	case LS_EV_GO_CREATE_COPY:
	case LS_EV_GO_EXIT:
	case LS_EV_GO_ALLOC:
		on_go(c, p, data, size);
		break;
	case LS_EV_MALLOC:
		heapevents__on_malloc(c, p, data, size);
		break;
	case LS_EV_FREE:
		heapevents__on_free(c, p, data);
		break;
	}
	return 0;
}

void collector__refresh(struct collector *c)
{
	uint64_t now = now_ns();

	for (size_t i = 0; i < c->nprocs; i++) {
		if (c->procs[i]->exited)
			continue;
		if (c->procs[i]->go)
			goread__refresh(c->procs[i]->go, c->procs[i]);
		if (c->measure_memory)
			memusage__refresh(c->procs[i], now);
	}
}

void collector__walk_goroutines(struct collector *c, bool force)
{
	uint64_t now = now_ns();

	for (size_t i = 0; i < c->nprocs; i++) {
		struct process *p = c->procs[i];

		if (p->go && p->go->snapshot && !p->exited)
			goread__walk_if_due(p->go, p, now, force);
	}
}

size_t collector__reap_vanished(struct collector *c,
				void (*on_gone)(void *ctx, struct process *p), void *ctx)
{
	size_t n = 0;

	for (size_t i = 0; i < c->nprocs; i++) {
		struct process *p = c->procs[i];

		if (p->exited || kill(p->pid, 0) == 0 || errno != ESRCH)
			continue;
		p->exited = true;
		p->exit_ns = now_ns();
		if (c->live)
			c->live--;
		if (on_gone)
			on_gone(ctx, p);
		n++;
	}
	return n;
}

size_t collector__sweep(struct collector *c)
{
	size_t freed;

	for (size_t i = 0; i < c->nprocs; i++)
		process__mark(c->procs[i]);
	freed = tables__sweep(&c->tables);
	for (size_t i = 0; i < c->nprocs; i++)
		process__drop_swept(c->procs[i]);
	c->entries_after_sweep = tables__entries(&c->tables);
	return freed;
}

/* Below this many entries a sweep is not worth its walk. */
#define SWEEP_FLOOR 16384

size_t collector__sweep_if_grown(struct collector *c)
{
	size_t n = tables__entries(&c->tables);

	if (n < SWEEP_FLOOR || n < 2 * c->entries_after_sweep)
		return 0;
	return collector__sweep(c);
}
