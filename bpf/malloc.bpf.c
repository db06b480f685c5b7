// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The malloc family (--malloc): heap blocks and who allocated them.
 *
 * Allocating functions are probed at their entry (the arguments) and at
 * their return (the block). The entry probe sits on the first instruction
 * the kernel emulates (push, jcc, jmp, call), chosen in userspace with a
 * decoder; the cookie says where the arguments are there. The block is
 * read at the return, where the stack is the caller's: the record carries
 * that stack (live copy for CFI unwinding, as the native kinds do), so
 * the innermost frame is the code that asked for memory.
 *
 * A return costs about as much as another probe hit on this kernel
 * (6.11+: a syscall trampoline instead of a trap). With session uprobes
 * (6.13+) the entry decides whether the return is wanted, so a call the
 * sampler skips costs the entry alone. Frees are one entry probe each;
 * with sampling, a free costs one hash lookup unless its block was
 * sampled, and sends nothing then.
 *
 * An allocator calling itself (glibc's realloc(NULL, n) calls malloc) is
 * one call: the outermost, told apart by the stack pointer (see
 * malloc_state.bpf.h).
 */
#include "common.bpf.h"
#include "stack_snapshot.bpf.h"
#include "malloc_state.bpf.h"
#include "sampler.h"

char LICENSE[] SEC("license") = "Dual MIT/GPL";

/* 0: every call (--malloc=all); else the sampler's mean gap in bytes. */
const volatile __u64 sample_mean = 0;
/* Pages of user stack copied per record for CFI unwinding (0: the
 * kernel's frame-pointer walk instead). */
const volatile __u32 snapshot_pages = 0;

/* Sampled blocks still allocated (sampling only): a free looks its
 * pointer up here and sends nothing unless it is one of them. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1 << 18);
	__type(key, struct ls_block_key);
	__type(value, __u64);	/* when it was allocated (bpf_ktime_get_ns) */
} sampled_blocks SEC(".maps");

/* Session uprobes (6.13+): is this run the one at the return? Weak: the
 * loader only loads the session program where the kernel has them. */
extern bool bpf_session_is_return(void) __ksym __weak;

/*
 * One register of the probed context. Each load is written out in BPF
 * assembly: clang would otherwise fold the switch into one load at a
 * computed offset, which the verifier refuses for a context pointer.
 */
#define CTX_REG(r, field)                                                        \
	({                                                                       \
		__u64 __v;                                                       \
		asm volatile("%[v] = *(u64 *)(%[p] + %[o])"                      \
			     : [v] "=r"(__v)                                     \
			     : [p] "r"(r), [o] "i"(offsetof(struct pt_regs, field))); \
		__v;                                                             \
	})

static __always_inline __u64 reg_value(const struct pt_regs *r, __u32 reg)
{
	switch (reg) {
	case LS_REG_DI: return CTX_REG(r, di);
	case LS_REG_SI: return CTX_REG(r, si);
	case LS_REG_DX: return CTX_REG(r, dx);
	case LS_REG_CX: return CTX_REG(r, cx);
	case LS_REG_R8: return CTX_REG(r, r8);
	case LS_REG_R9: return CTX_REG(r, r9);
	case LS_REG_AX: return CTX_REG(r, ax);
	case LS_REG_BX: return CTX_REG(r, bx);
	case LS_REG_BP: return CTX_REG(r, bp);
	case LS_REG_R10: return CTX_REG(r, r10);
	case LS_REG_R11: return CTX_REG(r, r11);
	case LS_REG_R12: return CTX_REG(r, r12);
	case LS_REG_R13: return CTX_REG(r, r13);
	case LS_REG_R14: return CTX_REG(r, r14);
	default: return CTX_REG(r, r15);
	}
}

static __always_inline __u64 arg_of(const struct pt_regs *r, __u64 cookie, int i)
{
	return reg_value(r, LS_MC_ARG_REG(cookie, i));
}

static __always_inline __u64 user_word(__u64 addr)
{
	__u64 v = 0;

	bpf_probe_read_user(&v, sizeof(v), (void *)addr);
	return v;
}

static __always_inline __u64 times(__u64 a, __u64 b)
{
	__u64 limit;

	if (!b)
		return 0;
	limit = ~0ULL / b;
	/* keep the division: clang would turn the check into a 128-bit
	 * multiply, which BPF does not have */
	asm volatile("" : "+r"(limit));
	/* an overflowing product fails the call: any huge size will do */
	return a > limit ? ~0ULL : a * b;
}

/* The sampler: does an allocation of size bytes take a sample? */
static __always_inline bool sample(struct malloc_call *c, __u64 size)
{
	if (!(c->flags & SAMPLER_READY)) {
		c->sample_left = ls_sample_gap(bpf_get_prandom_u32(), sample_mean);
		c->flags |= SAMPLER_READY;
	}
	c->sample_left -= size;
	if (c->sample_left > 0)
		return false;
	c->sample_left = ls_sample_gap(bpf_get_prandom_u32(), sample_mean);
	return true;
}

/*
 * At an allocating function's probe: note the call (outermost only) and
 * decide whether its return is wanted. Returns 0 to want the return (what
 * a session program returns for it), 1 not to.
 */
static __always_inline int alloc_entry(struct pt_regs *regs, __u64 cookie, bool session)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tgid = pid_tgid >> 32, cls = LS_MC_CLASS(cookie), flags;
	__u64 entry_sp = regs->sp + 8 * LS_MC_SP_WORDS(cookie);
	__u64 a0 = arg_of(regs, cookie, 0), size, old = 0, memptr = 0;
	struct malloc_call *c;

	/* Probes are attached per process: the kernel already filtered by
	 * process (the agent, tracing every process, checks the table). */
	if (!enabled || (trace_all && !is_traced(tgid)))
		return 1;
	c = bpf_task_storage_get(&malloc_calls, bpf_get_current_task_btf(), 0,
				 BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!c) {
		count_drop(LS_DROP_INFLIGHT_FULL);
		return 1;
	}
	if (malloc_call_above(c, entry_sp))
		return 1;	/* the allocator calling itself: one call */
	switch (cls) {
	case LS_ALLOC_SIZE:
		size = a0;
		break;
	case LS_ALLOC_PAGES:
		size = a0 > ~0ULL - 4095 ? ~0ULL : ((a0 + 4095) & ~4095ULL) ?: 4096;
		break;
	case LS_ALLOC_CALLOC:
		size = times(a0, arg_of(regs, cookie, 1));
		break;
	case LS_ALLOC_REALLOC:
		old = a0;
		size = arg_of(regs, cookie, 1);
		break;
	case LS_ALLOC_REALLOCARRAY:
		old = a0;
		size = times(arg_of(regs, cookie, 1), arg_of(regs, cookie, 2));
		break;
	case LS_ALLOC_ALIGNED:
		size = arg_of(regs, cookie, 1);
		break;
	case LS_ALLOC_POSIX_MEMALIGN:
		memptr = a0;
		size = arg_of(regs, cookie, 2);
		break;
	default:
		return 1;
	}
	c->sp = entry_sp;
	c->cookie = cookie;
	c->size = size;
	c->arg = old ?: memptr;
	c->call_ns = old ? bpf_ktime_get_ns() : 0;
	flags = c->flags & SAMPLER_READY;
	if (!sample_mean) {
		flags |= CALL_SAMPLED;
	} else {
		c->flags = flags;
		if (sample(c, size))
			flags |= CALL_SAMPLED;
		flags |= c->flags & SAMPLER_READY;
		if (old) {
			struct ls_block_key k = { .tgid = tgid, .addr = old };

			if (bpf_map_lookup_elem(&sampled_blocks, &k))
				flags |= CALL_OLD_SAMPLED;
		}
	}
	if (!session || (flags & (CALL_SAMPLED | CALL_OLD_SAMPLED)))
		flags |= CALL_RETURN;
	/* Without a return probe, how malloc_call_above knows the call is
	 * over; with one, what the kernel replaces by its trampoline (put
	 * back where stacks are unwound through the call) */
	c->ret = user_word(entry_sp);
	c->flags = flags;
	return (flags & CALL_RETURN) ? 0 : 1;
}

/* The block (or nothing: realloc that only retired its old block), the
 * caller's registers and its live stack, or its frame-pointer walk. */
static __always_inline void emit_alloc(struct pt_regs *regs, __u64 pid_tgid,
				       const struct malloc_call *c, __u64 addr,
				       __u64 old, __u32 flags)
{
	const __u32 fixed = sizeof(struct ls_malloc_event);
	__u32 snap = 0, fp = 0, n;
	struct ls_malloc_event *e;
	struct bpf_dynptr rec;
	bool end_known = false;
	__u64 sp = regs->sp;

	if (!(flags & LS_MALLOC_NO_NEW)) {
		if (snapshot_pages)
			snap = live_stack_bytes(sp, snapshot_pages * LS_PAGE_BYTES, &end_known);
		else
			fp = LS_MAX_STACK_DEPTH * 8;
	}
	e = reserve_dynptr(&rec, fixed + snap + fp, fixed);
	if (!e)
		return;
	fill_header(&e->hdr, LS_EV_MALLOC, pid_tgid);
	e->cookie = c->cookie;
	e->addr = addr;
	e->size = c->size;
	e->old_addr = old;
	e->call_ns = c->call_ns;
	e->flags = flags;
	e->snap_bytes = 0;
	e->regs.ip = regs->ip;
	e->regs.sp = sp;
	e->regs.bp = regs->bp;
	e->snap_base = sp;
	e->nr_ips = 0;
	e->pad = 0;
	if (fp) {
		__u64 *ips = bpf_dynptr_data(&rec, fixed, LS_MAX_STACK_DEPTH * 8);
		__u32 bytes = stack_bytes;
		long got;

		if (bytes > LS_MAX_STACK_DEPTH * 8)
			bytes = LS_MAX_STACK_DEPTH * 8;
		got = ips ? bpf_get_stack(regs, ips, bytes, BPF_F_USER_STACK) : -1;
		if (got < 0)
			count_drop(LS_DROP_STACK_FAILED);
		e->nr_ips = got > 0 ? (__u64)got >> 3 : 0;
		e->flags |= LS_MALLOC_FP_STACK;
		submit_dynptr(&rec);
		return;
	}
	n = copy_live_stack_at(&rec, fixed, sp, snap, end_known);
	if (snap && !n)
		count_drop(LS_DROP_STACK_FAILED);
	bpf_dynptr_write(&rec, offsetof(struct ls_malloc_event, snap_bytes), &n, sizeof(n), 0);
	submit_dynptr(&rec);
}

/* At an allocating function's return: the outermost call's block. */
static __always_inline int alloc_return(struct pt_regs *regs)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid(), addr, old = 0;
	struct ls_block_key k = { .tgid = pid_tgid >> 32 };
	struct malloc_call *c;
	__u32 flags, cls, out = 0;

	c = bpf_task_storage_get(&malloc_calls, bpf_get_current_task_btf(), 0, 0);
	if (!c || !c->sp || regs->sp != c->sp + 8)
		return 0;	/* not the outermost call's return */
	flags = c->flags;
	c->sp = 0;
	c->flags = flags & SAMPLER_READY;
	if (!(flags & (CALL_SAMPLED | CALL_OLD_SAMPLED)))
		return 0;
	cls = LS_MC_CLASS(c->cookie);
	addr = regs->ax;
	if (cls == LS_ALLOC_POSIX_MEMALIGN)
		addr = (__u32)regs->ax == 0 ? user_word(c->arg) : 0;
	if (cls == LS_ALLOC_REALLOC || cls == LS_ALLOC_REALLOCARRAY)
		old = c->arg;
	/* Failed: nothing changed, the old block of a failed realloc stays.
	 * realloc(p, 0) returning NULL freed p. */
	if (!addr && !(old && !c->size)) {
		count(&stats, LS_STAT_ALLOC_FAILED);
		return 0;
	}
	if (!(flags & CALL_SAMPLED) || !addr)
		out |= LS_MALLOC_NO_NEW;
	if (sample_mean) {
		if (flags & CALL_OLD_SAMPLED) {
			__u64 *born;

			/* Retire the old block only if it is still the one the
			 * call was given: between realloc freeing it and this
			 * probe, another thread may have got the address anew. */
			k.addr = old;
			born = bpf_map_lookup_elem(&sampled_blocks, &k);
			if (born && *born <= c->call_ns)
				bpf_map_delete_elem(&sampled_blocks, &k);
			else
				old = 0;
		} else {
			old = 0;
		}
		if (addr && (flags & CALL_SAMPLED)) {
			__u64 now = bpf_ktime_get_ns();

			k.addr = addr;
			if (bpf_map_update_elem(&sampled_blocks, &k, &now, BPF_ANY)) {
				count_drop(LS_DROP_SAMPLED_FULL);
				out |= LS_MALLOC_NO_NEW;
			}
		}
		if ((out & LS_MALLOC_NO_NEW) && !old)
			return 0;
		out |= LS_MALLOC_SAMPLED;
	}
	emit_alloc(regs, pid_tgid, c, addr, old, out);
	return 0;
}

/* Classic probes: an entry uprobe and a uretprobe on each function. */
SEC("uprobe")
int malloc_entry(struct pt_regs *regs)
{
	alloc_entry(regs, bpf_get_attach_cookie(regs), false);
	return 0;
}

SEC("uretprobe")
int malloc_return(struct pt_regs *regs)
{
	return alloc_return(regs);
}

/* Session uprobe (the loader sets its attach type): runs at the entry
 * and, when the entry returns 0, at the return. */
SEC("uprobe")
int malloc_session(struct pt_regs *regs)
{
	if (bpf_session_is_return()) {
		alloc_return(regs);
		return 0;
	}
	return alloc_entry(regs, bpf_get_attach_cookie(regs), true);
}

/* free and operator delete: the block, if it is one we know. */
SEC("uprobe")
int free_entry(struct pt_regs *regs)
{
	__u64 cookie = bpf_get_attach_cookie(regs);
	__u64 addr = arg_of(regs, cookie, 0), pid_tgid;
	struct ls_free_event *e;

	if (!addr)
		return 0;	/* free(NULL) */
	pid_tgid = bpf_get_current_pid_tgid();
	if (sample_mean) {
		struct ls_block_key k = { .tgid = pid_tgid >> 32, .addr = addr };

		/* sent even while paused: its record is in the ledgers */
		if (!bpf_map_lookup_elem(&sampled_blocks, &k))
			return 0;
		bpf_map_delete_elem(&sampled_blocks, &k);
	} else if (!enabled || (trace_all && !is_traced(pid_tgid >> 32))) {
		return 0;	/* probes are per process: see alloc_entry */
	}
	e = reserve(sizeof(*e));
	if (!e)
		return 0;
	fill_header(&e->hdr, LS_EV_FREE, pid_tgid);
	e->cookie = cookie;
	e->addr = addr;
	submit(e);
	return 0;
}
