// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The benchmark floor: BPF programs that do nothing, or nothing but the
 * stack capture a leakscope event needs, so scripts/bench.sh can measure
 * what a probe hit costs on this machine before anything leakscope does.
 * Loaded only by tests/workloads/bench/bench_floor.c; never by leakscope.
 *
 *   up_*  uprobes, attached by the driver to instructions it wrote itself
 *   tp_*  the sys_exit_getppid tracepoint (a syscall leakscope never
 *         watches), except tp_other on sys_exit_close: what an enabled
 *         syscall tracepoint costs the syscalls it does not watch
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "leakscope.h"

char LICENSE[] SEC("license") = "Dual MIT/GPL";

/* Pages of user stack copied by the *_snap programs (leakscope's
 * --stack-snapshot in pages); set by the driver before load. */
const volatile __u32 snapshot_pages = 4;

/* What leakscope's biggest native record carries beyond its header:
 * a frame-pointer stack and the stack snapshot. */
struct capture {
	struct ls_user_regs regs;
	__u64 snap_base;
	__u32 snap_bytes;
	__u32 pad;
	struct ls_stack stack;
	__u8 snapshot[LS_SNAPSHOT_MAX_PAGES * LS_PAGE_BYTES];
};

/* One slot per CPU (a per-CPU array cannot hold 64 KiB values); sized by
 * the driver to the number of possible CPUs. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct capture);
} scratch SEC(".maps");

/* Sized by the driver, which drains it between timed batches. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} rb SEC(".maps");

static __always_inline struct capture *my_scratch(void)
{
	__u32 cpu = bpf_get_smp_processor_id();

	return bpf_map_lookup_elem(&scratch, &cpu);
}

static __always_inline void fp_stack(void *ctx, struct ls_stack *s)
{
	long n = bpf_get_stack(ctx, s->ips, sizeof(s->ips), BPF_F_USER_STACK);

	s->nr_frames = n > 0 ? (__u64)n / 8 : 0;
	s->flags = 0;
}

/* The same page-by-page copy as leakscope's capture_snapshot(). */
static __always_inline void snapshot(struct ls_user_regs *r, __u64 *snap_base,
				     __u32 *snap_bytes, __u8 *snap)
{
	struct pt_regs *regs =
		(struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
	__u64 base;

	r->ip = BPF_CORE_READ(regs, ip);
	r->sp = BPF_CORE_READ(regs, sp);
	r->bp = BPF_CORE_READ(regs, bp);
	base = r->sp & ~(__u64)(LS_PAGE_BYTES - 1);
	*snap_base = base;
	*snap_bytes = 0;
	for (__u32 i = 0; i < LS_SNAPSHOT_MAX_PAGES && i < snapshot_pages; i++) {
		if (bpf_probe_read_user(snap + i * LS_PAGE_BYTES, LS_PAGE_BYTES,
					(void *)(base + i * LS_PAGE_BYTES)))
			break;
		*snap_bytes += LS_PAGE_BYTES;
	}
}

SEC("uprobe")
int up_empty(void *ctx)
{
	return 0;
}

/* What a Go event needs at least: the frame-pointer stack. */
SEC("uprobe")
int up_stack(struct pt_regs *ctx)
{
	struct capture *c = my_scratch();

	if (c)
		fp_stack(ctx, &c->stack);
	return 0;
}

/* The same into a ring-buffer record the size of a goroutine-creation
 * record, submitted without a wakeup (as leakscope does). */
SEC("uprobe")
int up_stack_rb(struct pt_regs *ctx)
{
	struct ls_go_create_event *e = bpf_ringbuf_reserve(&rb, sizeof(*e), 0);

	if (!e)
		return 0;
	e->hdr.type = 0;
	fp_stack(ctx, &e->stack);
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_getppid")
int tp_empty(void *ctx)
{
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_close")
int tp_other(void *ctx)
{
	return 0;
}

/* What a native event needs with --stack-snapshot 0. */
SEC("tracepoint/syscalls/sys_exit_getppid")
int tp_stack(void *ctx)
{
	struct capture *c = my_scratch();

	if (c)
		fp_stack(ctx, &c->stack);
	return 0;
}

/* ... and with a snapshot of snapshot_pages. */
SEC("tracepoint/syscalls/sys_exit_getppid")
int tp_snap(void *ctx)
{
	struct capture *c = my_scratch();

	if (!c)
		return 0;
	fp_stack(ctx, &c->stack);
	snapshot(&c->regs, &c->snap_base, &c->snap_bytes, c->snapshot);
	return 0;
}

/* ... copied into a ring-buffer record of leakscope's size instead. */
SEC("tracepoint/syscalls/sys_exit_getppid")
int tp_snap_rb(void *ctx)
{
	struct ls_syscall_event *e;

	e = bpf_ringbuf_reserve(&rb, sizeof(*e) + (__u64)snapshot_pages * LS_PAGE_BYTES, 0);
	if (!e)
		return 0;
	e->hdr.type = 0;
	fp_stack(ctx, &e->stack);
	snapshot(&e->regs, &e->snap_base, &e->snap_bytes, e->snapshot);
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
	return 0;
}
