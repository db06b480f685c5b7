// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Exceptions through a malloc-family call (--malloc). A return probe
 * works by swapping the call's return address on the stack for the
 * kernel's trampoline, which has no unwind information: a C++ exception
 * thrown inside the call (operator new's std::bad_alloc) would find the
 * trampoline where the caller should be and end the program. This runs
 * where an unwind starts (_Unwind_RaiseException and its kin) and, when
 * the thread is inside a call whose return is probed, puts the real
 * return address back: the unwinder then sees the program's own stack,
 * and the call is over for the probes (its return will not be seen).
 *
 * A separate object: bpf_probe_write_user is refused under kernel
 * lockdown, and then only this is missing (operator new is left
 * unprobed), not the whole malloc kind.
 */
#include "common.bpf.h"
#include "malloc_state.bpf.h"

char LICENSE[] SEC("license") = "Dual MIT/GPL";

SEC("uprobe")
int unwind_guard(struct pt_regs *regs)
{
	struct malloc_call *c =
		bpf_task_storage_get(&malloc_calls, bpf_get_current_task_btf(), 0, 0);

	if (!c || !c->sp || !(c->flags & CALL_RETURN) || regs->sp >= c->sp)
		return 0;
	bpf_probe_write_user((void *)c->sp, &c->ret, sizeof(c->ret));
	c->sp = 0;
	c->flags &= SAMPLER_READY;
	return 0;
}
