/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The live part of a user stack, for CFI unwinding in userspace: from sp
 * up to where the stack ends, at most a configured size. Copying only
 * what is live (usually a few hundred bytes to a few KiB) instead of
 * fixed pages keeps the copy and the ring buffer traffic proportional to
 * the stack's real depth. Shared by leakscope's native probes and the
 * benchmark floor, so the floor measures exactly the capture we do.
 *
 * Needs kernel 6.16+ (bpf_probe_read_user_dynptr); these machines run 6.18.
 */
#ifndef LEAKSCOPE_STACK_SNAPSHOT_BPF_H
#define LEAKSCOPE_STACK_SNAPSHOT_BPF_H

extern int bpf_probe_read_user_dynptr(struct bpf_dynptr *dptr, __u64 off, __u64 size,
				      const void *unsafe_ptr__ign) __ksym;

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
 */
static __always_inline __u32 live_stack_bytes(__u64 sp, __u32 max, bool *end_known)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u64 top = task->mm->start_stack;

	*end_known = true;
	if (sp >= top || top - sp > max) {
		__u64 end = 0;

		if (bpf_find_vma(task, sp, stack_vma_end, &end, 0) == 0 && end > sp) {
			top = end;
		} else {
			top = sp + max;
			*end_known = false;
		}
	}
	return top - sp < max ? top - sp : max;
}

/*
 * Copy n bytes of live stack from sp into rec at offset off: in one read
 * when the stack's end is known, else (or when that read fails: a page
 * not resident) page by page, keeping what was read before the first
 * page that fails. Returns the bytes copied.
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
