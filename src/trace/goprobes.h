/* SPDX-License-Identifier: MIT */
/*
 * Go binaries and their uprobes: each executable is inspected once (is it
 * Go, which version, where the probe points are, the runtime.g layout),
 * given a slot in the BPF go_params map, and its probes attached for a
 * process (pid filter) or for every process running it (pid -1).
 *
 * Probe points (what an emulated and a single-stepped hit cost: README.md,
 * "Performance"), each on an instruction the kernel emulates, found with
 * a decoder:
 *   goroutine created  the `call runtime.runqput` in runtime.newproc.func1
 *   goroutine ended    runtime.gdestroy (1.22+) or runtime.goexit0
 *   sampled alloc      runtime.profilealloc (the runtime's profiler sample)
 *   every alloc        runtime.mallocgc (--go-alloc=all); from Go 1.24 the
 *                      allocator's leaves instead (mallocgcSmallNoscan...,
 *                      and 1.27's size-specialized mallocgc*SC<n>, which
 *                      compiled code calls directly): one hit per object
 * At a function's entry the probe goes on the `push %rbp` (Go 1.21+) or
 * the stack check's `jbe`, never on the first (single-stepped) `cmp`.
 */
#ifndef LS_GOPROBES_H
#define LS_GOPROBES_H

#include <stdbool.h>
#include <stdint.h>
#include "golang/gobin.h"

struct probes;

enum go_alloc_mode {
	GO_ALLOC_SAMPLED = 0,	/* the runtime's own sampling (default) */
	GO_ALLOC_ALL,		/* every allocation: short sessions only */
	GO_ALLOC_OFF,
	GO_ALLOC_CHECK,		/* both probes: verifies every allocation is
				 * counted once (for a new Go release) */
};

enum go_goroutine_mode {
	GO_GOROUTINES_TRACE = 0,	/* probes on creation and exit: exact
					 * lifetimes, full creation stacks */
	GO_GOROUTINES_SNAPSHOT,		/* no goroutine probe: walks of the
					 * runtime's list (trace/goread.h) */
};

enum go_probe_kind {
	GO_PROBE_CREATE = 0,
	GO_PROBE_EXIT,
	GO_PROBE_ALLOC_SAMPLED,
	GO_PROBE_ALLOC_ALL,
	GO_PROBE_MAX,
};

struct go_probe {
	bool present;
	const char *func;	/* where it sits */
	uint64_t vaddr;		/* link-time address of the instruction */
	uint64_t offset;	/* file offset (what uprobes take) */
	uint64_t cookie;	/* params slot | LS_GO_AT_* */
	const char *insn;	/* "call", "push", "jbe", "entry" */
};

struct go_binary {
	char *path;		/* owned */
	uint64_t dev, ino;
	struct gobin *bin;	/* NULL: not Go, or not supported */
	char why_not[160];	/* the reason, for the report */
	enum gobin_fault fault;	/* the reason, for decisions; GOBIN_UNSUPPORTED
				 * also for a Go we read but cannot probe */
	uint32_t slot;		/* in go_params (Go binaries we support) */
	bool has_slot;
	bool marked;		/* a live process runs it (goprobes__sweep) */
	struct gobin_g_offsets goff;
	struct go_probe probes[GO_PROBE_MAX];
	struct go_probe *leaves;	/* every-allocation probes (see above) */
	size_t nleaves;
	bool memprofile_linked;	/* runtime.MemProfile is in the binary */
	uint64_t mbuckets;	/* link-time address of runtime.mbuckets, 0 unknown */
	uint64_t mbuckets_candidates[16];	/* stripped: validated at run time */
	uint32_t ncandidates;
	uint64_t memprofilerate;	/* address of runtime.MemProfileRate, 0 unknown */
	bool attached_all;	/* probes on for every process */
	int attached_pids[16];	/* or for these */
	uint32_t nattached;
	uint64_t allgs;		/* link-time address of runtime.allgs, 0 unknown */
	bool has_tls_g;		/* where the current g is in TLS is known */
	int64_t tls_g_off;
	struct { uint64_t lo, hi; } asmcgocall[4];	/* link-time, every copy */
	uint32_t nasmcgocall;
	uint64_t newproc_lo, newproc_hi;	/* runtime.newproc, link-time */
};

struct goprobes;

struct goprobes *goprobes__new(struct probes *p, enum go_alloc_mode mode,
			       int verbose);
void goprobes__free(struct goprobes *g);
/* Before any attach: how goroutines are followed (default trace). */
void goprobes__set_goroutine_mode(struct goprobes *g, enum go_goroutine_mode mode);
enum go_goroutine_mode goprobes__goroutine_mode(const struct goprobes *g);
/* Inspect an executable once (cached by device and inode). pid: the
 * process it was seen in (to reach files in its mount namespace).
 * Never NULL: a non-Go binary comes back with bin == NULL and why_not. */
struct go_binary *goprobes__inspect(struct goprobes *g, const char *path, int pid);
/* Attach b's probes for pid (or -1 for every process). 0 or -errno, with
 * a message printed naming the binary and probe. */
int goprobes__attach(struct goprobes *g, struct go_binary *b, int pid);
/* Tell the BPF side that pid runs b (for stacks through cgo). */
int goprobes__watch(struct goprobes *g, struct go_binary *b, int pid);
/* Is the link-time address inside runtime.newproc? */
bool goprobes__in_newproc(const struct go_binary *b, uint64_t vaddr);
/* Is the link-time address inside runtime.asmcgocall (Go -> C)? */
bool goprobes__in_asmcgocall(const struct go_binary *b, uint64_t vaddr);
/* Binaries inspected and kept. */
size_t goprobes__count(const struct goprobes *g);
/* Keep b (a process runs it) through the next sweep. */
void goprobes__mark(struct goprobes *g, struct go_binary *b);
/* Free the binaries not marked since the last sweep that have no probes
 * attached (not Go, not supported, or never attached: a binary with
 * probes keeps them for the next process that runs it); clears the
 * marks, returns how many were freed. */
size_t goprobes__sweep(struct goprobes *g);

#endif
