/* SPDX-License-Identifier: MIT */
/*
 * The report model: what every writer (text, JSON, folded, pprof, SVG,
 * metrics) reads. It is self-contained (frames already symbolized), so a
 * JSON report parsed back is the same model. report/build.h makes one
 * from the collector.
 */
#ifndef LS_REPORT_H
#define LS_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "leakscope.h"

struct strtab;

enum ls_kind {
	KIND_MMAP = 0,
	KIND_BRK,
	KIND_FD,
	KIND_GOROUTINE,
	KIND_GO_HEAP,
	KIND_GO_ALLOC,
	KIND_MALLOC,
	KIND_MAX,
};

const char *kind_name(enum ls_kind k);
int kind_from_name(const char *name);	/* -1 if unknown */
bool kind_has_bytes(enum ls_kind k);	/* memory kinds weigh in bytes */
const char *kind_item_name(enum ls_kind k, uint64_t n);	/* "mapping(s)" */

struct report_frame {
	const char *name;	/* function, or module+0xoffset */
	const char *file;	/* source file or NULL */
	uint32_t line;
	const char *module;	/* path of the module or NULL */
	uint64_t address;	/* file offset in module (or raw address) */
	const char *build_id;	/* hex GNU build id of module, or NULL */
	bool inlined;		/* inlined into the next frame (same address) */
	bool wrapper;		/* Go, current stacks only: compiler-made (a go
				 * statement's closure), which Go's level-1
				 * tracebacks and the text leave out */
};

#define REPORT_MAX_PATHS 8
#define REPORT_TABLES 4
#define REPORT_MAX_STATES 16

/* What the goroutines of a stack are doing ("chan receive": 12). */
struct report_state {
	const char *name;
	uint64_t count;
};

struct report_path {
	const char *path;
	uint64_t count;
};

#define REPORT_MAX_NOW_STATES 4

/* Goroutines of one group stopped at the same place now, as pprof's
 * goroutine profile groups them (by current stack). */
struct report_goroutines_now {
	uint64_t count;
	struct report_state states[REPORT_MAX_NOW_STATES];
	size_t nstates;
	double wait_min_s, wait_max_s;	/* since g.waitsince; < 0 unknown */
	struct report_frame *frames;	/* innermost first, without
					 * runtime.goexit; none while running */
	size_t nframes;
	bool truncated;
	uint32_t stack_id;	/* collector's id; 0 after a JSON read */
};

/* The creation stack of a goroutine's creator, or of its creator's
 * creator...: how a goroutine started in library code leads back to the
 * user's code. */
struct report_ancestor {
	struct report_frame *frames;	/* innermost first */
	size_t nframes;
	uint32_t stack_id;	/* 0 after a JSON read */
};

struct report_stack {
	enum ls_kind kind;
	int pid;
	uint64_t count;
	uint64_t bytes;
	double oldest_s;
	const char *fd_kind;	/* fd: "socket", "file"...; else NULL */
	struct report_path paths[REPORT_MAX_PATHS];	/* files, by count */
	size_t npaths;
	bool preexisting;	/* held before attach: creator unknown */
	bool allocator;		/* mmap/brk made inside malloc (--malloc): the
				 * allocator's memory, its blocks are under malloc */
	bool truncated;		/* stack capture filled its buffer */
	struct report_frame *frames;	/* innermost first */
	size_t nframes;
	double growth_per_min;	/* count or bytes per minute */
	double growth_window_s;	/* the samples the verdict judged span this */
	bool suspect;
	uint32_t stack_id;	/* collector's id; 0 after a JSON read */
	/* go_alloc and malloc: allocated since tracing began, of which count
	 * and bytes above are still in use (as for every kind). pprof exports
	 * them as alloc_objects/alloc_space; 0 = not known (then the
	 * in-use values stand in). */
	uint64_t alloc_count, alloc_bytes;
	uint32_t group;		/* what else tells entries apart (fd kind,
				 * the path of pre-existing items) */
	struct report_state states[REPORT_MAX_STATES];	/* goroutines */
	size_t nstates;
	/* goroutines: the function they run (g.startpc; for a go
	 * statement's wrapper, the function it calls, as tracebacks name
	 * it), where they are now, and the creation stacks of their
	 * ancestors, nearest first, while the chain is still in the
	 * standard library or runtime */
	const char *go_start;
	bool go_start_wrapper;	/* while building: go_start is a wrapper */
	struct report_goroutines_now *now;
	size_t nnow;
	struct report_ancestor *ancestors;
	size_t nancestors;
	bool main_goroutine;	/* started by the runtime: it has no creator */
	/* Memory kinds (mmap, brk): of `bytes` (the address space reserved),
	 * what is resident in RAM and what is committed (private writable,
	 * counted against the kernel's commit limit), as measured from
	 * /proc/PID/smaps; measured false: not known (a process that exited
	 * before it was measured, or a report of an older version). */
	uint64_t resident_bytes, committed_bytes;
	bool measured;
	bool file_backed;	/* mappings of files (code, libraries, data) */
	uint32_t unresolved;	/* frames no function was found for */
};

struct report_target {
	int pid;
	char comm[16];
	const char *exe;	/* as it was started (a link is not followed) */
	const char *exe_file;	/* the file exe leads to, when it differs */
	bool exited;
	int exit_status;	/* wait status */
	const char *go_version;	/* "go1.19.8" when traced as Go, else NULL */
	int64_t go_mem_profile_rate;	/* -1 unknown */
	const char *go_rate_source;
	uint64_t goroutines_created, goroutines_exited;	/* under tracing */
	const char *go_goroutine_mode;	/* "trace" or "snapshot" */
	/* the runtime's own goroutines (GC workers, scavenger, finalizer,
	 * timers: started from runtime functions), left out of the stacks */
	uint64_t go_runtime_goroutines;
	/* snapshot mode: walks of runtime.allgs so far, the interval chosen
	 * and the last walk's CPU time */
	uint64_t go_walks;
	double go_walk_interval_s, go_walk_cpu_ms;
	uint64_t go_alloc_every, go_alloc_sampled;	/* probe hits (unscaled) */
	/* --go-alloc=check: hits per allocation site (the first frame past
	 * the allocator) of both probes, tiny allocations left out (the
	 * runtime's profiler does not see those packed into a tiny block) */
	struct report_alloc_site {
		const char *site;
		uint64_t every, sampled;
	} *alloc_sites;
	size_t nalloc_sites;
	/* the malloc family: what the process allocates with (NULL: none
	 * found), how it was traced ("all", "sampled", "off") and what the
	 * ledger saw while traced */
	const char *malloc_allocator;
	const char *malloc_mode;
	uint64_t malloc_sample_mean;	/* bytes, sampled */
	uint64_t malloc_allocs, malloc_frees;
	uint64_t malloc_unknown_frees;	/* of blocks from before attach */
	uint64_t malloc_replaced;	/* blocks whose free was never seen */
};

struct report_total {
	uint64_t count, bytes;		/* everything outstanding */
	uint64_t hidden_count, hidden_bytes;	/* of which younger than min age */
	/* Memory kinds: of everything, resident and committed (see
	 * report_stack), and the part that maps files, shown apart. */
	bool measured;
	uint64_t resident_bytes, committed_bytes;
	uint64_t file_count, file_bytes, file_resident_bytes, file_committed_bytes;
};

struct report {
	int version;
	uint64_t start_unix_ns;
	double duration_s;	/* traced: from the end of attaching to the report */
	double attach_s;	/* loading and attaching the probes, before that */
	double min_age_s;	/* for live processes; exited ones show all */
	struct report_target *targets;
	size_t ntargets;
	uint64_t lost_events;	/* records lost whole (ring buffer full) */
	/* After losses, the ledgers were re-read from /proc (trace/resync.c);
	 * inexact: some counts could not be (a process exited first, or Go
	 * ledgers, which have no outside view), and may be off either way. */
	struct report_resync {
		uint64_t runs, fds_added, fds_removed, bytes_added, bytes_removed;
		bool inexact;
	} resync;
	uint64_t drops[LS_DROP_MAX];
	uint64_t unresolved_frames;	/* frames in stacks with no function name */
	struct report_total totals[KIND_MAX];
	bool has_kind[KIND_MAX];
	struct report_stack *stacks;
	size_t nstacks;
	struct {
		uint64_t records;		/* ring-buffer records consumed */
		uint64_t stacks_unwound;	/* with CFI from a snapshot */
		uint64_t stacks_truncated;	/* cut short (depth, snapshot) */
		uint64_t stacks_stitched;	/* finished from the FP walk */
		uint64_t stacks_broken;		/* no rule, no usable chain */
		uint64_t stacks_cgo;		/* C frames joined to a goroutine's */
		uint64_t go_stacks_copied;	/* creation stacks copied, walked here */
		double unwind_us_per_stack;	/* collector time per unwind */
		uint64_t malloc_failed;		/* malloc-family calls that returned NULL */
		/* the collector's tables when the report was built: strings,
		 * stacks, modules, symbols (symbols/tables.h, same order) */
		struct report_table {
			uint64_t entries, bytes;
		} tables[REPORT_TABLES];
	} stats;
	char **notes;		/* things the reader must know */
	int *note_pids;		/* per note: the process it is about, -1: all */
	size_t nnotes;
	/* Where the report's strings live: it owns them, so it outlives
	 * the tables of the collector it was built from. NULL when every
	 * string is a constant (hand-made reports). */
	struct strtab *strings;
};

void report__add_note(struct report *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* A note about one process (kept with its profiles in the agent). */
void report__add_process_note(struct report *r, int pid, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void report__free(struct report *r);
/* Drop the stacks and targets of the processes keep() says no to (their
 * strings stay until the report is freed). */
void report__retain_pids(struct report *r, bool (*keep)(void *ctx, int pid), void *ctx);
/* Sort stacks: kind order, then suspects, then weight (bytes or count). */
void report__sort(struct report *r);
const char *drop_reason_name(int reason);
/* A stable identity for a stack across reports: kind, pid, fd kind and
 * symbolized frames, by content (never 0 or ~0). */
uint64_t report__stack_key(const struct report_stack *s);
/* The first kind the session traced (has_kind), KIND_MMAP if none: the
 * kind an export with no stacks at all shows, empty. */
enum ls_kind report__first_traced_kind(const struct report *r);

#endif
