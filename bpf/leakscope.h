/* SPDX-License-Identifier: MIT */
/*
 * The wire protocol between the BPF programs and the collector: every
 * record that crosses the ring buffer, and the counters and config both
 * sides share. Fixed-width types only; every record starts with
 * struct ls_event_header, whose first field is the record type.
 */
#ifndef LEAKSCOPE_H
#define LEAKSCOPE_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define LS_MAX_STACK_DEPTH 127	/* frames; the kernel's own sysctl default */
#define LS_PATH_BYTES 256	/* bytes of a path kept per fd (with NUL) */
#define LS_EXEC_PATH_BYTES 4096	/* the program's path at exec: PATH_MAX, since
				 * it is all there is once the process is gone */
#define LS_COMM_BYTES 16
#define LS_EXEC_FD_WORDS 16	/* 1024 fds copied at exec; beyond: /proc */
#define LS_AUXV_WORDS 56	/* mm->saved_auxv: load addresses at exec */
#define LS_PAGE_BYTES 4096
#define LS_SNAPSHOT_MAX_PAGES 16	/* user stack copied for CFI: <= 64 KiB */

enum ls_event_type {
	LS_EV_SYSCALL = 1,	/* an fd or memory syscall that succeeded */
	LS_EV_RELEASE = 2,	/* close/munmap/close_range: no stack */
	LS_EV_EXEC = 3,		/* a traced process replaced its image */
	LS_EV_FORK = 4,		/* a traced process made a new process */
	LS_EV_EXIT = 5,		/* the last thread of a traced process ended */
	LS_EV_GO_CREATE = 6,	/* a goroutine was made runnable */
	LS_EV_GO_EXIT = 7,	/* a goroutine ended */
	LS_EV_GO_ALLOC = 8,	/* a Go heap allocation (sampled or every) */
	LS_EV_MALLOC = 9,	/* a malloc-family call returned */
	LS_EV_FREE = 10,	/* a free-family call with a block to free */
	/* 11 left for another kind; a goroutine was made runnable, its
	 * creator's stack copied rather than walked */
	LS_EV_GO_CREATE_COPY = 12,
};

/* Why a record or part of one was not delivered (per-CPU counters). */
enum ls_drop_reason {
	LS_DROP_RINGBUF_FULL = 0,	/* whole record lost */
	LS_DROP_STACK_FAILED = 1,	/* record sent without a stack */
	LS_DROP_PATH_FAILED = 2,	/* record sent without its path */
	LS_DROP_INFLIGHT_FULL = 3,	/* brk sent without the previous break */
	LS_DROP_TRACED_FULL = 4,	/* a forked child could not be followed */
	LS_DROP_SAMPLED_FULL = 5,	/* malloc: a sampled block the BPF table
					 * had no room for (left out) */
	LS_DROP_MAX = 8,
};

/* Per-CPU statistics slots next to the drops. */
enum ls_stat {
	LS_STAT_EVENTS = 0,	/* records submitted */
	LS_STAT_ALLOC_FAILED = 1,	/* malloc-family calls that returned NULL */
	LS_STAT_MAX = 4,
};

/* ls_fork_event.flags */
#define LS_FORK_SHARES_VM 0x1	/* vfork/posix_spawn: same address space */
#define LS_FORK_SHARES_FILES 0x2	/* CLONE_FILES: same fd table */

/* ls_syscall_event.flags */
#define LS_SYSCALL_IN_ALLOCATOR 0x1	/* made inside a malloc-family call
					 * (--malloc): the allocator's own memory */

/* ls_exec_event.flags */
#define LS_EXEC_TRACED 0x1	/* the process is traced (else: notify_all_execs) */

/* ls_stack.flags */
#define LS_STACK_TRUNCATED 0x1	/* filled the whole buffer: may be cut */

struct ls_event_header {
	__u32 type;		/* enum ls_event_type */
	__u32 pid;		/* process (tgid) */
	__u32 tid;		/* thread */
	__u32 cpu;
	__u64 ts_ns;		/* CLOCK_MONOTONIC (bpf_ktime_get_ns) */
};
_Static_assert(sizeof(struct ls_event_header) == 24, "header layout");

struct ls_stack {
	__u32 nr_frames;	/* valid entries in ips[] */
	__u32 flags;		/* LS_STACK_* */
	__u64 ips[LS_MAX_STACK_DEPTH];	/* innermost first */
};
_Static_assert(sizeof(struct ls_stack) == 8 + 8 * LS_MAX_STACK_DEPTH, "stack layout");

/*
 * What every syscall record carries: the syscall, its result and its raw
 * arguments; the collector interprets them per syscall. aux[] holds what
 * only the kernel could see at the time (see the BPF side for each nr).
 */
struct ls_syscall_core {
	__u32 nr;		/* x86_64 syscall number */
	__u32 path_bytes;	/* valid bytes in path[] incl. NUL, 0 = none */
	__s64 ret;
	__u64 args[6];
	__u64 aux[2];
};
_Static_assert(sizeof(struct ls_syscall_core) == 80, "core layout");

/* aux[] per syscall, filled by the BPF side. */
#define LS_AUX_FD_MODE 0	/* fd creators: i_mode of the new file */
#define LS_AUX_PIPE_FDS 1	/* pipe/pipe2/socketpair: fd0 | fd1 << 32 */
#define LS_AUX_MMAP_INO 0	/* mmap of a file: inode number */
#define LS_AUX_MMAP_DEV 1	/* mmap of a file: st_dev, kernel encoding */
#define LS_AUX_BRK_OLD 0	/* brk: break before the call, 0 = unknown */
#define LS_AUX_BRK_START 1	/* brk: mm->start_brk */

struct ls_release_event {
	struct ls_event_header hdr;
	struct ls_syscall_core sc;
};
_Static_assert(sizeof(struct ls_release_event) == 104, "release layout");

/*
 * A Go program's goroutine stack when the event happened in C code it
 * called through cgo: the thread then runs on its system stack (g0),
 * apart from the goroutine's, and the C frames lead nowhere. The BPF side
 * finds the goroutine (TLS g -> m -> the frame asmcgocall left on g0) and
 * walks its frame pointers from where cgocall saved them.
 */
#define LS_GO_TAIL_FRAMES 64

struct ls_go_tail {
	__u32 nr_frames;	/* 0: not in cgo, or not a Go process */
	__u32 pad;
	__u64 ips[LS_GO_TAIL_FRAMES];	/* return addresses, innermost first */
};

/* Per Go process (map go_procs): where the current g is in TLS. */
struct ls_go_proc {
	__s64 tls_g_off;	/* from the thread pointer (%fs) */
};

/* User registers at the event, for unwinding with CFI in userspace. */
struct ls_user_regs {
	__u64 ip, sp, bp;
};

/*
 * An acquiring syscall. After the fixed part comes the live user stack,
 * from sp upwards to where that stack ends (at most snapshot_pages
 * pages): the record is as long as what was copied.
 */
struct ls_syscall_event {
	struct ls_event_header hdr;
	struct ls_syscall_core sc;
	char path[LS_PATH_BYTES];	/* open-family path, memfd name */
	struct ls_user_regs regs;
	__u64 snap_base;		/* user address of snapshot[0]: sp */
	__u32 snap_bytes;		/* valid bytes in snapshot[] */
	__u32 flags;			/* LS_SYSCALL_* */
	/* Made inside a malloc-family call whose return probe is pending
	 * (--malloc): the kernel swapped that call's return address on the
	 * stack for its trampoline; the unwinder puts this one back. */
	__u64 alloc_ret_slot;		/* where, 0 = none */
	__u64 alloc_ret;		/* the real return address */
	struct ls_stack stack;		/* frame-pointer walk by the kernel */
	struct ls_go_tail go_tail;	/* cgo: the goroutine behind the C code */
	__u8 snapshot[];		/* snap_bytes of user stack */
};
_Static_assert(sizeof(struct ls_syscall_event) ==
		       104 + LS_PATH_BYTES + 56 + 1024 + 8 + 8 * LS_GO_TAIL_FRAMES,
	       "syscall layout");

struct ls_exec_event {
	struct ls_event_header hdr;
	__u32 max_fds;		/* size of the fd table after exec */
	__u32 fd_words;		/* valid words in open_fds[] */
	__u64 open_fds[LS_EXEC_FD_WORDS];	/* bitmap after close-on-exec */
	__u64 auxv[LS_AUXV_WORDS];	/* (type, value) pairs, AT_NULL ends */
	__u64 exe_ino;		/* inode of the file run */
	__u32 exe_dev;		/* its st_dev, kernel encoding (major<<20|minor) */
	__u32 flags;		/* LS_EXEC_* */
	char comm[LS_COMM_BYTES];
	char filename[LS_EXEC_PATH_BYTES];	/* the ELF file run (interpreter
						 * of a #! script), as given to exec */
};
_Static_assert(sizeof(struct ls_exec_event) ==
		       24 + 8 + 128 + 8 * LS_AUXV_WORDS + 16 + 16 + LS_EXEC_PATH_BYTES,
	       "exec layout");

struct ls_fork_event {
	struct ls_event_header hdr;	/* pid = parent */
	__u32 child_pid;
	__u32 flags;		/* LS_FORK_* */
	char comm[LS_COMM_BYTES];
};
_Static_assert(sizeof(struct ls_fork_event) == 48, "fork layout");

struct ls_exit_event {
	struct ls_event_header hdr;
	__s32 exit_code;	/* wait status as the kernel keeps it */
	__u32 pad;
};
_Static_assert(sizeof(struct ls_exit_event) == 32, "exit layout");

/*
 * Go probes. The attach cookie of every Go uprobe says which binary's
 * parameters apply (an index into the go_params map) and how the probe
 * sits in its function.
 */
#define LS_GO_COOKIE_PARAMS(c) ((__u32)(c) & 0xffff)
#define LS_GO_AT_ENTRY (1ULL << 16)	/* before the frame is set up: the
					 * caller is [rsp], not in the RBP chain */
#define LS_GO_AT_JBE (1ULL << 17)	/* on the stack-check jbe: a taken
					 * branch means the call restarts */
#define LS_GO_MAX_BINARIES 256

/* runtime.g field offsets of one binary (bytes, -1 = absent). */
/* Bytes of a runtime.g that go_create reads in one go, covering every
 * field it wants (they sit within 168 bytes in Go 1.18-1.27); a power of
 * two, so an index into it can be masked for the verifier. */
#define LS_GO_G_SPAN 256

struct ls_go_params {
	__s32 goid_off;
	__s32 gopc_off;
	__s32 startpc_off;
	__s32 parent_goid_off;	/* -1: this version has none */
	__s32 span_off;		/* start of the one read; -1: field by field */
	/* Without g.parentGoid (before 1.21) the creator is the goroutine
	 * the system stack runs for: g0 (R14) -> g.m -> m.curg -> goid. */
	__s32 m_off;
	__s32 curg_off;		/* -1: unknown */
	/* The creating goroutine's stack copied, when copy_bytes (at most
	 * that much, from its g.sched.sp up to g.stack.hi), else walked by
	 * the kernel (bpf_get_stack): whichever is cheaper (make bench). */
	__s32 sched_sp_off, sched_pc_off, stack_hi_off;
	__u32 copy_bytes;
	__u32 pad;
};
_Static_assert(sizeof(struct ls_go_params) == 48, "go params layout");

/* ls_go_alloc_event.flags */
#define LS_GO_ALLOC_SAMPLED 0x1	/* from the runtime's profiler sample */

struct ls_go_create_event {
	struct ls_event_header hdr;
	__u64 goid;
	__u64 parent_goid;	/* 0 when unknown */
	__u64 g_addr;		/* the new runtime.g */
	__u64 gopc;		/* pc of the go statement */
	__u64 startpc;		/* the goroutine's function */
	struct ls_stack stack;	/* the creating goroutine's stack */
};

/*
 * The same, with the creating goroutine's stack copied instead of walked:
 * where it switched to the system stack for newproc (its g.sched pc and
 * sp) and its stack's live bytes from sp on, after this record. Userspace
 * walks them by the binary's pcsp tables (golang/gostack.h).
 */
struct ls_go_create_copy_event {
	struct ls_event_header hdr;
	__u64 goid;
	__u64 parent_goid;
	__u64 g_addr;
	__u64 gopc;
	__u64 startpc;
	__u64 pc, sp;		/* the creator's g.sched */
	__u32 snap_bytes;	/* stack bytes that follow */
	__u32 flags;		/* LS_STACK_TRUNCATED: its stack went on */
	__u8 snapshot[];
};

struct ls_go_exit_event {
	struct ls_event_header hdr;
	__u64 goid;
	__u64 g_addr;
};

struct ls_go_alloc_event {
	struct ls_event_header hdr;
	__u64 addr;		/* 0 when not known at the probe */
	__u64 size;
	__u32 flags;		/* LS_GO_ALLOC_* */
	__u32 pad;
	struct ls_stack stack;
};

/*
 * The malloc family (--malloc). Each probe's attach cookie says what the
 * function's arguments mean (class), where they are at the probed
 * instruction (a register each: the probe may sit a few instructions
 * into the function, after the values moved), how far the stack pointer
 * moved since the entry (to find the return address), and which of
 * userspace's probes fired (to name the function in the stack).
 */
enum ls_alloc_class {
	LS_ALLOC_SIZE = 1,		/* (size): malloc, valloc, operator new */
	LS_ALLOC_PAGES = 2,		/* pvalloc(size): rounded up to pages */
	LS_ALLOC_CALLOC = 3,		/* (nmemb, size) */
	LS_ALLOC_REALLOC = 4,		/* (ptr, size) */
	LS_ALLOC_REALLOCARRAY = 5,	/* (ptr, nmemb, size) */
	LS_ALLOC_ALIGNED = 6,		/* (alignment, size): memalign, aligned_alloc */
	LS_ALLOC_POSIX_MEMALIGN = 7,	/* (memptr, alignment, size): 0 or an error,
					 * the block in *memptr */
	LS_ALLOC_FREE = 8,		/* (ptr): free, operator delete */
};

/* Where an argument is at the probe (4 bits each; pt_regs order aside). */
enum ls_reg {
	LS_REG_DI = 0, LS_REG_SI, LS_REG_DX, LS_REG_CX, LS_REG_R8, LS_REG_R9,
	LS_REG_AX, LS_REG_BX, LS_REG_BP, LS_REG_R10, LS_REG_R11, LS_REG_R12,
	LS_REG_R13, LS_REG_R14, LS_REG_R15,
};

#define LS_MC_CLASS(c) ((__u32)(c) & 0xff)
#define LS_MC_ARG_REG(c, i) ((__u32)((c) >> (8 + 4 * (i))) & 0xf)
#define LS_MC_SP_WORDS(c) ((__u32)((c) >> 20) & 0xff)	/* pushed since the entry */
#define LS_MC_PROBE(c) ((__u32)((c) >> 32))		/* userspace's probe id */
#define LS_MC_COOKIE(cls, r0, r1, r2, sp_words, probe)                         \
	((__u64)(cls) | (__u64)(r0) << 8 | (__u64)(r1) << 12 | (__u64)(r2) << 16 | \
	 (__u64)(sp_words) << 20 | (__u64)(probe) << 32)

/* ls_malloc_event.flags */
#define LS_MALLOC_SAMPLED 0x1	/* picked by the sampler: weigh it at report */
#define LS_MALLOC_NO_NEW 0x2	/* only retires old_addr (realloc of a sampled
				 * block into one the sampler did not pick) */
#define LS_MALLOC_FP_STACK 0x4	/* data[] holds return addresses, not stack */

/* Sampled blocks, per process (BPF map sampled_blocks). */
struct ls_block_key {
	__u32 tgid;
	__u32 pad;
	__u64 addr;
};

/*
 * A malloc-family call that returned, seen at its return: the block, the
 * caller's registers there, and after the fixed part either the caller's
 * live stack (snap_bytes, for CFI unwinding) or, with snapshots off, the
 * kernel's frame-pointer walk (nr_ips return addresses).
 */
struct ls_malloc_event {
	struct ls_event_header hdr;
	__u64 cookie;		/* the probe's (LS_MC_*) */
	__u64 addr;		/* the block returned, 0 = none (realloc(p, 0)) */
	__u64 size;		/* bytes asked for */
	__u64 old_addr;		/* realloc: the block passed in, else 0 */
	__u64 call_ns;		/* when the call began (realloc's race, see
				 * the collector) */
	__u32 flags;		/* LS_MALLOC_* */
	__u32 snap_bytes;	/* stack bytes in data[] */
	struct ls_user_regs regs;	/* at the return: ip in the caller */
	__u64 snap_base;	/* user address of data[0] */
	__u32 nr_ips;		/* with LS_MALLOC_FP_STACK: entries in data[] */
	__u32 pad;
	__u8 data[];
};
_Static_assert(sizeof(struct ls_malloc_event) == 24 + 48 + 24 + 16, "malloc layout");

struct ls_free_event {
	struct ls_event_header hdr;
	__u64 cookie;
	__u64 addr;		/* never 0: free(NULL) sends nothing */
};
_Static_assert(sizeof(struct ls_free_event) == 40, "free layout");

#endif /* LEAKSCOPE_H */
