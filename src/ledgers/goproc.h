/* SPDX-License-Identifier: MIT */
/*
 * The Go side of one traced process: its goroutine and allocation
 * ledgers, and what is read from its memory at report time (what each
 * goroutine is doing, the runtime's heap profile, MemProfileRate).
 */
#ifndef LS_GOPROC_H
#define LS_GOPROC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ledgers/goallocs.h"
#include "ledgers/goroutines.h"

struct go_binary;
struct process;

/* One allocation stack of the runtime's heap profile, scaled like pprof. */
struct goheap_entry {
	uint32_t stack;
	uint64_t inuse_count, inuse_bytes;
	uint64_t alloc_count, alloc_bytes;
};

struct goproc {
	struct go_binary *bin;
	uint64_t bias;		/* runtime address - link-time address */
	bool bias_known;
	uint64_t mbuckets;	/* runtime address of runtime.mbuckets, 0 unknown */
	uint64_t rate;		/* MemProfileRate; 0 = memory profiling off */
	const char *rate_source;	/* "runtime.MemProfileRate", "GODEBUG", ... */
	struct goroutines gor;
	struct goallocs allocs;
	/* the heap profile as last read (kept for after the process exits) */
	struct goheap_entry *heap;
	size_t nheap, capheap;
	bool heap_read;
	char heap_why[128];	/* why there is no heap profile, if none */
};

struct goproc *goproc__new(struct go_binary *bin);
void goproc__free(struct goproc *g);

/* Read what changes at run time: load bias, MemProfileRate, the heap
 * profile. Only while the process is alive; the last values stay. */
void goproc__refresh(struct goproc *g, struct process *p);

/*
 * Goroutines alive before leakscope attached: runtime.allgs read from the
 * process, each entered (unless already known) under its creation site,
 * the `go` statement's pc (g.gopc), marked pre-existing. Returns how many
 * were added, or -errno.
 */
long goproc__scan_allgs(struct goproc *g, struct process *p, uint64_t now_ns);

/* "chan receive", "running", ... for a goroutine now; NULL when it
 * cannot be read (process gone). states[i] pairs with grs[i]. */
void goproc__states(struct goproc *g, int pid, const struct goroutine **grs,
		    size_t n, const char **states);

#endif
