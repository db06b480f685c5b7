/* SPDX-License-Identifier: MIT */
/*
 * The collector: consumes ring-buffer records in order and keeps, per
 * traced process, what is still outstanding. It knows nothing of output.
 */
#ifndef LS_COLLECTOR_H
#define LS_COLLECTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "symbols/unwind.h"

#include "symbols/tables.h"
#include "trace/resync.h"

struct process;
struct u64map;
struct mallocprobes;
struct ls_go_tail;

struct collector {
	struct tables tables;		/* strings, stacks, modules, symbols */
	size_t entries_after_sweep;	/* tables' entries the last sweep kept */
	struct u64map *by_pid;		/* pid -> struct process * */
	struct process **procs;		/* every process seen, in order */
	size_t nprocs, cap;
	uint64_t page_size;
	uint64_t start_ns;		/* the collector started (CLOCK_MONOTONIC) */
	uint64_t traced_ns;		/* probes attached: tracing began; 0 = start_ns */
	uint64_t start_realtime_ns;
	size_t live;			/* traced processes not yet exited */
	unsigned max_frames;		/* unwinding depth */
	/* Measure what each live process's memory uses (resident,
	 * committed) at every refresh: trace/memusage.c. */
	bool measure_memory;

	/* counters shown in reports */
	uint64_t records;		/* records consumed */
	uint64_t bad_records;		/* malformed: size or type wrong */
	uint64_t unknown_pid_records;	/* for a pid we do not track */
	uint64_t stacks_cfi;		/* stacks unwound with CFI */
	uint64_t stacks_truncated;	/* cut short: snapshot or depth */
	uint64_t stacks_stitched;	/* completed from the kernel's walk */
	uint64_t stacks_broken;		/* unwinding found no rule or chain */
	uint64_t stacks_cgo;		/* C frames joined to a goroutine's */
	uint64_t unwind_ns;		/* time spent unwinding */
	uint64_t go_unknown;		/* Go records for a process not known as Go */
	uint64_t go_creation_stacks_lost;	/* copied, but not walkable: gopc kept */
	uint64_t go_creation_stacks_copied;	/* copied and walked */
	struct resync_stats resync;	/* after ring-buffer losses (resync.c) */

	/* Called after an exec or a fork was applied to p: lets the caller
	 * recognize a Go program and attach its probes. */
	void (*on_new_image)(void *ctx, struct process *p);
	void *hook_ctx;
	/* --malloc: probes to place on allocators a process loads later
	 * (dlopen), and the table records name their functions from */
	struct mallocprobes *malloc;
};

/* A user stack as a record carries it: registers and live stack for CFI
 * unwinding, and/or the kernel's frame-pointer walk. */
struct user_stack_in {
	struct unwind_regs regs;
	uint64_t snap_base;
	const uint8_t *snap;
	uint32_t snap_bytes;
	const uint64_t *fp;
	uint32_t nfp;
	bool fp_truncated;
	const struct ls_go_tail *go_tail;	/* cgo: the goroutine's frames */
};

/* Unwind into pcs (at most max): returns how many, *stack_flags gets
 * STACK_* bits for process__intern_stack. */
uint32_t collector__unwind(struct collector *c, struct process *p,
			   const struct user_stack_in *in, uint64_t *pcs, uint32_t max,
			   uint32_t *stack_flags);

void collector__init(struct collector *c);
void collector__free(struct collector *c);
/* Start tracking pid (a target, or a child). Reads its identity and code
 * map from /proc when it exists. parent: the process it came from. */
struct process *collector__add(struct collector *c, int pid,
			       const struct process *parent);
struct process *collector__find(const struct collector *c, int pid);
/* Stop tracking pid and free its ledgers (the agent, once an exited
 * process was reported). Records for it later count as unknown_pid.
 * _process: that one entry (an exited process whose pid was reused). */
void collector__forget(struct collector *c, int pid);
void collector__forget_process(struct collector *c, struct process *p);
/* Ring-buffer callback (libbpf's ring_buffer_sample_fn). */
int collector__on_record(void *ctx, void *data, size_t size);
/* Mark processes that are gone although no exit record came (it was
 * lost: counted in the report) as exited, so nobody waits for them;
 * on_gone (may be NULL) is told of each. Returns how many. */
size_t collector__reap_vanished(struct collector *c,
				void (*on_gone)(void *ctx, struct process *p), void *ctx);
/* Read what the processes keep about themselves (the Go runtime's heap
 * profile, what their memory uses...), before a report is built. */
void collector__refresh(struct collector *c);
/* --go-goroutines=snapshot: walk each live Go process's goroutine list
 * when its interval has passed, or now with force (before a report a
 * user sees). */
void collector__walk_goroutines(struct collector *c, bool force);
/* Free what no process the collector keeps refers to any more (strings,
 * stacks, modules, symbols: tables.h). Returns the entries freed. */
size_t collector__sweep(struct collector *c);
/* The same, only once the tables hold twice what the last sweep kept
 * (and more than a floor): churn costs O(1) per entry, and a tracer that
 * forgets nothing still drops the paths and stacks of released items. */
size_t collector__sweep_if_grown(struct collector *c);

#endif
