/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * A per-CPU buffer for uprobe programs that copy a user stack of run-time
 * length, on kernels that cannot read user memory into a ring-buffer
 * record (no bpf_probe_read_user_dynptr before 6.16, no ring-buffer
 * dynptrs before 5.19): the record is built here, then copied into the
 * ring buffer (output()).
 *
 * Unlike syscall tracepoints, uprobe programs run with migration off but
 * preemption on (6.1+), so another thread on the same CPU may enter its
 * probe while one is half way through this CPU's buffer. Each buffer has
 * a claim count in its first word; a program that is not the only one to
 * have claimed it backs off and takes its caller's path without a buffer.
 * No atomic that returns a value is needed (those need BPF ISA v3): an
 * add, then a read. A claimer that reads 1 was alone at that moment, and
 * everyone who comes later reads 2 or more until it lets go.
 *
 * Sized by the loader (uprobe_scratch__size()): one entry per CPU, or a
 * word when the kernel does not need it.
 */
#ifndef LEAKSCOPE_UPROBE_SCRATCH_BPF_H
#define LEAKSCOPE_UPROBE_SCRATCH_BPF_H

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, 8);
} uprobe_scratch SEC(".maps");

/* This CPU's buffer (its bytes after the claim word), or NULL when the
 * kernel preempted another program using it (or it is not sized). */
static __always_inline void *uprobe_scratch__claim(void)
{
	__u32 cpu = bpf_get_smp_processor_id();
	__u64 *claims = bpf_map_lookup_elem(&uprobe_scratch, &cpu);

	if (!claims)
		return NULL;
	__sync_fetch_and_add(claims, 1);
	if (*(volatile __u64 *)claims != 1) {
		__sync_fetch_and_add(claims, -1);
		return NULL;
	}
	return claims + 1;
}

static __always_inline void uprobe_scratch__release(void *buf)
{
	__sync_fetch_and_add((__u64 *)buf - 1, -1);
}

#endif /* LEAKSCOPE_UPROBE_SCRATCH_BPF_H */
