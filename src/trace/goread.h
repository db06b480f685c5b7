/* SPDX-License-Identifier: MIT */
/*
 * Reading a live Go process's memory for its struct goproc: where the
 * binary is loaded, MemProfileRate, the runtime's heap profile buckets,
 * the goroutines that existed before attach (runtime.allgs) and what each
 * goroutine is doing now. Batched process_vm_readv reads, never per event.
 */
#ifndef LS_GOREAD_H
#define LS_GOREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct goproc;
struct goroutine;
struct process;

/* Where the binary is loaded in pid (found once): false if unknown. */
bool goread__located(struct goproc *g, int pid);

/* Read what changes at run time: load bias, MemProfileRate, the heap
 * profile. Only while the process is alive; the last values stay. */
void goread__refresh(struct goproc *g, struct process *p);

/*
 * Goroutines alive before leakscope attached: runtime.allgs read from the
 * process, each entered (unless already known) under its creation site,
 * the `go` statement's pc (g.gopc), with the function it runs and its
 * parent, marked pre-existing. Returns how many were added, or -errno.
 */
long goread__scan_allgs(struct goproc *g, struct process *p, uint64_t now_ns);

/*
 * --go-goroutines=snapshot: the goroutine ledger from a walk of
 * runtime.allgs instead of probes. A goroutine found for the first time
 * is entered (its age counts from then), one no longer there has exited.
 * Walks when the interval has passed (or force: before a report). The
 * interval adapts: a walk may take GOREAD_WALK_BUDGET of the time until
 * the next (1% of one CPU), between 1 s and 2 min. Returns 1 if it
 * walked, 0 if not due or not in snapshot mode.
 */
#define GOREAD_WALK_BUDGET 0.01
#define GOREAD_WALK_MIN_NS (1000ULL * 1000 * 1000)
#define GOREAD_WALK_MAX_NS (120ULL * 1000 * 1000 * 1000)
int goread__walk_if_due(struct goproc *g, struct process *p, uint64_t now_ns, bool force);

#endif
