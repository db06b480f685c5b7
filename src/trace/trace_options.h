/* SPDX-License-Identifier: MIT */
/*
 * The options of tracing that both commands take (the tracer's flags and
 * the agent's flags and config keys): one table of names, limits and
 * parsers, so `leakscope --ring-buffer N` and `leakscope agent
 * --ring-buffer N` accept exactly the same values and refuse the others
 * with the same line. Each command keeps its own defaults.
 */
#ifndef LS_TRACE_OPTIONS_H
#define LS_TRACE_OPTIONS_H

#include <stddef.h>
#include <stdint.h>
#include "leakscope.h"

#define TRACE_STACK_DEPTH_MAX LS_MAX_STACK_DEPTH
/* The BPF side copies the live stack a page at a time. */
#define TRACE_SNAPSHOT_KIB_STEP (LS_PAGE_BYTES / 1024)
#define TRACE_SNAPSHOT_KIB_MAX (LS_SNAPSHOT_MAX_PAGES * TRACE_SNAPSHOT_KIB_STEP)
/* A BPF ring buffer's size is its map's max_entries, a __u32 that must
 * be a power of two: 2^31 bytes is the largest the kernel can take. */
#define TRACE_RINGBUF_MIB_MAX 2048u
/* --malloc-rate: a mean above a TiB samples nothing a process could
 * allocate in a session. */
#define TRACE_MALLOC_RATE_MAX (1ULL << 40)

enum trace_option {
	TRACE_OPT_STACK_DEPTH,
	TRACE_OPT_STACK_SNAPSHOT,
	TRACE_OPT_RING_BUFFER,
	TRACE_OPT_SUSPECT_AGE,
	TRACE_OPT_GO_ALLOC,
	TRACE_OPT_GO_GOROUTINES,
	TRACE_OPT_MALLOC,
	TRACE_OPT_MALLOC_RATE,
	TRACE_OPT_MAX,
};

struct trace_options {
	unsigned stack_depth;	/* frames, 1 to TRACE_STACK_DEPTH_MAX */
	unsigned snapshot_kib;	/* user stack copied per event; 0 = off */
	unsigned ringbuf_mib;	/* a power of two up to TRACE_RINGBUF_MIB_MAX */
	double suspect_age_s;	/* a suspected leak's oldest item is older */
	int go_alloc;		/* enum go_alloc_mode */
	unsigned go_alloc_modes;	/* the modes this command offers: bit
					 * (1 << mode) for each */
	int go_goroutines;	/* enum go_goroutine_mode (both commands
				 * offer both; their defaults differ) */
	int malloc;		/* enum malloc_mode */
	unsigned malloc_modes;	/* offered, as go_alloc_modes */
	uint64_t malloc_rate;	/* sampled: mean bytes between samples */
};

/* The long option's name ("ring-buffer"), also the agent's config key;
 * NULL past the table. */
const char *trace_option__name(enum trace_option opt);
/* The option called name, or -1. */
int trace_option__find(const char *name);
/* What the value looks like ("MIB"; for go-alloc, go-goroutines and
 * malloc the modes offered). */
void trace_option__arg(enum trace_option opt, const struct trace_options *o,
		       char *buf, size_t size);
/* The help text, ending with the command's default (taken from o). */
void trace_option__help(enum trace_option opt, const struct trace_options *o,
			char *buf, size_t size);
/* Set opt from text. 0, or -EINVAL/-ERANGE with err holding one line
 * that names the option, the value and what it takes:
 *   invalid --ring-buffer '4096' (MiB: a power of two from 1 to 2048) */
int trace_option__set(struct trace_options *o, enum trace_option opt,
		      const char *value, char *err, size_t errlen);

/* The ring buffer's size in bytes (64 bits: no shift overflows). */
uint64_t trace_options__ringbuf_bytes(const struct trace_options *o);

#endif
