/* SPDX-License-Identifier: MIT */
/*
 * Owns the BPF side: loads the objects, sizes their maps, attaches every
 * probe from one table, keeps every link in one place that destroy
 * releases, and reads the shared counters.
 */
#ifndef LS_PROBES_H
#define LS_PROBES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "leakscope.h"

struct logger;
struct ring_buffer;
struct bpf_link;
struct native_bpf;
struct go_bpf;
struct malloc_bpf;
struct unwind_guard_bpf;

struct probe_config {
	bool follow_forks;
	bool trace_all;
	unsigned stack_depth;	/* frames */
	unsigned snapshot_kib;	/* user stack copied per event; 0 = off */
	uint64_t ringbuf_bytes;	/* a power of two the kernel takes (a __u32) */
	unsigned max_traced;	/* processes */
	bool notify_all_execs;	/* agent: exec records for every process */
	int verbose;
	const struct logger *log;	/* how to say things (NULL: plain) */
	int malloc_mode;	/* enum malloc_mode: 0 = the object is not loaded */
	uint64_t malloc_sample_mean;	/* bytes; sampled mode */
};

struct probes {
	struct native_bpf *native;
	struct go_bpf *go;		/* Go uprobe programs, same maps */
	struct malloc_bpf *malloc;	/* malloc family (--malloc), same maps */
	bool malloc_session;		/* session uprobes (6.13+) are used */
	struct unwind_guard_bpf *guard;	/* exceptions through probed calls;
					 * NULL if the kernel refused it */
	struct bpf_link **links;
	size_t nlinks;
	size_t skipped_optional;	/* tracepoints this kernel lacks */
	struct ring_buffer *rb;
	const struct logger *log;	/* from the config; Go probes use it too */
};

/* Open and load (no probe attached yet): 0 or -errno, message printed. */
int probes__load(struct probes *p, const struct probe_config *cfg);
/* Attach the native tracepoints: 0 or -errno, message printed. */
int probes__attach_native(struct probes *p);
int probes__trace_pid(struct probes *p, int pid);
/* Stop tracing pid (0 or -errno); every pid at once (agent pauses). */
int probes__untrace_pid(struct probes *p, int pid);
void probes__untrace_all(struct probes *p);
/* Pause (false) or resume every attached program without detaching. */
void probes__set_enabled(struct probes *p, bool enabled);
/* Ring buffer consumer calling fn(ctx, record, size) per record. */
int probes__open_ring(struct probes *p,
		      int (*fn)(void *ctx, void *data, size_t size), void *ctx);
/* Summed per-CPU counters. */
void probes__read_drops(const struct probes *p, uint64_t drops[LS_DROP_MAX]);
uint64_t probes__events_sent(const struct probes *p);
/* A per-CPU statistics slot (enum ls_stat), summed. */
uint64_t probes__stat(const struct probes *p, uint32_t slot);
void probes__destroy(struct probes *p);
/* A Go process: where its runtime keeps g in TLS, so native events in
 * C code it calls through cgo carry the goroutine's stack too. */
int probes__set_go_proc(struct probes *p, int pid, int64_t tls_g_off);
/* Keep a link (attached elsewhere, e.g. Go uprobes) for destroy. */
void probes__keep_link(struct probes *p, struct bpf_link *link);
/* libbpf's log goes through this, as log says things; quiet unless
 * verbose >= 2. */
void probes__set_verbosity(int verbose, const struct logger *log);

#endif
