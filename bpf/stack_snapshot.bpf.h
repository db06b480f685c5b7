/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The live part of a user stack, for CFI unwinding in userspace: from sp
 * up to where the stack ends, at most a configured size. Copying only
 * what is live (usually a few hundred bytes to a few KiB) instead of
 * fixed pages keeps the copy and the ring buffer traffic proportional to
 * the stack's real depth. Shared by leakscope's native probes and the
 * benchmark floor, so the floor measures exactly the capture we do.
 *
 * Two ways to copy it, picked by the loader from what the kernel has
 * (src/trace/features.c): straight into a ring-buffer record reserved as
 * a dynptr (bpf_probe_read_user_dynptr, 6.16+), or into memory the
 * program owns (read_live_stack(): any kernel), then copied once more.
 */
#ifndef LEAKSCOPE_STACK_SNAPSHOT_BPF_H
#define LEAKSCOPE_STACK_SNAPSHOT_BPF_H

#include <bpf/bpf_core_read.h>

/* Weak: a kernel without it (before 6.16) leaves it unresolved, and only
 * programs that never call it may be loaded there. */
extern int bpf_probe_read_user_dynptr(struct bpf_dynptr *dptr, __u64 off, __u64 size,
				      const void *unsafe_ptr__ign) __ksym __weak;

/* 0: look up no mapping (bpf_find_vma, 5.17+) in live_stack_bytes_on(...,
 * true); the loader clears it when the kernel lacks the helper or a test
 * forces the fallback. Kernels without the helper take the fallback even
 * when no loader says so. */
const volatile __u32 use_find_vma = 1;

static long stack_vma_end(struct task_struct *task, struct vm_area_struct *vma, void *data)
{
	*(__u64 *)data = vma->vm_end;
	return 0;
}

/*
 * Bytes worth copying above sp, at most max. The main thread's stack ends
 * at mm->start_stack (argc; every frame lies below it): one load. Other
 * stacks (threads, sigaltstack, cgo's g0) end where their mapping ends.
 * When the mapping cannot be looked up (bpf_find_vma only try-locks the
 * mmap lock, which another thread may hold), *end_known is false and the
 * caller copies page by page up to max, stopping where reads fail.
 *
 * any_kernel: also on kernels without bpf_find_vma (before 5.17), or with
 * use_find_vma cleared, where every stack but the main thread's is
 * copied that way. Testing for it costs the verifier a third more work
 * on every program (its states split there), so programs for kernels
 * that surely have the helper pass false.
 */
static __always_inline __u32 live_stack_bytes_on(__u64 sp, __u32 max, bool *end_known,
						 bool any_kernel)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u64 top = task->mm->start_stack;

	*end_known = true;
	if (sp >= top || top - sp > max) {
		__u64 end = 0;

		if ((!any_kernel ||
		     (use_find_vma && bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_find_vma))) &&
		    bpf_find_vma(task, sp, stack_vma_end, &end, 0) == 0 && end > sp) {
			top = end;
		} else {
			top = sp + max;
			*end_known = false;
		}
	}
	return top - sp < max ? top - sp : max;
}

/* On kernels with bpf_find_vma (5.17+). */
static __always_inline __u32 live_stack_bytes(__u64 sp, __u32 max, bool *end_known)
{
	return live_stack_bytes_on(sp, max, end_known, false);
}

/*
 * The live stack (n bytes from sp, as live_stack_bytes() said) into dst,
 * memory the program owns with room for max + LS_PAGE_BYTES bytes: in one
 * read when its end is known, else (or when that read fails: a page not
 * resident) page by page, keeping what was read before the first page
 * that fails. Returns the bytes copied.
 *
 * Written for old verifiers as much as new ones: each page's offset moves
 * by a constant step (the first page's remainder, then whole pages) and
 * is bounded by comparisons with constants only. A running total of the
 * bytes read, bounded by comparisons with the run-time length, made the
 * 6.1 verifier derive impossible bounds (umin > umax) for the offset on
 * a path that cannot happen, and reject the read there.
 */
static __always_inline __u32 read_live_stack(void *dst, __u64 sp, __u32 n, __u32 max,
					     bool end_known)
{
	__u64 len = n, off = 0, done = 0, step = LS_PAGE_BYTES - (sp & (LS_PAGE_BYTES - 1));

	if (len > max)
		len = max;
	if (end_known && bpf_probe_read_user(dst, len, (void *)sp) == 0)
		return len;
	for (int i = 0; i <= LS_SNAPSHOT_MAX_PAGES; i++) {
		__u64 chunk = step, rest;

		/* hide what the compiler knows, so each bound stays a check */
		asm volatile("" : "+r"(off), "+r"(chunk));
		if (off >= len || off > max)
			break;
		rest = len - off;
		if (rest < LS_PAGE_BYTES && rest < chunk)
			chunk = rest;
		if (bpf_probe_read_user(dst + off, chunk, (void *)(sp + off)))
			break;
		done = off + chunk;
		off += step;
		step = LS_PAGE_BYTES;
	}
	return done;
}

/*
 * With bpf_probe_read_user_dynptr (6.16+): copy n bytes of live stack
 * from sp into rec at offset off, in one read when the stack's end is
 * known, else (or when that read fails: a page not resident) page by
 * page, keeping what was read before the first page that fails. Returns
 * the bytes copied.
 */
static __always_inline __u32 copy_live_stack_at(struct bpf_dynptr *rec, __u32 off, __u64 sp,
						__u32 n, bool end_known)
{
	__u32 done = 0, chunk = LS_PAGE_BYTES - (sp & (LS_PAGE_BYTES - 1));

	if (!n)
		return 0;
	if (end_known && bpf_probe_read_user_dynptr(rec, off, n, (void *)sp) == 0)
		return n;
	for (__u32 i = 0; i <= LS_SNAPSHOT_MAX_PAGES && done < n; i++) {
		if (chunk > n - done)
			chunk = n - done;
		if (bpf_probe_read_user_dynptr(rec, off + done, chunk, (void *)(sp + done)))
			break;
		done += chunk;
		chunk = LS_PAGE_BYTES;
	}
	return done;
}

#endif /* LEAKSCOPE_STACK_SNAPSHOT_BPF_H */
