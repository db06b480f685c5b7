// SPDX-License-Identifier: MIT
#include "report/json_write.h"
#include "base/jsonw.h"
#include "report/report.h"
#include "base/util.h"
#include "symbols/tables.h"

#include <string.h>

static void write_target(struct jsonw *w, const struct report_target *t)
{
	jsonw__begin_object(w);
	jsonw__field_int(w, "pid", t->pid);
	jsonw__field_string(w, "comm", t->comm);
	jsonw__field_string(w, "exe", t->exe ? t->exe : "");
	if (t->exe_file)
		jsonw__field_string(w, "exe_file", t->exe_file);
	jsonw__field_bool(w, "exited", t->exited);
	if (t->exited)
		jsonw__field_int(w, "exit_status", t->exit_status);
	if (t->go_version) {
		jsonw__key(w, "go");
		jsonw__begin_object(w);
		jsonw__field_string(w, "version", t->go_version);
		jsonw__field_int(w, "mem_profile_rate", t->go_mem_profile_rate);
		jsonw__field_string(w, "rate_source", t->go_rate_source);
		jsonw__field_uint(w, "goroutines_created", t->goroutines_created);
		jsonw__field_uint(w, "goroutines_exited", t->goroutines_exited);
		if (t->go_goroutine_mode)
			jsonw__field_string(w, "goroutine_mode", t->go_goroutine_mode);
		jsonw__field_uint(w, "runtime_goroutines", t->go_runtime_goroutines);
		if (t->go_walks) {
			/* snapshot mode: the walks of runtime.allgs */
			jsonw__key(w, "walks");
			jsonw__begin_object(w);
			jsonw__field_uint(w, "count", t->go_walks);
			jsonw__field_double(w, "interval_s", t->go_walk_interval_s);
			jsonw__field_double(w, "last_cpu_ms", t->go_walk_cpu_ms);
			jsonw__end_object(w);
		}
		jsonw__key(w, "alloc_probe_hits");
		jsonw__begin_object(w);
		jsonw__field_uint(w, "every", t->go_alloc_every);
		jsonw__field_uint(w, "sampled", t->go_alloc_sampled);
		jsonw__end_object(w);
		if (t->nalloc_sites) {
			jsonw__key(w, "alloc_check");
			jsonw__begin_array(w);
			for (size_t i = 0; i < t->nalloc_sites; i++) {
				jsonw__begin_object(w);
				jsonw__field_string(w, "site", t->alloc_sites[i].site);
				jsonw__field_uint(w, "every", t->alloc_sites[i].every);
				jsonw__field_uint(w, "sampled", t->alloc_sites[i].sampled);
				jsonw__end_object(w);
			}
			jsonw__end_array(w);
		}
		jsonw__end_object(w);
	}
	if (t->malloc_allocator || (t->malloc_mode && strcmp(t->malloc_mode, "off"))) {
		/* the malloc family: what it allocates with, how it was traced */
		jsonw__key(w, "malloc");
		jsonw__begin_object(w);
		jsonw__key(w, "allocator");
		if (t->malloc_allocator)
			jsonw__string(w, t->malloc_allocator);
		else
			jsonw__null(w);
		jsonw__field_string(w, "mode", t->malloc_mode ? t->malloc_mode : "off");
		jsonw__field_uint(w, "sample_bytes", t->malloc_sample_mean);
		jsonw__field_uint(w, "allocs", t->malloc_allocs);
		jsonw__field_uint(w, "frees", t->malloc_frees);
		jsonw__field_uint(w, "unknown_frees", t->malloc_unknown_frees);
		jsonw__field_uint(w, "replaced", t->malloc_replaced);
		jsonw__end_object(w);
	}
	jsonw__end_object(w);
}

static void write_usage(struct jsonw *w, uint64_t resident, uint64_t committed)
{
	jsonw__field_uint(w, "resident_bytes", resident);
	jsonw__field_uint(w, "committed_bytes", committed);
}

static void write_frames(struct jsonw *w, const struct report_frame *fr, size_t n)
{
	jsonw__key(w, "frames");
	jsonw__begin_array(w);
	for (size_t i = 0; i < n; i++)
		jsonw__string(w, fr[i].name);
	jsonw__end_array(w);
	/* Where each frame is, parallel to "frames": for tools that need
	 * files, lines and addresses (pprof, editors). */
	jsonw__key(w, "locations");
	jsonw__begin_array(w);
	for (size_t i = 0; i < n; i++) {
		const struct report_frame *f = &fr[i];

		jsonw__begin_object(w);
		if (f->file) {
			jsonw__field_string(w, "file", f->file);
			jsonw__field_uint(w, "line", f->line);
		}
		if (f->module)
			jsonw__field_string(w, "module", f->module);
		if (f->build_id)
			jsonw__field_string(w, "build_id", f->build_id);
		jsonw__field_uint(w, "address", f->address);
		if (f->inlined)
			jsonw__field_bool(w, "inlined", true);
		if (f->wrapper)
			jsonw__field_bool(w, "wrapper", true);
		jsonw__end_object(w);
	}
	jsonw__end_array(w);
}

static void write_states(struct jsonw *w, const struct report_state *st, size_t n)
{
	jsonw__key(w, "states");
	jsonw__begin_object(w);
	for (size_t i = 0; i < n; i++)
		jsonw__field_uint(w, st[i].name, st[i].count);
	jsonw__end_object(w);
}

/* "start", "now" and "ancestors" of a goroutine group (README). */
static void write_goroutines(struct jsonw *w, const struct report_stack *s)
{
	if (s->go_start)
		jsonw__field_string(w, "start", s->go_start);
	if (s->nnow) {
		jsonw__key(w, "now");
		jsonw__begin_array(w);
		for (size_t i = 0; i < s->nnow; i++) {
			const struct report_goroutines_now *n = &s->now[i];

			jsonw__begin_object(w);
			jsonw__field_uint(w, "count", n->count);
			write_states(w, n->states, n->nstates);
			if (n->wait_max_s >= 0) {
				jsonw__field_double(w, "wait_min_s", n->wait_min_s);
				jsonw__field_double(w, "wait_max_s", n->wait_max_s);
			}
			jsonw__field_bool(w, "truncated", n->truncated);
			write_frames(w, n->frames, n->nframes);
			jsonw__end_object(w);
		}
		jsonw__end_array(w);
	}
	if (s->nancestors) {
		jsonw__key(w, "ancestors");
		jsonw__begin_array(w);
		for (size_t i = 0; i < s->nancestors; i++) {
			jsonw__begin_object(w);
			write_frames(w, s->ancestors[i].frames, s->ancestors[i].nframes);
			jsonw__end_object(w);
		}
		jsonw__end_array(w);
	}
}

static void write_stack(struct jsonw *w, const struct report_stack *s)
{
	jsonw__begin_object(w);
	jsonw__field_string(w, "kind", kind_name(s->kind));
	jsonw__field_int(w, "pid", s->pid);
	jsonw__field_uint(w, "count", s->count);
	jsonw__field_uint(w, "bytes", s->bytes);
	if (s->measured)	/* of bytes (reserved): in RAM, private writable */
		write_usage(w, s->resident_bytes, s->committed_bytes);
	if (s->file_backed)
		jsonw__field_bool(w, "file_backed", true);
	if (s->main_goroutine)
		jsonw__field_bool(w, "main_goroutine", true);
	if (s->alloc_count || s->alloc_bytes) {
		/* allocated (not only still in use): go_heap since process
		 * start, go_alloc and malloc during the session */
		jsonw__field_uint(w, "alloc_count", s->alloc_count);
		jsonw__field_uint(w, "alloc_bytes", s->alloc_bytes);
	}
	jsonw__field_double(w, "oldest_s", s->oldest_s);
	jsonw__field_double(w, "growth_per_min", s->growth_per_min);
	jsonw__field_double(w, "growth_window_s", s->growth_window_s);
	jsonw__field_bool(w, "suspect", s->suspect);
	if (s->fd_kind)
		jsonw__field_string(w, "fd_kind", s->fd_kind);
	if (s->npaths) {
		jsonw__key(w, "paths");
		jsonw__begin_array(w);
		for (size_t i = 0; i < s->npaths; i++) {
			jsonw__begin_object(w);
			jsonw__field_string(w, "path", s->paths[i].path);
			jsonw__field_uint(w, "count", s->paths[i].count);
			jsonw__end_object(w);
		}
		jsonw__end_array(w);
	}
	/* goroutines: what they are doing now */
	if (s->nstates)
		write_states(w, s->states, s->nstates);
	write_goroutines(w, s);
	jsonw__field_bool(w, "preexisting", s->preexisting);
	if (s->allocator)
		jsonw__field_bool(w, "allocator", true);
	jsonw__field_bool(w, "truncated", s->truncated);
	write_frames(w, s->frames, s->nframes);
	jsonw__end_object(w);
}

int report_json__write(FILE *f, const struct report *r)
{
	struct jsonw w;

	jsonw__init(&w, f, true);
	jsonw__begin_object(&w);
	jsonw__field_int(&w, "version", r->version);
	jsonw__field_string(&w, "tool", "leakscope");
	jsonw__field_double(&w, "start_unix_s", r->start_unix_ns / (double)NS_PER_S);
	jsonw__field_double(&w, "duration_s", r->duration_s);
	jsonw__field_double(&w, "attach_s", r->attach_s);
	jsonw__field_double(&w, "min_age_s", r->min_age_s);
	jsonw__key(&w, "targets");
	jsonw__begin_array(&w);
	for (size_t i = 0; i < r->ntargets; i++)
		write_target(&w, &r->targets[i]);
	jsonw__end_array(&w);
	jsonw__field_uint(&w, "lost_events", r->lost_events);
	jsonw__key(&w, "drops");
	jsonw__begin_object(&w);
	for (int i = 0; i < LS_DROP_MAX; i++) {
		if (!drop_reason_name(i))
			continue;
		jsonw__key(&w, drop_reason_name(i));
		jsonw__uint(&w, r->drops[i]);
	}
	jsonw__end_object(&w);
	jsonw__key(&w, "resync");
	jsonw__begin_object(&w);
	jsonw__field_uint(&w, "runs", r->resync.runs);
	jsonw__field_uint(&w, "fds_added", r->resync.fds_added);
	jsonw__field_uint(&w, "fds_removed", r->resync.fds_removed);
	jsonw__field_uint(&w, "bytes_added", r->resync.bytes_added);
	jsonw__field_uint(&w, "bytes_removed", r->resync.bytes_removed);
	jsonw__end_object(&w);
	jsonw__key(&w, "counts_inexact");
	jsonw__bool(&w, r->resync.inexact);
	jsonw__field_uint(&w, "unresolved_frames", r->unresolved_frames);
	jsonw__key(&w, "stats");
	jsonw__begin_object(&w);
	jsonw__field_uint(&w, "records", r->stats.records);
	jsonw__field_uint(&w, "stacks_unwound", r->stats.stacks_unwound);
	jsonw__field_uint(&w, "stacks_truncated", r->stats.stacks_truncated);
	jsonw__field_uint(&w, "stacks_stitched", r->stats.stacks_stitched);
	jsonw__field_uint(&w, "stacks_broken", r->stats.stacks_broken);
	jsonw__field_uint(&w, "stacks_cgo", r->stats.stacks_cgo);
	jsonw__field_uint(&w, "go_stacks_copied", r->stats.go_stacks_copied);
	jsonw__field_double(&w, "unwind_us_per_stack", r->stats.unwind_us_per_stack);
	if (r->has_kind[KIND_MALLOC])
		jsonw__field_uint(&w, "malloc_failed", r->stats.malloc_failed);
	/* "tables": {"strings": {"entries": 25, "bytes": 2385}, ...} */
	jsonw__key(&w, "tables");
	jsonw__begin_object(&w);
	for (int k = 0; k < REPORT_TABLES; k++) {
		jsonw__key(&w, table_kind_name(k));
		jsonw__begin_object(&w);
		jsonw__field_uint(&w, "entries", r->stats.tables[k].entries);
		jsonw__field_uint(&w, "bytes", r->stats.tables[k].bytes);
		jsonw__end_object(&w);
	}
	jsonw__end_object(&w);
	jsonw__end_object(&w);
	jsonw__key(&w, "totals");
	jsonw__begin_object(&w);
	for (int k = 0; k < KIND_MAX; k++) {
		const struct report_total *t = &r->totals[k];

		if (!r->has_kind[k])
			continue;
		jsonw__key(&w, kind_name(k));
		jsonw__begin_object(&w);
		jsonw__field_uint(&w, "count", t->count);
		jsonw__field_uint(&w, "bytes", t->bytes);
		jsonw__field_uint(&w, "hidden_count", t->hidden_count);
		jsonw__field_uint(&w, "hidden_bytes", t->hidden_bytes);
		if (t->measured)
			write_usage(&w, t->resident_bytes, t->committed_bytes);
		if (t->file_count) {
			/* the part of the above that maps files */
			jsonw__key(&w, "file_backed");
			jsonw__begin_object(&w);
			jsonw__field_uint(&w, "count", t->file_count);
			jsonw__field_uint(&w, "bytes", t->file_bytes);
			if (t->measured)
				write_usage(&w, t->file_resident_bytes, t->file_committed_bytes);
			jsonw__end_object(&w);
		}
		jsonw__end_object(&w);
	}
	jsonw__end_object(&w);
	jsonw__key(&w, "notes");
	jsonw__begin_array(&w);
	for (size_t i = 0; i < r->nnotes; i++)
		jsonw__string(&w, r->notes[i]);
	jsonw__end_array(&w);
	jsonw__key(&w, "stacks");
	jsonw__begin_array(&w);
	for (size_t i = 0; i < r->nstacks; i++)
		write_stack(&w, &r->stacks[i]);
	jsonw__end_array(&w);
	jsonw__end_object(&w);
	return ferror(f) ? -1 : 0;
}
