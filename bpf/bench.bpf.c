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
#include "stack_snapshot.bpf.h"

char LICENSE[] SEC("license") = "Dual MIT/GPL";

/* Pages of user stack copied by the *_snap programs (leakscope's
 * --stack-snapshot in pages); set by the driver before load. */
const volatile __u32 snapshot_pages = 4;

/* Where the frame-pointer programs put their stack: one slot per CPU,
 * sized by the driver to the number of possible CPUs. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ls_stack);
} scratch SEC(".maps");

/* Sized by the driver, which drains it between timed batches. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} rb SEC(".maps");

static __always_inline struct ls_stack *my_scratch(void)
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

SEC("uprobe")
int up_empty(void *ctx)
{
	return 0;
}

/* What a Go event needs at least: the frame-pointer stack. */
SEC("uprobe")
int up_stack(struct pt_regs *ctx)
{
	struct ls_stack *c = my_scratch();

	if (c)
		fp_stack(ctx, c);
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

/* The live stack (at most snapshot_pages) copied into a record of its
 * size at a uprobe: what a creation stack walked in userspace costs. */
SEC("uprobe")
int up_copy(struct pt_regs *ctx)
{
	struct ls_syscall_event *e;
	struct bpf_dynptr rec;
	__u64 sp = ctx->sp;
	bool end_known;
	__u32 n = live_stack_bytes(sp, snapshot_pages * LS_PAGE_BYTES, &end_known);

	if (bpf_ringbuf_reserve_dynptr(&rb, sizeof(*e) + n, 0, &rec)) {
		bpf_ringbuf_discard_dynptr(&rec, 0);
		return 0;
	}
	e = bpf_dynptr_data(&rec, 0, sizeof(*e));
	if (!e) {
		bpf_ringbuf_discard_dynptr(&rec, 0);
		return 0;
	}
	e->hdr.type = 0;
	e->regs.sp = sp;
	e->regs.ip = ctx->ip;
	e->regs.bp = ctx->bp;
	e->snap_base = sp;
	e->snap_bytes = n;
	if (bpf_probe_read_user_dynptr(&rec, sizeof(*e), n, (void *)sp))
		e->snap_bytes = 0;
	bpf_ringbuf_submit_dynptr(&rec, BPF_RB_NO_WAKEUP);
	return 0;
}

/* A return probe that does nothing: with up_empty at the entry, what a
 * uretprobe adds (the return address swapped for the kernel's
 * trampoline, and the trampoline's own trip into the kernel). */
SEC("uretprobe")
int up_ret_empty(void *ctx)
{
	return 0;
}

/* Session uprobes (uprobe_multi links, 6.13+): one program at the entry
 * and, when the entry returns 0, at the return too; returning 1 skips
 * the return. The driver sets their attach type before loading. */
SEC("uprobe")
int up_session_ret(void *ctx)
{
	return 0;
}

SEC("uprobe")
int up_session_noret(void *ctx)
{
	return 1;
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
	struct ls_stack *c = my_scratch();

	if (c)
		fp_stack(ctx, c);
	return 0;
}

/* ... and with a snapshot: the live stack (at most snapshot_pages) into
 * a ring-buffer record of leakscope's size, copied as leakscope does. */
SEC("tracepoint/syscalls/sys_exit_getppid")
int tp_snap(void *ctx)
{
	struct pt_regs *regs =
		(struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
	struct ls_syscall_event *e;
	struct bpf_dynptr rec;
	__u64 sp = BPF_CORE_READ(regs, sp);
	bool end_known;
	__u32 n = live_stack_bytes(sp, snapshot_pages * LS_PAGE_BYTES, &end_known);

	if (bpf_ringbuf_reserve_dynptr(&rb, sizeof(*e) + n, 0, &rec)) {
		bpf_ringbuf_discard_dynptr(&rec, 0);
		return 0;
	}
	e = bpf_dynptr_data(&rec, 0, sizeof(*e));
	if (!e) {
		bpf_ringbuf_discard_dynptr(&rec, 0);
		return 0;
	}
	e->hdr.type = 0;
	e->regs.sp = sp;
	e->regs.ip = BPF_CORE_READ(regs, ip);
	e->regs.bp = BPF_CORE_READ(regs, bp);
	e->snap_base = sp;
	e->snap_bytes = n;
	if (bpf_probe_read_user_dynptr(&rec, sizeof(*e), n, (void *)sp))
		e->snap_bytes = 0;
	bpf_ringbuf_submit_dynptr(&rec, BPF_RB_NO_WAKEUP);
	return 0;
}
