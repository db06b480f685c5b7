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

char LICENSE[] SEC("license") = "Dual MIT/GPL";

/* Set by the loader: add children of traced processes (-f/--follow). */
const volatile __u32 follow_forks = 0;
/* Pages of user stack copied per event for CFI unwinding (0 = off). */
const volatile __u32 snapshot_pages = 0;
/* Set by the loader (agent): an exec record for every process, traced
 * or not, so userspace can pick new processes by its filters. */
const volatile __u32 notify_all_execs = 0;

/* tid -> mm->brk at brk() entry, to know what the call grew or shrank. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
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
#define WANT_STACK	0x01	/* acquire: capture the user stack */
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

	sc->args[0] = BPF_CORE_READ(regs, di);
	sc->args[1] = BPF_CORE_READ(regs, si);
	sc->args[2] = BPF_CORE_READ(regs, dx);
	sc->args[3] = BPF_CORE_READ(regs, r10);
	sc->args[4] = BPF_CORE_READ(regs, r8);
	sc->args[5] = BPF_CORE_READ(regs, r9);
}

/* The current task's open file for fd, NULL when it cannot be read. */
static __always_inline struct file *fd_file(__s64 fd)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct file **fds = BPF_CORE_READ(task, files, fdt, fd);
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

	return f ? BPF_CORE_READ(f, f_inode, i_mode) & S_IFMT : 0;
}

/*
 * Registers and the top of the user stack, page by page from the page
 * holding sp: each read is a whole page, so a stack that ends (or a page
 * that is not resident) stops the copy without losing what came before.
 */
static __always_inline void capture_snapshot(struct ls_syscall_event *e)
{
	struct pt_regs *regs = user_regs();
	__u64 base;

	e->regs.ip = BPF_CORE_READ(regs, ip);
	e->regs.sp = BPF_CORE_READ(regs, sp);
	e->regs.bp = BPF_CORE_READ(regs, bp);
	base = e->regs.sp & ~(__u64)(LS_PAGE_BYTES - 1);
	e->snap_base = base;
	e->snap_bytes = 0;
	for (__u32 i = 0; i < LS_SNAPSHOT_MAX_PAGES && i < snapshot_pages; i++) {
		if (bpf_probe_read_user(e->snapshot + i * LS_PAGE_BYTES, LS_PAGE_BYTES,
					(void *)(base + i * LS_PAGE_BYTES)))
			break;
		e->snap_bytes += LS_PAGE_BYTES;
	}
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

/*
 * The stack of an acquiring event, captured the cheapest complete way:
 *   - Go code (a Go process on a goroutine's stack) keeps frame pointers:
 *     the kernel's walk is complete, no snapshot is needed;
 *   - everything else (C, C++, and C called from Go through cgo, which
 *     runs on the thread's g0 stack) gets the registers and stack snapshot
 *     for CFI unwinding, plus, under cgo, the goroutine's frames.
 * Only without a snapshot (--stack-snapshot 0) does native code fall back
 * to the frame-pointer walk.
 */
static __always_inline void capture_stack(void *ctx, struct ls_syscall_event *e,
					  __u32 tgid)
{
	struct ls_go_proc *gp = bpf_map_lookup_elem(&go_procs, &tgid);
	__u64 g = 0, m = 0;
	bool on_g0 = false;

	e->go_tail.nr_frames = 0;
	e->go_tail.pad = 0;
	e->stack.nr_frames = 0;
	e->snap_bytes = 0;
	if (gp) {
		struct task_struct *task = bpf_get_current_task_btf();

		g = user_u64(BPF_CORE_READ(task, thread.fsbase) + gp->tls_g_off);
		m = g ? user_u64(g + G_M) : 0;
		on_g0 = m && user_u64(m + M_G0) == g;
		if (g && !on_g0) {
			capture_user_stack(ctx, &e->stack);
			return;
		}
	}
	if (!snapshot_pages) {
		capture_user_stack(ctx, &e->stack);
		return;
	}
	capture_snapshot(e);
	if (on_g0)
		capture_go_tail(e, g, m);
}

static __always_inline struct ls_syscall_event *reserve_syscall_event(void)
{
	return reserve(sizeof(struct ls_syscall_event) +
		       (__u64)snapshot_pages * LS_PAGE_BYTES);
}

static __always_inline int on_acquire(struct syscall_exit_ctx *ctx, __u32 how)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct ls_syscall_event *e;
	__u64 path = 0;
	int fds[2];

	if (ctx->ret < 0 || !is_traced(pid_tgid >> 32))
		return 0;
	e = reserve_syscall_event();
	if (!e)
		return 0;
	fill_header(&e->hdr, LS_EV_SYSCALL, pid_tgid);
	e->sc.nr = ctx->nr;
	e->sc.ret = ctx->ret;
	e->sc.path_bytes = 0;
	e->sc.aux[0] = 0;
	e->sc.aux[1] = 0;
	read_args(&e->sc);

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
	if (how & WANT_STACK) {
		capture_stack(ctx, e, pid_tgid >> 32);
	} else {
		e->stack.nr_frames = 0;
		e->snap_bytes = 0;
		e->go_tail.nr_frames = 0;
	}
	submit(e);
	return 0;
}

/* close/munmap/close_range: ok_when_negative lists errors that still
 * released the resource (close() frees the fd even when it reports EINTR
 * or EIO; only EBADF means nothing was closed). */
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
	e->sc.nr = ctx->nr;
	e->sc.ret = ctx->ret;
	e->sc.path_bytes = 0;
	e->sc.aux[0] = 0;
	e->sc.aux[1] = 0;
	read_args(&e->sc);
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
ACQUIRE(mmap, WANT_STACK | FILE_ARG4)
ACQUIRE(mremap, WANT_STACK)

/* File descriptors: every syscall that returns new ones */
ACQUIRE(open, WANT_STACK | FD_RESULT | PATH_ARG0)
ACQUIRE(creat, WANT_STACK | FD_RESULT | PATH_ARG0)
ACQUIRE(openat, WANT_STACK | FD_RESULT | PATH_ARG1)
ACQUIRE(openat2, WANT_STACK | FD_RESULT | PATH_ARG1)
ACQUIRE(open_by_handle_at, WANT_STACK | FD_RESULT)
ACQUIRE(memfd_create, WANT_STACK | FD_RESULT | PATH_ARG0)
ACQUIRE(memfd_secret, WANT_STACK | FD_RESULT)
ACQUIRE(socket, WANT_STACK | FD_RESULT)
ACQUIRE(socketpair, WANT_STACK | FD_PAIR_ARG3)
ACQUIRE(accept, WANT_STACK | FD_RESULT)
ACQUIRE(accept4, WANT_STACK | FD_RESULT)
ACQUIRE(pipe, WANT_STACK | FD_PAIR_ARG0)
ACQUIRE(pipe2, WANT_STACK | FD_PAIR_ARG0)
ACQUIRE(dup, WANT_STACK | FD_RESULT)
ACQUIRE(dup2, WANT_STACK | FD_RESULT)
ACQUIRE(dup3, WANT_STACK | FD_RESULT)
ACQUIRE(eventfd, WANT_STACK | FD_RESULT)
ACQUIRE(eventfd2, WANT_STACK | FD_RESULT)
ACQUIRE(epoll_create, WANT_STACK | FD_RESULT)
ACQUIRE(epoll_create1, WANT_STACK | FD_RESULT)
ACQUIRE(timerfd_create, WANT_STACK | FD_RESULT)
ACQUIRE(signalfd, WANT_STACK | FD_RESULT)
ACQUIRE(signalfd4, WANT_STACK | FD_RESULT)
ACQUIRE(inotify_init, WANT_STACK | FD_RESULT)
ACQUIRE(inotify_init1, WANT_STACK | FD_RESULT)
ACQUIRE(fanotify_init, WANT_STACK | FD_RESULT)
ACQUIRE(pidfd_open, WANT_STACK | FD_RESULT)
ACQUIRE(pidfd_getfd, WANT_STACK | FD_RESULT)
ACQUIRE(userfaultfd, WANT_STACK | FD_RESULT)
ACQUIRE(perf_event_open, WANT_STACK | FD_RESULT)
ACQUIRE(io_uring_setup, WANT_STACK | FD_RESULT)
ACQUIRE(fsopen, WANT_STACK | FD_RESULT)
ACQUIRE(fsmount, WANT_STACK | FD_RESULT)
ACQUIRE(fspick, WANT_STACK | FD_RESULT | PATH_ARG1)
ACQUIRE(open_tree, WANT_STACK | FD_RESULT | PATH_ARG1)

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
	return on_acquire(ctx, WANT_STACK | FD_RESULT);
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
	__u32 tid = (__u32)pid_tgid;
	__u64 old;

	if (!is_traced(pid_tgid >> 32))
		return 0;
	task = bpf_get_current_task_btf();
	old = BPF_CORE_READ(task, mm, brk);
	if (bpf_map_update_elem(&brk_before, &tid, &old, BPF_ANY))
		count_drop(LS_DROP_INFLIGHT_FULL);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_brk")
int exit_brk(struct syscall_exit_ctx *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct ls_syscall_event *e;
	struct task_struct *task;
	__u32 tid = (__u32)pid_tgid;
	__u64 *old, old_brk = 0;

	old = bpf_map_lookup_elem(&brk_before, &tid);
	if (old) {
		old_brk = *old;	/* copy before the delete frees it */
		bpf_map_delete_elem(&brk_before, &tid);
	}
	if (!is_traced(pid_tgid >> 32) || old_brk == (__u64)ctx->ret)
		return 0;	/* a query (brk(0)) or a refused change */
	e = reserve_syscall_event();
	if (!e)
		return 0;
	task = bpf_get_current_task_btf();
	fill_header(&e->hdr, LS_EV_SYSCALL, pid_tgid);
	e->sc.nr = ctx->nr;
	e->sc.ret = ctx->ret;
	e->sc.path_bytes = 0;
	e->sc.aux[LS_AUX_BRK_OLD] = old_brk;
	e->sc.aux[LS_AUX_BRK_START] = BPF_CORE_READ(task, mm, start_brk);
	read_args(&e->sc);
	capture_stack(ctx, e, pid_tgid >> 32);
	submit(e);
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

	bpf_map_delete_elem(&brk_before, &tid);
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
