// SPDX-License-Identifier: MIT
/*
 * /metrics of the agent. Per traced process (labels service, comm, pid,
 * exe; never a stack or an address), then the agent's own counters:
 *
 *   leakscope_process_outstanding_bytes{...,kind="mmap"} 1.6777216e+07
 *   leakscope_process_outstanding_items{...,kind="fd"} 12
 *   leakscope_process_open_fds{...} 12
 *   leakscope_process_goroutines{...} 72
 *   leakscope_process_growth_bytes_per_second{...,kind="mmap"} 4096
 *   leakscope_process_suspect_stacks{...,kind="goroutine"} 1
 *   leakscope_agent_lost_events_total 0
 *
 * Ledger values are read at scrape time (exact now); growth rates and
 * suspects come from the last verdict sample (--verdict-interval).
 */
#include "agent/agent_int.h"
#include "ledgers/goallocs.h"
#include "trace/goprobes.h"
#include "ledgers/goproc.h"
#include "agent/http_server.h"
#include "agent/prom_text.h"
#include "ledgers/process.h"
#include "trace/session.h"
#include "report/report.h"
#include "symbols/stacks.h"
#include "symbols/tables.h"
#include "base/util.h"

#include <stdio.h>
#include <string.h>

#define P_LABELS 8	/* service, comm, pid, exe: 4 pairs */

struct plabels {
	const char *v[P_LABELS + 3];	/* + kind pair + NULL */
	char pid[16];
};

static void process_labels(const struct agent *a, const struct process *p, struct plabels *l,
			   const char *kind)
{
	snprintf(l->pid, sizeof(l->pid), "%d", p->pid);
	l->v[0] = "service";
	l->v[1] = agent__service(a, p);
	l->v[2] = "comm";
	l->v[3] = p->comm;
	l->v[4] = "pid";
	l->v[5] = l->pid;
	l->v[6] = "exe";
	l->v[7] = p->exe ? p->exe : "";
	l->v[8] = kind ? "kind" : NULL;
	l->v[9] = kind;
	l->v[10] = NULL;
}

/* One sample of a per-process, per-kind family. */
static void kind_sample(FILE *f, const struct agent *a, const struct process *p,
			const char *name, const char *kind, double v)
{
	struct plabels l;

	process_labels(a, p, &l, kind);
	metrics__sample(f, name, l.v, v);
}

static void go_heap(const struct process *p, uint64_t *objects, uint64_t *bytes)
{
	*objects = *bytes = 0;
	for (size_t i = 0; session__traced_as_go(p) && i < p->go->nheap; i++) {
		*objects += p->go->heap[i].inuse_count;
		*bytes += p->go->heap[i].inuse_bytes;
	}
}

static void go_allocated(const struct process *p, uint64_t *objects, uint64_t *bytes)
{
	*objects = *bytes = 0;
	for (size_t i = 0; session__traced_as_go(p) && i < p->go->allocs.n; i++) {
		const struct goalloc_tally *t = &p->go->allocs.t[i];
		uint64_t n = t->count, b = t->bytes;

		if (t->sampled)
			goallocs__scale(t->count, t->bytes, p->go->rate, &n, &b);
		*objects += n;
		*bytes += b;
	}
}

/* Sum of the last verdict sample's per-stack rates (per minute), and
 * the suspects, for one process and kind. */
static void verdict_of(const struct report *r, int pid, int kind, double *per_min,
		       uint64_t *suspects)
{
	*per_min = 0;
	*suspects = 0;
	for (size_t i = 0; r && i < r->nstacks; i++) {
		const struct report_stack *s = &r->stacks[i];

		if (s->pid != pid || (int)s->kind != kind)
			continue;
		*per_min += s->growth_per_min;
		*suspects += s->suspect;
	}
}

/* Kinds a process has, in export order. */
static const int memory_kinds[] = { KIND_MMAP, KIND_BRK, KIND_GO_HEAP, KIND_MALLOC };
static const int count_kinds[] = { KIND_FD, KIND_GOROUTINE };

/* Heap blocks are kept for this process (--malloc=sampled, not Go). */
static bool heap_traced(const struct agent *a, const struct process *p)
{
	return a->hook.mp && !session__traced_as_go(p);
}

/* Per process and kind: the growth of what it holds, per second. */
static void growth_family(FILE *f, const struct agent *a, const struct collector *c,
			  const char *name, const char *help, const int *kinds, size_t nkinds)
{
	struct plabels l;

	metrics__family(f, name, "gauge", help);
	for (size_t i = 0; i < c->nprocs; i++) {
		const struct process *p = c->procs[i];

		if (p->exited)
			continue;
		for (size_t k = 0; k < nkinds; k++) {
			double per_min;
			uint64_t sus;

			if ((kinds[k] == KIND_GO_HEAP || kinds[k] == KIND_GOROUTINE) && !session__traced_as_go(p))
				continue;
			if (kinds[k] == KIND_MALLOC && !heap_traced(a, p))
				continue;
			verdict_of(a->verdict_report, p->pid, kinds[k], &per_min, &sus);
			process_labels(a, p, &l, kind_name(kinds[k]));
			metrics__sample(f, name, l.v, per_min / 60);
		}
	}
}

/* The samples of one family for one live process. */
typedef void (*process_samples_fn)(FILE *f, const struct agent *a, const struct process *p,
				   const char *name);

static void process_family(FILE *f, const struct agent *a, const char *name,
			   const char *type, const char *help, process_samples_fn samples)
{
	const struct collector *c = &a->coll;

	metrics__family(f, name, type, help);
	for (size_t i = 0; i < c->nprocs; i++)
		if (!c->procs[i]->exited)
			samples(f, a, c->procs[i], name);
}

static void outstanding_bytes(FILE *f, const struct agent *a, const struct process *p,
			      const char *name)
{
	uint64_t objs, bytes;

	kind_sample(f, a, p, name, "mmap", p->maps.bytes);
	kind_sample(f, a, p, name, "brk", p->brk.bytes);
	if (heap_traced(a, p)) {
		heapblocks__weight(&p->heap, &objs, &bytes);
		kind_sample(f, a, p, name, "malloc", bytes);
	}
	if (session__traced_as_go(p)) {
		go_heap(p, &objs, &bytes);
		kind_sample(f, a, p, name, "go_heap", bytes);
	}
}

static void outstanding_items(FILE *f, const struct agent *a, const struct process *p,
			      const char *name)
{
	uint64_t objs, bytes;

	kind_sample(f, a, p, name, "mmap", p->maps.allocs);
	kind_sample(f, a, p, name, "brk", p->brk.n);
	kind_sample(f, a, p, name, "fd", p->fds.count);
	if (heap_traced(a, p)) {
		heapblocks__weight(&p->heap, &objs, &bytes);
		kind_sample(f, a, p, name, "malloc", objs);
	}
	if (session__traced_as_go(p)) {
		kind_sample(f, a, p, name, "goroutine", goroutines__count(&p->go->gor));
		go_heap(p, &objs, &bytes);
		kind_sample(f, a, p, name, "go_heap", objs);
	}
}

static void open_fds(FILE *f, const struct agent *a, const struct process *p, const char *name)
{
	kind_sample(f, a, p, name, NULL, p->fds.count);
}

static void goroutines(FILE *f, const struct agent *a, const struct process *p, const char *name)
{
	if (session__traced_as_go(p))
		kind_sample(f, a, p, name, NULL, goroutines__count(&p->go->gor));
}

static void go_allocated_bytes(FILE *f, const struct agent *a, const struct process *p,
			       const char *name)
{
	uint64_t objs, bytes;

	if (!session__traced_as_go(p))
		return;
	go_allocated(p, &objs, &bytes);
	kind_sample(f, a, p, name, NULL, bytes);
}

static void suspect_stacks(FILE *f, const struct agent *a, const struct process *p,
			   const char *name)
{
	for (int k = 0; k < KIND_MAX; k++) {
		double per_min;
		uint64_t sus;

		if (k == KIND_GO_ALLOC || (k == KIND_MALLOC && !heap_traced(a, p)) ||
		    ((k == KIND_GOROUTINE || k == KIND_GO_HEAP) && !session__traced_as_go(p)))
			continue;
		verdict_of(a->verdict_report, p->pid, k, &per_min, &sus);
		kind_sample(f, a, p, name, kind_name(k), sus);
	}
}

static void write_processes(struct agent *a, FILE *f)
{
	process_family(f, a, "leakscope_process_outstanding_bytes", "gauge",
		       "Memory the process still holds, by kind (mmap: mapped ranges, brk: heap "
		       "growth, go_heap: the Go runtime's in-use heap profile, malloc: heap "
		       "blocks, sampled and scaled like pprof).", outstanding_bytes);
	process_family(f, a, "leakscope_process_outstanding_items", "gauge",
		       "Items the process still holds, by kind: mappings, heap growths, fds, "
		       "goroutines, Go heap objects, heap blocks.", outstanding_items);
	process_family(f, a, "leakscope_process_open_fds", "gauge",
		       "Open file descriptors of the process.", open_fds);
	process_family(f, a, "leakscope_process_goroutines", "gauge",
		       "Live goroutines of a Go process (the runtime's own included).", goroutines);
	process_family(f, a, "leakscope_process_go_allocated_bytes_total", "counter",
		       "Go heap bytes allocated since tracing began (the runtime's samples, "
		       "scaled like pprof).", go_allocated_bytes);
	growth_family(f, a, &a->coll, "leakscope_process_growth_bytes_per_second",
		      "Growth of outstanding memory by kind: least-squares slope over the "
		      "verdict samples, summed over the process's stacks.",
		      memory_kinds, ARRAY_SIZE(memory_kinds));
	growth_family(f, a, &a->coll, "leakscope_process_growth_items_per_second",
		      "Growth of open fds and live goroutines (slope over the verdict samples).",
		      count_kinds, ARRAY_SIZE(count_kinds));
	process_family(f, a, "leakscope_process_suspect_stacks", "gauge",
		       "Call stacks of the process judged leaking (steady growth, old items).",
		       suspect_stacks);
}

static void one(FILE *f, const char *name, const char *type, const char *help, double v)
{
	metrics__family(f, name, type, help);
	metrics__sample(f, name, NULL, v);
}

/* What the agent traces: processes, items, execs. */
static void write_agent_scope(struct agent *a, FILE *f, const uint64_t *drops)
{
	struct collector *c = &a->coll;
	uint64_t items = 0;
	size_t live = 0;

	for (size_t i = 0; i < c->nprocs; i++) {
		live += !c->procs[i]->exited;
		items += caps__items(c->procs[i]);
	}
	one(f, "leakscope_agent_tracing", "gauge",
	    "1 while the probes trace (sampling interval on, not paused for overhead).",
	    a->tracing);
	one(f, "leakscope_agent_tracked_processes", "gauge", "Processes traced now.", live);
	one(f, "leakscope_agent_tracked_items", "gauge",
	    "Items held in the ledgers (mappings, heap growths, fds, goroutines).", items);
	one(f, "leakscope_agent_processes_traced_total", "counter",
	    "Processes the agent started tracing (at exec or found running).", a->procs_traced);
	one(f, "leakscope_agent_processes_refused_total", "counter",
	    "Matching processes not traced because --max-processes was reached.",
	    a->procs_refused + drops[LS_DROP_TRACED_FULL]);
	metrics__family(f, "leakscope_agent_execs_total", "counter",
			"Execs seen on the host, by whether the filters matched.");
	metrics__sample(f, "leakscope_agent_execs_total",
			(const char *const[]){ "matched", "true", NULL }, a->execs_matched);
	metrics__sample(f, "leakscope_agent_execs_total",
			(const char *const[]){ "matched", "false", NULL },
			a->execs_seen - a->execs_matched);
}

/* Records from the BPF side, and what was lost or dropped on the way. */
static void write_agent_records(struct agent *a, FILE *f, const uint64_t *drops)
{
	struct collector *c = &a->coll;

	one(f, "leakscope_agent_events_total", "counter",
	    "Records the BPF programs submitted.", a->loaded ? probes__events_sent(&a->probes) : 0);
	one(f, "leakscope_agent_records_total", "counter",
	    "Records the collector consumed.", c->records);
	one(f, "leakscope_agent_lost_events_total", "counter",
	    "Records lost whole: the ring buffer was full.", drops[LS_DROP_RINGBUF_FULL]);
	one(f, "leakscope_agent_resyncs_total", "counter",
	    "Times the ledgers were re-read from /proc after lost records.", c->resync.runs);
	one(f, "leakscope_agent_counts_inexact", "gauge",
	    "1 when records were lost and some counts could not be re-read from /proc "
	    "(exited processes, goroutines, Go allocations): they may be off either way.",
	    c->resync.inexact || drops[LS_DROP_RINGBUF_FULL] > c->resync.lost_handled);
	metrics__family(f, "leakscope_agent_drops_total", "counter",
			"Parts of records the BPF side could not capture, by reason.");
	for (int i = 0; i < LS_DROP_MAX; i++) {
		const char *name = drop_reason_name(i);

		if (name)
			metrics__sample(f, "leakscope_agent_drops_total",
					(const char *const[]){ "reason", name, NULL }, drops[i]);
	}
	metrics__family(f, "leakscope_agent_evicted_items_total", "counter",
			"Items dropped from the ledgers by the caps (--max-items-per-process, "
			"--max-items), newest first, by kind.");
	for (int k = 0; k < KIND_MAX; k++)
		if (k == KIND_MMAP || k == KIND_BRK || k == KIND_FD || k == KIND_GOROUTINE)
			metrics__sample(f, "leakscope_agent_evicted_items_total",
					(const char *const[]){ "kind", kind_name(k), NULL },
					a->caps.evicted[k]);
	one(f, "leakscope_agent_unknown_pid_records_total", "counter",
	    "Records for processes no longer tracked (late after a pause or exit).",
	    c->unknown_pid_records);
}

/* What the agent costs the host, and how it keeps that in budget. */
static void write_agent_cost(struct agent *a, FILE *f)
{
	one(f, "leakscope_agent_bpf_run_seconds_total", "counter",
	    "Run time of the agent's BPF programs (kernel BPF statistics).", a->sc.bpf_ns / (double)NS_PER_S);
	one(f, "leakscope_agent_bpf_runs_total", "counter",
	    "Runs of the agent's BPF programs.", a->sc.bpf_runs);
	one(f, "leakscope_agent_cpu_seconds_total", "counter",
	    "CPU time of the agent process, all threads.", a->sc.cpu_ns / (double)NS_PER_S);
	one(f, "leakscope_agent_overhead_ratio", "gauge",
	    "Agent CPU plus BPF run time over the last overhead window, in CPUs.",
	    a->sc.last_ratio);
	one(f, "leakscope_agent_overhead_budget_ratio", "gauge",
	    "The configured budget (--overhead-budget), in CPUs; 0 = none.", a->sc.budget);
	one(f, "leakscope_agent_overhead_pauses_total", "counter",
	    "Times the probes were paused for exceeding the overhead budget.", a->sc.backoffs);
	one(f, "leakscope_agent_paused", "gauge",
	    "1 while the probes are paused for overhead.", a->sc.paused);
	metrics__family(f, "leakscope_agent_sampling_intervals_total", "counter",
			"Probabilistic sampling intervals begun, by whether this host traced.");
	metrics__sample(f, "leakscope_agent_sampling_intervals_total",
			(const char *const[]){ "traced", "true", NULL },
			a->sampler.traced_intervals);
	metrics__sample(f, "leakscope_agent_sampling_intervals_total",
			(const char *const[]){ "traced", "false", NULL },
			a->sampler.intervals - a->sampler.traced_intervals);
	one(f, "leakscope_agent_stacks", "gauge", "Distinct call stacks interned.",
	    stacks__count(a->coll.tables.stacks));
}

/* Profiles out: built, pushed, written; requests served. */
static void write_agent_exports(struct agent *a, FILE *f)
{
	one(f, "leakscope_agent_profiles_built_total", "counter",
	    "Profiles made for pushing or writing (one per process and kind).",
	    a->profiles_built);
	if (a->pushing) {
		struct push_stats st;

		pusher__stats(&a->pusher, &st);
		one(f, "leakscope_agent_push_enqueued_total", "counter",
		    "Profiles queued for --push-url.", st.enqueued);
		one(f, "leakscope_agent_push_sent_total", "counter",
		    "Profiles the server accepted (HTTP 2xx).", st.sent);
		one(f, "leakscope_agent_push_dropped_total", "counter",
		    "Profiles dropped: the queue was full (oldest first), or left at shutdown.",
		    st.dropped);
		one(f, "leakscope_agent_push_rejected_total", "counter",
		    "Profiles the server refused for good (HTTP 4xx other than 408/429).",
		    st.rejected);
		one(f, "leakscope_agent_push_retries_total", "counter",
		    "Failed attempts that were retried after a back-off.", st.retries);
		one(f, "leakscope_agent_push_queue_length", "gauge",
		    "Profiles waiting or in flight.", st.queued);
		one(f, "leakscope_agent_push_bytes_total", "counter",
		    "Bytes of profiles sent.", st.bytes_sent);
	}
	if (a->writing) {
		one(f, "leakscope_agent_output_files_written_total", "counter",
		    "Profiles written to --output-dir.", a->out.written);
		one(f, "leakscope_agent_output_files_removed_total", "counter",
		    "Old profiles removed to stay under --output-max-size.", a->out.removed);
		one(f, "leakscope_agent_output_errors_total", "counter",
		    "Profiles that could not be written or removed.", a->out.errors);
		one(f, "leakscope_agent_output_bytes", "gauge",
		    "Bytes of profiles in --output-dir.", a->out.bytes);
	}
	one(f, "leakscope_agent_http_requests_total", "counter",
	    "Requests served on --listen.", http_server__requests(a->http));
}

static void write_agent(struct agent *a, FILE *f)
{
	uint64_t drops[LS_DROP_MAX] = { 0 };

	if (a->loaded)
		probes__read_drops(&a->probes, drops);
	selfcheck__read(&a->sc, a->loaded ? &a->probes : NULL);
	write_agent_scope(a, f, drops);
	write_agent_records(a, f, drops);
	write_agent_cost(a, f);
	write_agent_exports(a, f);
}

/* What the agent holds for the processes it traces, per table: flat
 * under process churn, since a sweep after forgetting exited processes
 * frees what only they used (symbols/tables.h). */
static void write_tables(struct agent *a, FILE *f)
{
	const struct tables *t = &a->coll.tables;
	struct table_size sz[TABLE_MAX];

	for (int k = 0; k < TABLE_MAX; k++)
		tables__size(t, k, &sz[k]);
	metrics__family(f, "leakscope_agent_table_entries", "gauge",
			"Entries in the agent's tables: strings (paths, names), stacks, "
			"modules (executable files), symbols (resolved frames), go_binaries "
			"(executables inspected).");
	for (int k = 0; k < TABLE_MAX; k++)
		metrics__sample(f, "leakscope_agent_table_entries",
				(const char *const[]){ "table", table_kind_name(k), NULL },
				sz[k].entries);
	metrics__sample(f, "leakscope_agent_table_entries",
			(const char *const[]){ "table", "go_binaries", NULL },
			goprobes__count(a->hook.gp));
	metrics__family(f, "leakscope_agent_table_bytes", "gauge",
			"Memory of the agent's tables, as they count it (libdw's own "
			"allocations for modules are not in it).");
	for (int k = 0; k < TABLE_MAX; k++)
		metrics__sample(f, "leakscope_agent_table_bytes",
				(const char *const[]){ "table", table_kind_name(k), NULL },
				sz[k].bytes);
	metrics__family(f, "leakscope_agent_table_freed_total", "counter",
			"Entries freed by sweeps of the tables (what only forgotten "
			"processes used), per table.");
	for (int k = 0; k < TABLE_MAX; k++)
		metrics__sample(f, "leakscope_agent_table_freed_total",
				(const char *const[]){ "table", table_kind_name(k), NULL },
				t->freed[k]);
	one(f, "leakscope_agent_table_sweeps_total", "counter",
	    "Sweeps of the tables: after exited processes were forgotten, or when "
	    "they doubled.", t->sweeps);
	one(f, "leakscope_agent_kept_processes", "gauge",
	    "Processes whose ledgers are kept: traced ones, and exited ones until "
	    "their last state went out.", a->coll.nprocs);
	one(f, "leakscope_agent_processes_forgotten_total", "counter",
	    "Processes dropped from the ledgers (exited and reported, or tracing paused).",
	    a->procs_forgotten);
}

void agent_metrics__write(struct agent *a, FILE *f)
{
	/* Go heap profiles are read from the processes now, so scrapes see
	 * the runtime's latest view. */
	collector__refresh(&a->coll);
	write_processes(a, f);
	write_agent(a, f);
	write_tables(a, f);
}
