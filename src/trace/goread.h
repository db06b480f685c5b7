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
#include "base/util.h"

struct goproc;
struct goroutine;
struct process;

/* Where the binary is loaded in pid (found once): false if unknown. */
bool goread__located(struct goproc *g, int pid);

/* Read what changes at run time: load bias, MemProfileRate, the heap
 * profile. Only while the process is alive; the last values stay. */
void goread__refresh(struct goproc *g, struct process *p);
/* The first reading of a process leakscope attached to: the heap it
 * holds then is pre-existing (until it grows). */
void goread__heap_baseline(struct goproc *g, struct process *p);

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
#define GOREAD_WALK_MIN_NS NS_PER_S
#define GOREAD_WALK_MAX_NS (120 * NS_PER_S)
int goread__walk_if_due(struct goproc *g, struct process *p, uint64_t now_ns, bool force);
/* Remember what each goroutine is doing now (goroutine.last_state), so a
 * program that exits is reported with its goroutines' last states. Part
 * of goread__refresh, for up to 100,000 goroutines. */
void goread__keep_states(struct goproc *g, struct process *p);
/* The code kept in goroutine.last_state for a status (runtime2.go's _G*,
 * scan bit masked) and wait reason: (status << 8 | reason) + 1. */
uint16_t goread__state_code(uint32_t status, uint8_t reason);
/* The name of a goroutine.last_state ("chan receive", "running"...);
 * NULL for 0 (never read). A constant or the binary's (valid while
 * g->bin is): readers copy what they keep. */
const char *goread__state_name(struct goproc *g, uint16_t code);

#endif
