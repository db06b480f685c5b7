/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Per thread: the malloc-family call in flight (the outermost one: an
 * allocator calling itself is one call) and the byte sampler's state.
 * Task-local storage, so a thread that exits inside malloc takes its
 * state with it. Shared by bpf/malloc.bpf.c, which keeps it, and
 * bpf/native.bpf.c, which asks whether an mmap or brk was made inside
 * malloc (then it is the allocator's memory, already counted under
 * malloc); the loader makes both objects use one map.
 */
#ifndef LEAKSCOPE_MALLOC_STATE_BPF_H
#define LEAKSCOPE_MALLOC_STATE_BPF_H

#define CALL_RETURN 0x1		/* a return probe will fire for this call */
#define CALL_SAMPLED 0x2	/* the new block is sampled: send it */
#define CALL_OLD_SAMPLED 0x4	/* realloc of a sampled block: retire it */
#define SAMPLER_READY 0x100	/* sample_left was drawn */

struct malloc_call {
	__u64 sp;		/* where the call's return address is; 0: none */
	__u64 ret;		/* that return address */
	__u64 size;		/* bytes asked for */
	__u64 arg;		/* realloc: the old block; posix_memalign: memptr */
	__u64 call_ns;		/* when it began (realloc only) */
	__u64 cookie;		/* the probe's */
	__s64 sample_left;	/* bytes until the next sample */
	__u32 flags;		/* CALL_*, SAMPLER_READY */
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct malloc_call);
} malloc_calls SEC(".maps");

/*
 * Is a call still in flight above user stack pointer sp? With a return
 * probe pending its return clears it; without one (a call the sampler
 * skipped), the slot that held its return address still holds it only
 * while the call has not returned (a later call from the same call site
 * would be a malloc-family call again, and have replaced this state).
 */
static __always_inline bool malloc_call_above(struct malloc_call *c, __u64 sp)
{
	__u64 ret = 0;

	if (!c->sp || sp >= c->sp)
		return false;
	if (c->flags & CALL_RETURN)
		return true;
	bpf_probe_read_user(&ret, sizeof(ret), (void *)c->sp);
	return ret == c->ret;
}

#endif /* LEAKSCOPE_MALLOC_STATE_BPF_H */
