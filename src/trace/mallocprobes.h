/* SPDX-License-Identifier: MIT */
/*
 * The malloc family's probes (--malloc): which modules of a process hold
 * an allocator, where in each of its functions a probe can go, and
 * attaching them per process.
 *
 * A module is an allocator when it defines malloc or free (or PREFIX
 * malloc/free with --malloc-prefix): glibc's libc.so.6, libjemalloc,
 * libtcmalloc_minimal, libmimalloc, a statically linked executable, a
 * program with its own. Its functions of the family (malloc, calloc,
 * realloc, reallocarray, posix_memalign, aligned_alloc, memalign,
 * valloc, pvalloc, free, cfree) and, in allocator modules only, C++'s
 * operator new and delete in every variant, are found by symbol; each
 * gets a probe on its first instruction the kernel emulates
 * (trace/probe_site.h), or none when it has no such instruction before
 * its arguments change (said in the report). libstdc++'s own operator
 * new calls malloc: it is seen there, as the frame above malloc.
 *
 * A function that is only a jump (mimalloc's posix_memalign jumps to
 * mi_posix_memalign through the PLT) is followed to where it leads; one
 * that jumps to another module's function (jemalloc's operator delete
 * jumps to free) is left to that function's probe.
 *
 * Each module is inspected once (by device and inode) and its probes
 * attached once per process (the kernel filters by process).
 */
#ifndef LS_MALLOCPROBES_H
#define LS_MALLOCPROBES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct probes;
struct process;
struct tables;

enum malloc_mode {
	MALLOC_OFF = 0,		/* default: each call would cost a probe hit */
	MALLOC_ALL,		/* every block */
	MALLOC_SAMPLED,		/* a sample by bytes, scaled like pprof */
};

#define MALLOC_MAX_PREFIXES 4
#define MALLOC_PREFIX_MAX 32	/* characters of one prefix */
/* --malloc=sampled's mean bytes between samples unless told: tcmalloc's
 * and Go's runtime's */
#define MALLOC_SAMPLE_MEAN (512 * 1024)

struct malloc_options {
	enum malloc_mode mode;
	uint64_t sample_mean;	/* bytes, sampled mode */
	const char *prefixes[MALLOC_MAX_PREFIXES];	/* --malloc-prefix */
	size_t nprefixes;
	int verbose;
};

/* One probed function. Its strings are the mallocprobes' own. */
struct malloc_fn {
	const char *name;	/* the symbol asked for */
	const char *target;	/* where a jump led, or NULL */
	uint32_t cls;		/* LS_ALLOC_* */
	/* its module's file: device and inode, or path when the inode is
	 * not known (never a module id: a sweep may give it to another) */
	uint64_t dev, ino;
	const char *path;
	uint64_t entry_off;	/* file offset of the function's entry */
	uint64_t site_off;	/* file offset of the probed instruction */
	uint64_t cookie;
	char insn[48];
};

struct mallocprobes;

/* p: the loaded BPF side (NULL with MALLOC_OFF: inspection only). */
struct mallocprobes *mallocprobes__new(struct probes *p, const struct malloc_options *o);
void mallocprobes__free(struct mallocprobes *m);
enum malloc_mode mallocprobes__mode(const struct mallocprobes *m);
/* Probe the allocators among the modules of p (its code map), for p. */
void mallocprobes__attach_process(struct mallocprobes *m, struct process *p);
/* A module newly mapped executable in p (dlopen). */
void mallocprobes__attach_module(struct mallocprobes *m, struct process *p, uint32_t module);
/* A command about to be launched as pid: its libraries, as its dynamic
 * loader resolves them (ld.so --list), get their probes before it runs.
 * tables: the collector's, where the libraries are registered. */
void mallocprobes__prepare_launch(struct mallocprobes *m, struct tables *tables,
				  const char *path, int pid);
/* The probe whose cookie carries id, or NULL. What each process
 * allocates with, and what was left unprobed, go to its heap ledger
 * (p->heap.allocator, .skipped) as its modules are inspected. */
const struct malloc_fn *mallocprobes__fn(const struct mallocprobes *m, uint32_t id);
uint64_t mallocprobes__sample_mean(const struct mallocprobes *m);
/* Sampled mode: the BPF side's table of sampled blocks follows the
 * process: copied to a forked child, dropped at exec (forget_blocks) and
 * exit (exited, which also forgets the pid's probes). */
void mallocprobes__fork(struct mallocprobes *m, int parent, int child);
void mallocprobes__forget_blocks(struct mallocprobes *m, int pid);
void mallocprobes__exited(struct mallocprobes *m, int pid);
/* Modules inspected and kept. */
size_t mallocprobes__count(const struct mallocprobes *m);
/* Forget the modules found to hold nothing to probe (inspected again if
 * a process maps them later), and their strings; what has probes stays,
 * its ids are in the BPF side's cookies. For a long-running owner (the
 * agent), with its other sweeps. Returns how many were forgotten. */
size_t mallocprobes__sweep(struct mallocprobes *m);

#endif
