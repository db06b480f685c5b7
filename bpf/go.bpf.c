// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Go runtime probes: goroutine creation and exit, and heap allocations.
 * Entry uprobes only (never uretprobes: the Go runtime moves stacks and
 * would find the trampoline's return address). Each probe sits on an
 * instruction the kernel emulates (call, jbe, push), chosen in
 * userspace with a real decoder; see src/trace/goprobes.c.
 *
 * Go's ABIInternal passes arguments in RAX, RBX, RCX, RDI, ...
 */
#include "common.bpf.h"

char LICENSE[] SEC("license") = "Dual MIT/GPL";

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, LS_GO_MAX_BINARIES);
	__type(key, __u32);
	__type(value, struct ls_go_params);
} go_params SEC(".maps");

static __always_inline struct ls_go_params *params_of(__u64 cookie)
{
	__u32 i = LS_GO_COOKIE_PARAMS(cookie);

	return bpf_map_lookup_elem(&go_params, &i);
}

/* A probe on the stack check's jbe fires again after morestack when the
 * branch is taken (CF or ZF set): count only the hit that proceeds. */
static __always_inline bool restarts(struct pt_regs *regs, __u64 cookie)
{
	return (cookie & LS_GO_AT_JBE) && (regs->flags & 0x41);
}

static __always_inline __u64 read_u64(__u64 base, __s32 off)
{
	__u64 v = 0;

	if (off >= 0 && base)
		bpf_probe_read_user(&v, sizeof(v), (void *)(base + off));
	return v;
}

/* A field of g out of the span read at span_off (userspace checked that
 * every field lies inside it, 8-byte aligned). */
static __always_inline __u64 span_u64(const __u64 *span, __s32 span_off, __s32 off)
{
	__u32 i = (__u32)(off - span_off) / 8;

	if (off < 0 || i >= LS_GO_G_SPAN / 8)
		return 0;
	/* keep the mask: the compiler would drop it after the check, and
	 * the verifier would then see an index it cannot bound */
	asm volatile("" : "+r"(i));
	return span[i & (LS_GO_G_SPAN / 8 - 1)];
}

/*
 * The user stack by frame pointers (Go keeps them). At a function's
 * first instructions RBP still belongs to the caller, so the walk would
 * skip the caller: its return address is at [rsp], put it in second.
 */
static __always_inline void go_stack(void *ctx, struct pt_regs *regs,
				     struct ls_stack *s, __u64 cookie)
{
	__u32 bytes = stack_bytes;
	long n;

	if (!(cookie & LS_GO_AT_ENTRY)) {
		capture_user_stack(ctx, s);
		return;
	}
	if (bytes > sizeof(s->ips))
		bytes = sizeof(s->ips);
	if (bytes < 16)
		bytes = 16;
	n = bpf_get_stack(ctx, &s->ips[1], bytes - 8, BPF_F_USER_STACK);
	if (n < 8) {
		s->nr_frames = 0;
		s->flags = 0;
		count_drop(LS_DROP_STACK_FAILED);
		return;
	}
	s->ips[0] = s->ips[1];
	if (bpf_probe_read_user(&s->ips[1], 8, (void *)regs->sp))
		s->ips[1] = 0;
	s->nr_frames = n / 8 + 1;
	s->flags = n >= bytes - 8 ? LS_STACK_TRUNCATED : 0;
}

extern int bpf_probe_read_user_dynptr(struct bpf_dynptr *dptr, __u64 off, __u64 size,
				      const void *unsafe_ptr__ign) __ksym;

/* What go_create reads of the new goroutine. */
struct create_fields {
	__u64 goid, parent_goid, g_addr, gopc, startpc;
};

/* The creating goroutine: the one the system stack runs newproc for,
 * g0 (R14) -> m -> curg. 0 if unknown. */
static __always_inline __u64 creator_g(struct pt_regs *regs, struct ls_go_params *p)
{
	__u64 m = read_u64(regs->r14, p->m_off);

	return m ? read_u64(m, p->curg_off) : 0;
}

/*
 * The creator's stack copied: systemstack saved where it left the
 * goroutine in its g.sched (pc inside systemstack_switch, sp at the return
 * into newproc), and its stack ends at g.stack.hi. Copying that live part
 * costs less than the kernel's walk on these machines (make bench measures
 * both); userspace walks it. Returns 0 if the record went out.
 */
static __always_inline int create_copy(struct ls_go_params *p, __u64 pid_tgid,
				       const struct create_fields *fields, __u64 sp, __u64 pc,
				       __u64 hi)
{
	struct ls_go_create_copy_event *e;
	struct bpf_dynptr rec;
	__u32 n, flags = 0;

	if (!sp || hi <= sp || hi - sp > (1ULL << 30))
		return -1;
	n = hi - sp;
	if (n > p->copy_bytes) {
		n = p->copy_bytes;
		flags = LS_STACK_TRUNCATED;
	}
	if (n > LS_SNAPSHOT_MAX_PAGES * LS_PAGE_BYTES)
		n = LS_SNAPSHOT_MAX_PAGES * LS_PAGE_BYTES;
	e = reserve_dynptr(&rec, sizeof(*e) + n, sizeof(*e));
	if (!e)
		return 0;	/* counted as lost: no second record */
	fill_header(&e->hdr, LS_EV_GO_CREATE_COPY, pid_tgid);
	e->goid = fields->goid;
	e->parent_goid = fields->parent_goid;
	e->g_addr = fields->g_addr;
	e->gopc = fields->gopc;
	e->startpc = fields->startpc;
	e->pc = pc;
	e->sp = sp;
	e->flags = flags;
	e->snap_bytes = n;
	if (bpf_probe_read_user_dynptr(&rec, sizeof(*e), n, (void *)sp)) {
		e->snap_bytes = 0;
		count_drop(LS_DROP_STACK_FAILED);
	}
	submit_dynptr(&rec);
	return 0;
}

/* At the call to runqput in runtime.newproc.func1: the new g in RBX, its
 * goid already set; the stack above is the creating goroutine's. */
SEC("uprobe")
int go_create(struct pt_regs *regs)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u64 cookie = bpf_get_attach_cookie(regs);
	__u64 span[LS_GO_G_SPAN / 8];
	struct create_fields f = { 0 };
	struct ls_go_create_event *e;
	struct ls_go_params *p;
	__u64 g = regs->bx, curg;

	if (!is_traced(pid_tgid >> 32) || !(p = params_of(cookie)))
		return 0;
	f.g_addr = g;
	if (p->span_off >= 0 &&
	    bpf_probe_read_user(span, sizeof(span), (void *)(g + p->span_off)) == 0) {
		f.goid = span_u64(span, p->span_off, p->goid_off);
		f.parent_goid = span_u64(span, p->span_off, p->parent_goid_off);
		f.gopc = span_u64(span, p->span_off, p->gopc_off);
		f.startpc = span_u64(span, p->span_off, p->startpc_off);
	} else {
		f.goid = read_u64(g, p->goid_off);
		f.parent_goid = read_u64(g, p->parent_goid_off);
		f.gopc = read_u64(g, p->gopc_off);
		f.startpc = read_u64(g, p->startpc_off);
	}
	curg = p->curg_off >= 0 ? creator_g(regs, p) : 0;
	/* the creator's goid, stack bounds and g.sched in one read (the
	 * span is free again; userspace checked the fields lie in it) */
	if (curg && bpf_probe_read_user(span, sizeof(span), (void *)curg) == 0) {
		if (p->parent_goid_off < 0)
			f.parent_goid = span_u64(span, 0, p->goid_off);
		if (p->copy_bytes &&
		    create_copy(p, pid_tgid, &f, span_u64(span, 0, p->sched_sp_off),
				span_u64(span, 0, p->sched_pc_off),
				span_u64(span, 0, p->stack_hi_off)) == 0)
			return 0;
	}
	e = reserve(sizeof(*e));
	if (!e)
		return 0;
	fill_header(&e->hdr, LS_EV_GO_CREATE, pid_tgid);
	e->goid = f.goid;
	e->parent_goid = f.parent_goid;
	e->g_addr = f.g_addr;
	e->gopc = f.gopc;
	e->startpc = f.startpc;
	go_stack(regs, regs, &e->stack, cookie);
	submit(e);
	return 0;
}

/* runtime.goexit0(gp) (Go < 1.22) or runtime.gdestroy(gp): gp in RAX. */
SEC("uprobe")
int go_exit(struct pt_regs *regs)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u64 cookie = bpf_get_attach_cookie(regs);
	struct ls_go_exit_event *e;
	struct ls_go_params *p;

	if (restarts(regs, cookie) || !is_traced(pid_tgid >> 32) ||
	    !(p = params_of(cookie)))
		return 0;
	e = reserve(sizeof(*e));
	if (!e)
		return 0;
	fill_header(&e->hdr, LS_EV_GO_EXIT, pid_tgid);
	e->g_addr = regs->ax;
	e->goid = read_u64(regs->ax, p->goid_off);
	submit(e);
	return 0;
}

static __always_inline int emit_alloc(struct pt_regs *regs, __u64 addr,
				      __u64 size, __u32 flags)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u64 cookie = bpf_get_attach_cookie(regs);
	struct ls_go_alloc_event *e;

	if (restarts(regs, cookie) || !is_traced(pid_tgid >> 32))
		return 0;
	e = reserve(sizeof(*e));
	if (!e)
		return 0;
	fill_header(&e->hdr, LS_EV_GO_ALLOC, pid_tgid);
	e->addr = addr;
	e->size = size;
	e->flags = flags;
	e->pad = 0;
	go_stack(regs, regs, &e->stack, cookie);
	submit(e);
	return 0;
}

/* runtime.profilealloc(mp, x, size): the runtime's own sample, about one
 * per MemProfileRate bytes (512 KiB by default). */
SEC("uprobe")
int go_alloc_sampled(struct pt_regs *regs)
{
	return emit_alloc(regs, regs->bx, regs->cx, LS_GO_ALLOC_SAMPLED);
}

/* runtime.mallocgc(size, typ, needzero): every allocation (--go-alloc=all). */
SEC("uprobe")
int go_alloc_every(struct pt_regs *regs)
{
	return emit_alloc(regs, 0, regs->ax, 0);
}
