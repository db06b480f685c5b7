// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Kernel side of native tracking: memory (mmap/munmap/mremap/brk) and
 * file descriptors, from syscall exit tracepoints, plus process lifecycle
 * from sched tracepoints.
 *
 * Syscalls are observed at exit only: the result is known there, the
 * arguments are still in the user registers (pt_regs), the user stack is
 * unchanged, and user buffers (paths, pipe fd arrays) have been faulted
 * in by the syscall itself. Per-syscall tracepoints (not raw sys_enter)
 * keep untraced syscalls free of any BPF program: measured here, a raw
 * sys_enter program adds ~75 ns to every syscall on the machine, a
 * per-syscall tracepoint nothing measurable to other syscalls.
 */
#include "common.bpf.h"
#include "stack_snapshot.bpf.h"
#include "malloc_state.bpf.h"

char LICENSE[] SEC("license") = "Dual MIT/GPL";

/* Set by the loader: add children of traced processes (-f/--follow). */
const volatile __u32 follow_forks = 0;
/* Pages of user stack copied per event for CFI unwinding (0 = off). */
const volatile __u32 snapshot_pages = 0;
/* Set by the loader (agent): an exec record for every process, traced
 * or not, so userspace can pick new processes by its filters. */
const volatile __u32 notify_all_execs = 0;
/* Set by the loader with --malloc: malloc-family calls are tracked. */
const volatile __u32 malloc_on = 0;

/*
 * Per thread: mm->brk at brk() entry, to know what the call grew or
 * shrank (0: none pending). Task-local storage, not a hash keyed by tid:
 * a cached slot on the task (a fraction of an LRU hash update, which
 * took ~0.3 us per call here), freed by the kernel with the task.
 */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u64);
} brk_before SEC(".maps");

/* tgid -> where its Go runtime keeps g (Go processes only). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct ls_go_proc);
} go_procs SEC(".maps");

/* The layout of syscalls:sys_exit_* records (see their format file). */
struct syscall_exit_ctx {
	__u64 common;
	__s32 nr;
	__u32 pad;
	__s64 ret;
};

/* What to collect beyond the arguments, per syscall. */
#define PATH_ARG0	0x02	/* path string in args[0] */
#define PATH_ARG1	0x04	/* path string in args[1] */
#define FD_RESULT	0x08	/* ret is a new fd: record its i_mode */
#define FD_PAIR_ARG0	0x10	/* int[2] of new fds at args[0] */
#define FD_PAIR_ARG3	0x20	/* int[2] of new fds at args[3] */
#define FILE_ARG4	0x40	/* args[4] may be an fd: record its inode */

#define S_IFMT 00170000

static __always_inline struct pt_regs *user_regs(void)
{
	return (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
}

static __always_inline void read_args(struct ls_syscall_core *sc)
{
	struct pt_regs *regs = user_regs();

	sc->args[0] = regs->di;
	sc->args[1] = regs->si;
	sc->args[2] = regs->dx;
	sc->args[3] = regs->r10;
	sc->args[4] = regs->r8;
	sc->args[5] = regs->r9;
}

/*
 * Kernel structures are read with direct (BTF-typed) loads where the
 * verifier allows them: a load each, where BPF_CORE_READ costs a helper
 * call per field. A pointer read from memory gets its type back here.
 */
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym;

static __always_inline struct file *as_file(struct file *f)
{
	return bpf_rdonly_cast(f, bpf_core_type_id_kernel(struct file));
}

/* The current task's open file for fd, NULL when it cannot be read. */
static __always_inline struct file *fd_file(__s64 fd)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct file **fds = task->files->fdt->fd;
	struct file *f = NULL;

	if (fd < 0 || fd > (1 << 20))
		return NULL;
	if (bpf_probe_read_kernel(&f, sizeof(f), fds + fd))
		return NULL;
	return f;
}

static __always_inline __u32 fd_mode(__s64 fd)
{
	struct file *f = fd_file(fd);

	return f ? as_file(f)->f_inode->i_mode & S_IFMT : 0;
}

/* runtime.g and runtime.m fields this needs: the same in Go 1.18-1.27. */
#define G_M 0x30		/* g.m */
#define G_SCHED_SP 0x38		/* g.sched.sp */
#define G_SCHED_BP 0x68		/* g.sched.bp */
#define M_G0 0x0		/* m.g0 */
/* asmcgocall, before calling C: SP = (g0.sched.sp - 64) & ~15, and the
 * goroutine's g saved at 48(SP) (the same in every release 1.18-1.27). */
#define CGO_FRAME_SUB 64
#define CGO_FRAME_G 48

static __always_inline __u64 user_u64(__u64 addr)
{
	__u64 v = 0;

	bpf_probe_read_user(&v, sizeof(v), (void *)addr);
	return v;
}

/*
 * In C code called through cgo the thread runs on g0, and asmcgocall left
 * the goroutine's g in its frame at the top of g0's stack; the goroutine's
 * frame pointer was saved in g.sched.bp when it switched. Every pointer is
 * checked (the goroutine's m must be this m) before it is trusted.
 */
static __always_inline void capture_go_tail(struct ls_syscall_event *e, __u64 g, __u64 m)
{
	__u64 frame, curg, bp;
	__u32 n = 0;

	frame = (user_u64(g + G_SCHED_SP) - CGO_FRAME_SUB) & ~15ULL;
	curg = user_u64(frame + CGO_FRAME_G);
	if (!curg || curg == g || user_u64(curg + G_M) != m)
		return;
	bp = user_u64(curg + G_SCHED_BP);
	for (int i = 0; i < LS_GO_TAIL_FRAMES && bp; i++) {
		__u64 fr[2];	/* saved rbp, return address */

		if (bpf_probe_read_user(fr, sizeof(fr), (void *)bp) || !fr[1])
			break;
		e->go_tail.ips[i & (LS_GO_TAIL_FRAMES - 1)] = fr[1];
		n++;
		if (fr[0] <= bp)
			break;	/* frames only go up the stack */
		bp = fr[0];
	}
	e->go_tail.nr_frames = n;
}

/* How an acquiring event's stack is captured; see plan_stack(). */
struct stack_plan {
	__u64 g, m;		/* Go processes: current g and m, else 0 */
	__u64 sp;		/* user sp, when snapshotting */
	__u32 snap_bytes;	/* live stack to copy (0: frame-pointer walk) */
	bool end_known;		/* snap_bytes ends where the stack does */
	bool on_g0;		/* Go process in C code (cgo) on the system stack */
};

/*
 * The stack of an acquiring event, captured the cheapest complete way:
 *   - Go code (a Go process on a goroutine's stack) keeps frame pointers:
 *     the kernel's walk is complete, no snapshot is needed;
 *   - everything else (C, C++, and C called from Go through cgo, which
 *     runs on the thread's g0 stack) gets the registers and the live part
 *     of its stack for CFI unwinding, plus, under cgo, the goroutine's
 *     frames.
 * Only without a snapshot (--stack-snapshot 0) does native code fall back
 * to the frame-pointer walk. Decided before the record is reserved: the
 * record is as long as the stack copied into it.
 */
static __always_inline void plan_stack(struct stack_plan *plan, __u32 tgid)
{
	struct ls_go_proc *gp = bpf_map_lookup_elem(&go_procs, &tgid);

	plan->g = plan->m = plan->sp = 0;
	plan->snap_bytes = 0;
	plan->end_known = false;
	plan->on_g0 = false;
	if (gp) {
		struct task_struct *task = bpf_get_current_task_btf();

		plan->g = user_u64(task->thread.fsbase + gp->tls_g_off);
		plan->m = plan->g ? user_u64(plan->g + G_M) : 0;
		plan->on_g0 = plan->m && user_u64(plan->m + M_G0) == plan->g;
		if (plan->g && !plan->on_g0)
			return;
	}
	if (!snapshot_pages)
		return;
	plan->sp = user_regs()->sp;
	plan->snap_bytes = live_stack_bytes(plan->sp, snapshot_pages * LS_PAGE_BYTES,
					    &plan->end_known);
}

/* The parts of the stack that live in the fixed part of the record. */
static __always_inline void capture_stack(void *ctx, struct ls_syscall_event *e,
					  const struct stack_plan *plan)
{
	e->go_tail.nr_frames = 0;
	e->go_tail.pad = 0;
	e->stack.nr_frames = 0;
	e->snap_bytes = 0;
	if (!plan->snap_bytes) {
		capture_user_stack(ctx, &e->stack);
		return;
	}
	e->regs.ip = user_regs()->ip;
	e->regs.sp = plan->sp;
	e->regs.bp = user_regs()->bp;
	e->snap_base = plan->sp;
	if (plan->on_g0)
		capture_go_tail(e, plan->g, plan->m);
}

/* The stack itself, after the fixed part: in one read when its end is
 * known, else (or when that read fails: a page not resident) page by
 * page, keeping what was read before the first page that fails. */
static __always_inline __u32 copy_live_stack(struct bpf_dynptr *rec,
					     const struct stack_plan *plan)
{
	const __u32 fixed = sizeof(struct ls_syscall_event);
	__u32 n = plan->snap_bytes, done = 0;
	__u32 chunk = LS_PAGE_BYTES - (plan->sp & (LS_PAGE_BYTES - 1));

	if (!n)
		return 0;
	if (plan->end_known &&
	    bpf_probe_read_user_dynptr(rec, fixed, n, (void *)plan->sp) == 0)
		return n;
	for (__u32 i = 0; i <= LS_SNAPSHOT_MAX_PAGES && done < n; i++) {
		if (chunk > n - done)
			chunk = n - done;
		if (bpf_probe_read_user_dynptr(rec, fixed + done, chunk,
					       (void *)(plan->sp + done)))
			break;
		done += chunk;
		chunk = LS_PAGE_BYTES;
	}
	if (!done)
		count_drop(LS_DROP_STACK_FAILED);
	return done;
}

/* The syscall, its result and arguments: what every syscall record starts with. */
static __always_inline void fill_core(struct ls_syscall_core *sc, struct syscall_exit_ctx *ctx)
{
	sc->nr = ctx->nr;
	sc->ret = ctx->ret;
	sc->path_bytes = 0;
	sc->aux[0] = 0;
	sc->aux[1] = 0;
	read_args(sc);
}

/*
 * Start an acquiring record: plan its stack, reserve it (as long as the
 * stack it will carry), fill the header, the syscall and the fixed parts
 * of the stack. The caller adds what is particular to its syscall, then
 * calls finish_acquire().
 */
static __always_inline struct ls_syscall_event *
begin_acquire(struct syscall_exit_ctx *ctx, __u64 pid_tgid, struct bpf_dynptr *rec,
	      struct stack_plan *plan)
{
	struct ls_syscall_event *e;

	plan_stack(plan, pid_tgid >> 32);
	e = reserve_dynptr(rec, sizeof(*e) + plan->snap_bytes, sizeof(*e));
	if (!e)
		return NULL;
	fill_header(&e->hdr, LS_EV_SYSCALL, pid_tgid);
	fill_core(&e->sc, ctx);
	capture_stack(ctx, e, plan);
	e->flags = 0;
	e->alloc_ret_slot = 0;
	e->alloc_ret = 0;
	if (malloc_on) {
		struct malloc_call *c = bpf_task_storage_get(&malloc_calls,
							     bpf_get_current_task_btf(), 0, 0);

		if (c && malloc_call_above(c, user_regs()->sp)) {
			/* memory the allocator takes for malloc's blocks */
			if (ctx->nr == 9 /* mmap */ || ctx->nr == 25 /* mremap */ ||
			    ctx->nr == 12 /* brk */)
				e->flags = LS_SYSCALL_IN_ALLOCATOR;
			if (c->flags & CALL_RETURN) {
				e->alloc_ret_slot = c->sp;
				e->alloc_ret = c->ret;
			}
		}
	}
	return e;
}

static __always_inline void finish_acquire(struct bpf_dynptr *rec,
					   const struct stack_plan *plan)
{
	__u32 copied = copy_live_stack(rec, plan);

	bpf_dynptr_write(rec, offsetof(struct ls_syscall_event, snap_bytes), &copied,
			 sizeof(copied), 0);
	submit_dynptr(rec);
}

static __always_inline int on_acquire(struct syscall_exit_ctx *ctx, __u32 how)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct stack_plan plan;
	struct ls_syscall_event *e;
	struct bpf_dynptr rec;
	__u64 path = 0;
	int fds[2];

	if (ctx->ret < 0 || !is_traced(pid_tgid >> 32))
		return 0;
	e = begin_acquire(ctx, pid_tgid, &rec, &plan);
	if (!e)
		return 0;
	if (how & PATH_ARG0)
		path = e->sc.args[0];
	else if (how & PATH_ARG1)
		path = e->sc.args[1];
	if (path) {
		long n = bpf_probe_read_user_str(e->path, sizeof(e->path),
						 (void *)path);
		if (n > 0)
			e->sc.path_bytes = n;
		else
			count_drop(LS_DROP_PATH_FAILED);
	}
	if (how & FD_RESULT)
		e->sc.aux[LS_AUX_FD_MODE] = fd_mode(ctx->ret);
	if ((how & FILE_ARG4) && (__s64)e->sc.args[4] >= 0) {
		struct file *f = fd_file(e->sc.args[4]);

		if (f) {
			struct inode *ino = BPF_CORE_READ(f, f_inode);

			e->sc.aux[LS_AUX_MMAP_INO] = BPF_CORE_READ(ino, i_ino);
			e->sc.aux[LS_AUX_MMAP_DEV] = BPF_CORE_READ(ino, i_sb, s_dev);
		}
	}
	if (how & (FD_PAIR_ARG0 | FD_PAIR_ARG3)) {
		void *arr = (void *)e->sc.args[(how & FD_PAIR_ARG0) ? 0 : 3];

		if (bpf_probe_read_user(fds, sizeof(fds), arr) == 0)
			e->sc.aux[LS_AUX_PIPE_FDS] =
				(__u32)fds[0] | ((__u64)(__u32)fds[1] << 32);
		else
			e->sc.aux[LS_AUX_PIPE_FDS] = ~0ULL;
	}
	finish_acquire(&rec, &plan);
	return 0;
}

/* close/munmap/close_range: a failed call released nothing, except
 * close() (is_close), which frees the fd even when it reports EINTR or
 * EIO; only EBADF means nothing was closed. */
static __always_inline int on_release(struct syscall_exit_ctx *ctx,
				      bool is_close)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct ls_release_event *e;

	if (ctx->ret < 0 && (!is_close || ctx->ret == -9 /* EBADF */))
		return 0;
	if (!is_traced(pid_tgid >> 32))
		return 0;
	e = reserve(sizeof(*e));
	if (!e)
		return 0;
	fill_header(&e->hdr, LS_EV_RELEASE, pid_tgid);
	fill_core(&e->sc, ctx);
	submit(e);
	return 0;
}

#define ACQUIRE(name, how)                                                \
	SEC("tracepoint/syscalls/sys_exit_" #name)                        \
	int exit_##name(struct syscall_exit_ctx *ctx)                     \
	{                                                                 \
		return on_acquire(ctx, (how));                            \
	}

/* Memory */
ACQUIRE(mmap, FILE_ARG4)
ACQUIRE(mremap, 0)

/* File descriptors: every syscall that returns new ones */
ACQUIRE(open, FD_RESULT | PATH_ARG0)
ACQUIRE(creat, FD_RESULT | PATH_ARG0)
ACQUIRE(openat, FD_RESULT | PATH_ARG1)
ACQUIRE(openat2, FD_RESULT | PATH_ARG1)
ACQUIRE(open_by_handle_at, FD_RESULT)
ACQUIRE(memfd_create, FD_RESULT | PATH_ARG0)
ACQUIRE(memfd_secret, FD_RESULT)
ACQUIRE(socket, FD_RESULT)
ACQUIRE(socketpair, FD_PAIR_ARG3)
ACQUIRE(accept, FD_RESULT)
ACQUIRE(accept4, FD_RESULT)
ACQUIRE(pipe, FD_PAIR_ARG0)
ACQUIRE(pipe2, FD_PAIR_ARG0)
ACQUIRE(dup, FD_RESULT)
ACQUIRE(dup2, FD_RESULT)
ACQUIRE(dup3, FD_RESULT)
ACQUIRE(eventfd, FD_RESULT)
ACQUIRE(eventfd2, FD_RESULT)
ACQUIRE(epoll_create, FD_RESULT)
ACQUIRE(epoll_create1, FD_RESULT)
ACQUIRE(timerfd_create, FD_RESULT)
ACQUIRE(signalfd, FD_RESULT)
ACQUIRE(signalfd4, FD_RESULT)
ACQUIRE(inotify_init, FD_RESULT)
ACQUIRE(inotify_init1, FD_RESULT)
ACQUIRE(fanotify_init, FD_RESULT)
ACQUIRE(pidfd_open, FD_RESULT)
ACQUIRE(pidfd_getfd, FD_RESULT)
ACQUIRE(userfaultfd, FD_RESULT)
ACQUIRE(perf_event_open, FD_RESULT)
ACQUIRE(io_uring_setup, FD_RESULT)
ACQUIRE(fsopen, FD_RESULT)
ACQUIRE(fsmount, FD_RESULT)
ACQUIRE(fspick, FD_RESULT | PATH_ARG1)
ACQUIRE(open_tree, FD_RESULT | PATH_ARG1)

/* fcntl is frequent (F_GETFL, F_SETFL...): only F_DUPFD and
 * F_DUPFD_CLOEXEC make an fd, so filter before reserving anything. */
SEC("tracepoint/syscalls/sys_exit_fcntl")
int exit_fcntl(struct syscall_exit_ctx *ctx)
{
	struct pt_regs *regs =
		(struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
	__u64 cmd;

	cmd = BPF_CORE_READ(regs, si);

	if (cmd != 0 /* F_DUPFD */ && cmd != 1030 /* F_DUPFD_CLOEXEC */)
		return 0;
	return on_acquire(ctx, FD_RESULT);
}

SEC("tracepoint/syscalls/sys_exit_munmap")
int exit_munmap(struct syscall_exit_ctx *ctx)
{
	return on_release(ctx, false);
}

SEC("tracepoint/syscalls/sys_exit_close")
int exit_close(struct syscall_exit_ctx *ctx)
{
	return on_release(ctx, true);
}

SEC("tracepoint/syscalls/sys_exit_close_range")
int exit_close_range(struct syscall_exit_ctx *ctx)
{
	return on_release(ctx, false);
}

/* brk: the break before the call is only visible at entry. */
SEC("tracepoint/syscalls/sys_enter_brk")
int enter_brk(void *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct task_struct *task;
	__u64 *old;

	if (!is_traced(pid_tgid >> 32))
		return 0;
	task = bpf_get_current_task_btf();
	old = bpf_task_storage_get(&brk_before, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (old)
		*old = task->mm->brk;
	else
		count_drop(LS_DROP_INFLIGHT_FULL);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_brk")
int exit_brk(struct syscall_exit_ctx *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct ls_syscall_event *e;
	struct task_struct *task;
	__u64 *old, old_brk = 0;
	struct stack_plan plan;
	struct bpf_dynptr rec;

	if (!is_traced(pid_tgid >> 32))
		return 0;
	old = bpf_task_storage_get(&brk_before, bpf_get_current_task_btf(), 0, 0);
	if (old) {
		old_brk = *old;
		*old = 0;
	}
	if (old_brk == (__u64)ctx->ret)
		return 0;	/* a query (brk(0)) or a refused change */
	e = begin_acquire(ctx, pid_tgid, &rec, &plan);
	if (!e)
		return 0;
	task = bpf_get_current_task_btf();
	e->sc.aux[LS_AUX_BRK_OLD] = old_brk;
	e->sc.aux[LS_AUX_BRK_START] = BPF_CORE_READ(task, mm, start_brk);
	finish_acquire(&rec, &plan);
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(on_exec, struct task_struct *p, pid_t old_pid,
	     struct linux_binprm *bprm)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct ls_exec_event *e;
	struct fdtable *fdt;
	__u32 words;
	bool traced;

	if (!enabled)
		return 0;
	traced = is_traced(pid_tgid >> 32);
	if (!traced && !notify_all_execs)
		return 0;
	e = reserve(sizeof(*e));
	if (!e)
		return 0;
	fill_header(&e->hdr, LS_EV_EXEC, pid_tgid);
	/* close-on-exec fds are already closed here: what is open now is
	 * exactly what the new image inherits. */
	fdt = BPF_CORE_READ(p, files, fdt);
	e->max_fds = BPF_CORE_READ(fdt, max_fds);
	words = e->max_fds / 64;
	if (words > LS_EXEC_FD_WORDS)
		words = LS_EXEC_FD_WORDS;
	if (words < 1)
		words = 1;
	e->fd_words = words;
	if (bpf_probe_read_kernel(e->open_fds, words * 8,
				  BPF_CORE_READ(fdt, open_fds)))
		e->fd_words = 0;
	/* The auxiliary vector says where the kernel loaded the program,
	 * its interpreter and the vDSO: enough to symbolize the process
	 * even if it is gone before the collector can read /proc. */
	if (bpf_probe_read_kernel(e->auxv, sizeof(e->auxv),
				  BPF_CORE_READ(p, mm)->saved_auxv))
		e->auxv[0] = 0;
	e->exe_ino = BPF_CORE_READ(bprm, file, f_inode, i_ino);
	e->exe_dev = BPF_CORE_READ(bprm, file, f_inode, i_sb, s_dev);
	e->flags = traced ? LS_EXEC_TRACED : 0;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_probe_read_kernel_str(e->filename, sizeof(e->filename),
				  BPF_CORE_READ(bprm, interp));
	submit_now(e);
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(on_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 parent_tgid = parent->tgid, child_pid = child->pid;
	struct ls_fork_event *e;
	__u32 one = 1;

	if (child->tgid != child_pid)
		return 0;	/* a new thread, counted under its process */
	if (!follow_forks || !is_traced(parent_tgid))
		return 0;
	if (!trace_all &&
	    bpf_map_update_elem(&traced, &child_pid, &one, BPF_ANY)) {
		count_drop(LS_DROP_TRACED_FULL);
		return 0;
	}
	e = reserve(sizeof(*e));
	if (!e)
		return 0;
	fill_header(&e->hdr, LS_EV_FORK, (__u64)parent_tgid << 32 | parent->pid);
	e->child_pid = child_pid;
	e->flags = 0;
	if (child->mm == parent->mm)
		e->flags |= LS_FORK_SHARES_VM;
	if (child->files == parent->files)
		e->flags |= LS_FORK_SHARES_FILES;
	bpf_probe_read_kernel_str(e->comm, sizeof(e->comm), child->comm);
	submit_now(e);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(on_exit, struct task_struct *p, bool group_dead)
{
	__u32 tgid = p->tgid, tid = p->pid;
	struct ls_exit_event *e;

	if (group_dead)
		bpf_map_delete_elem(&go_procs, &tgid);
	if (!group_dead || !is_traced(tgid))
		return 0;
	/* Stop tracing the pid now, so a later process reusing it is not
	 * mistaken for this one. */
	bpf_map_delete_elem(&traced, &tgid);
	e = reserve(sizeof(*e));
	if (!e)
		return 0;
	fill_header(&e->hdr, LS_EV_EXIT, (__u64)tgid << 32 | tid);
	e->exit_code = p->exit_code;
	e->pad = 0;
	submit_now(e);
	return 0;
}
