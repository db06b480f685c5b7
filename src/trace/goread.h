/* SPDX-License-Identifier: MIT */
/*
 * Reading a live Go process's memory for its struct goproc: where the
 * binary is loaded, MemProfileRate, the runtime's heap profile buckets,
 * the goroutines that existed before attach (runtime.allgs) and what each
 * goroutine is doing now. Batched process_vm_readv reads, never per event.
 */
#ifndef LS_GOREAD_H
#define LS_GOREAD_H

#include <stddef.h>
#include <stdint.h>

struct goproc;
struct goroutine;
struct process;

/* Read what changes at run time: load bias, MemProfileRate, the heap
 * profile. Only while the process is alive; the last values stay. */
void goread__refresh(struct goproc *g, struct process *p);
/* The first reading of a process leakscope attached to: the heap it
 * holds then is pre-existing (until it grows). */
void goread__heap_baseline(struct goproc *g, struct process *p);

/*
 * Goroutines alive before leakscope attached: runtime.allgs read from the
 * process, each entered (unless already known) under its creation site,
 * the `go` statement's pc (g.gopc), marked pre-existing. Returns how many
 * were added, or -errno.
 */
long goread__scan_allgs(struct goproc *g, struct process *p, uint64_t now_ns);

/* "chan receive", "running", ... for a goroutine now; NULL when it
 * cannot be read (process gone). states[i] pairs with grs[i]; the names
 * are constants or the binary's (valid while g->bin is). */
void goread__states(struct goproc *g, int pid, const struct goroutine **grs,
		    size_t n, const char **states);
/* Remember what each goroutine is doing now (goroutine.last_state), so a
 * program that exits is reported with its goroutines' last states. Part
 * of goread__refresh, for up to 100,000 goroutines. */
void goread__keep_states(struct goproc *g, struct process *p);
/* The name of a goroutine.last_state; NULL for 0 (never read). */
const char *goread__state_name(struct goproc *g, uint16_t code);

#endif
