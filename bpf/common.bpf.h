/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Maps and helpers every leakscope BPF object shares. Each object defines
 * these maps; the loader makes later objects reuse the first object's
 * maps (bpf_map__reuse_fd), so there is one ring buffer, one set of
 * counters and one table of traced processes.
 */
#ifndef LEAKSCOPE_COMMON_BPF_H
#define LEAKSCOPE_COMMON_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "leakscope.h"

/* Sized by the loader (--ring-buffer); this is only the default. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 32 << 20);
} events SEC(".maps");

/* tgid -> flags of traced processes; resized by the loader. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u32);
} traced SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, LS_DROP_MAX);
	__type(key, __u32);
	__type(value, __u64);
} drops SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, LS_STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

/* Set by the loader: trace every process (agent mode) instead of `traced`. */
const volatile __u32 trace_all = 0;
/*
 * Written by userspace while attached (the agent's sampling intervals and
 * overhead back-off): 0 makes every program return at once. Pausing this
 * way costs one load per hit; detaching would cost ~70 ms per tracepoint
 * (a grace period each, serially) and as much again to attach.
 */
volatile __u32 enabled = 1;
/* Bytes of user stack frames to capture; a multiple of 8, <= 8 * depth. */
const volatile __u32 stack_bytes = 8 * LS_MAX_STACK_DEPTH;

static __always_inline void count(void *map, __u32 slot)
{
	__u64 *n = bpf_map_lookup_elem(map, &slot);

	if (n)
		*n += 1;	/* per-CPU slot: no atomics needed */
}

static __always_inline void count_drop(__u32 reason)
{
	count(&drops, reason);
}

static __always_inline bool is_traced(__u32 tgid)
{
	return enabled && (trace_all || bpf_map_lookup_elem(&traced, &tgid));
}

static __always_inline void fill_header(struct ls_event_header *h, __u32 type,
					__u64 pid_tgid)
{
	h->type = type;
	h->pid = pid_tgid >> 32;
	h->tid = (__u32)pid_tgid;
	h->cpu = bpf_get_smp_processor_id();
	h->ts_ns = bpf_ktime_get_ns();
}

/* Reserve a record or count the loss: callers only check for NULL. */
static __always_inline void *reserve(__u64 size)
{
	void *rec = bpf_ringbuf_reserve(&events, size, 0);

	if (!rec)
		count_drop(LS_DROP_RINGBUF_FULL);
	return rec;
}

/* Bytes of unread records above which the consumer is woken up. */
const volatile __u64 wakeup_bytes = 1 << 20;

/*
 * Waking the consumer costs an interrupt per record (an IPI, very
 * expensive in a VM): let records pile up and have the collector poll on
 * a short timer, waking it only when the buffer fills or for the events
 * it must act on at once (exec, exit).
 */
static __always_inline void submit(void *rec)
{
	__u64 flags = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) > wakeup_bytes ?
			      BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;

	count(&stats, LS_STAT_EVENTS);
	bpf_ringbuf_submit(rec, flags);
}

/*
 * A record whose length is known only at run time (a stack copied into
 * it): reserved as a dynptr, with a pointer to its fixed_bytes fixed
 * part, or NULL (counted) when the buffer is full.
 */
static __always_inline void *reserve_dynptr(struct bpf_dynptr *rec, __u32 size,
					    __u32 fixed_bytes)
{
	void *fixed;

	if (bpf_ringbuf_reserve_dynptr(&events, size, 0, rec)) {
		count_drop(LS_DROP_RINGBUF_FULL);
		bpf_ringbuf_discard_dynptr(rec, 0);
		return NULL;
	}
	fixed = bpf_dynptr_data(rec, 0, fixed_bytes);
	if (!fixed)
		bpf_ringbuf_discard_dynptr(rec, 0);
	return fixed;
}

static __always_inline void submit_dynptr(struct bpf_dynptr *rec)
{
	__u64 flags = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) > wakeup_bytes ?
			      BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;

	count(&stats, LS_STAT_EVENTS);
	bpf_ringbuf_submit_dynptr(rec, flags);
}

/*
 * A record built in memory the program owns (a per-CPU buffer), copied
 * into the ring buffer: for records of run-time length on kernels whose
 * ring buffer has no dynptrs (before 5.19), or no way to read user
 * memory into one (bpf_probe_read_user_dynptr, 6.16). One copy more than
 * reserve_dynptr(); a full buffer is counted like a failed reserve.
 */
static __always_inline void output(void *rec, __u64 size)
{
	__u64 flags = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) > wakeup_bytes ?
			      BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;

	if (bpf_ringbuf_output(&events, rec, size, flags)) {
		count_drop(LS_DROP_RINGBUF_FULL);
		return;
	}
	count(&stats, LS_STAT_EVENTS);
}

static __always_inline void submit_now(void *rec)
{
	count(&stats, LS_STAT_EVENTS);
	bpf_ringbuf_submit(rec, BPF_RB_FORCE_WAKEUP);
}

/* Capture the current thread's user stack into s; a failure is counted. */
static __always_inline void capture_user_stack(void *ctx, struct ls_stack *s)
{
	__u32 bytes = stack_bytes;
	long n;

	if (bytes > sizeof(s->ips))
		bytes = sizeof(s->ips);
	n = bpf_get_stack(ctx, s->ips, bytes, BPF_F_USER_STACK);
	if (n < 0) {
		s->nr_frames = 0;
		s->flags = 0;
		count_drop(LS_DROP_STACK_FAILED);
		return;
	}
	s->nr_frames = n / 8;
	s->flags = n >= bytes ? LS_STACK_TRUNCATED : 0;
}

#endif /* LEAKSCOPE_COMMON_BPF_H */
