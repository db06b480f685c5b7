/* SPDX-License-Identifier: MIT */
/*
 * The agent's overhead self-check: its own CPU time (every thread) plus
 * the run time of its BPF programs (kernel BPF statistics, switched on
 * with BPF_ENABLE_STATS while the agent runs), as a share of one CPU over
 * a window. Above the budget the probes are paused (not detached: see
 * bpf/common.bpf.h) for a back-off that doubles while the overhead stays
 * high, and resets after a window within budget.
 *
 * Not counted, because no counter sees it: the trap of a uprobe hit in
 * the traced process (~0.5 us emulated, ~12 us single-stepped here) and
 * the tracepoint dispatch around each program.
 */
#ifndef LS_SELFCHECK_H
#define LS_SELFCHECK_H

#include <stdbool.h>
#include <stdint.h>

struct probes;

enum selfcheck_action { SELFCHECK_NONE = 0, SELFCHECK_PAUSE, SELFCHECK_RESUME };

struct selfcheck {
	double budget;		/* share of one CPU; 0 = never pause */
	uint64_t window_ns, backoff_ns, backoff_max_ns, next_backoff_ns;
	int stats_fd;		/* holds BPF run-time statistics on */
	/* totals (monotonic) */
	uint64_t cpu_ns;	/* the agent's own CPU time */
	uint64_t bpf_ns, bpf_runs;	/* of its BPF programs */
	/* the window in progress */
	uint64_t win_start_ns, win_cpu_ns, win_bpf_ns;
	double last_ratio;	/* of the last complete window */
	bool paused;
	uint64_t resume_at_ns;
	uint64_t backoffs;	/* pauses so far */
};

/* budget_pct: percent of one CPU. bpf: turn the kernel's BPF run-time
 * statistics on (they cost every BPF program on the host a clock read
 * per run, so only when ours are loaded; a note is logged when the
 * kernel refuses: then only the agent's CPU counts). */
void selfcheck__init(struct selfcheck *s, double budget_pct, double window_s,
		     double backoff_s, double backoff_max_s, uint64_t now_ns, bool bpf);
void selfcheck__free(struct selfcheck *s);
/* Update the totals: own CPU, and BPF run time of p's programs (p may be
 * NULL when nothing is loaded). */
void selfcheck__read(struct selfcheck *s, const struct probes *p);
/* Start a new window from now: what a start cost (loading, attaching,
 * reading every running process) is not what tracing costs. */
void selfcheck__restart(struct selfcheck *s, const struct probes *p, uint64_t now_ns);
/* What to do at now, from the totals last read. */
enum selfcheck_action selfcheck__step(struct selfcheck *s, uint64_t now_ns);
/* (cpu + bpf) / wall: the share of one CPU. */
double selfcheck__ratio(uint64_t cpu_ns, uint64_t bpf_ns, uint64_t wall_ns);

#endif
