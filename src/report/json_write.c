// SPDX-License-Identifier: MIT
#include "report/json_write.h"
#include "base/jsonw.h"
#include "report/report.h"

static void write_target(struct jsonw *w, const struct report_target *t)
{
	jsonw__begin_object(w);
	jsonw__key(w, "pid");
	jsonw__int(w, t->pid);
	jsonw__key(w, "comm");
	jsonw__string(w, t->comm);
	jsonw__key(w, "exe");
	jsonw__string(w, t->exe ? t->exe : "");
	jsonw__key(w, "exited");
	jsonw__bool(w, t->exited);
	if (t->exited) {
		jsonw__key(w, "exit_status");
		jsonw__int(w, t->exit_status);
	}
	if (t->go_version) {
		jsonw__key(w, "go");
		jsonw__begin_object(w);
		jsonw__key(w, "version");
		jsonw__string(w, t->go_version);
		jsonw__key(w, "mem_profile_rate");
		jsonw__int(w, t->go_mem_profile_rate);
		jsonw__key(w, "rate_source");
		jsonw__string(w, t->go_rate_source);
		jsonw__key(w, "goroutines_created");
		jsonw__uint(w, t->goroutines_created);
		jsonw__key(w, "goroutines_exited");
		jsonw__uint(w, t->goroutines_exited);
		jsonw__key(w, "alloc_probe_hits");
		jsonw__begin_object(w);
		jsonw__key(w, "every");
		jsonw__uint(w, t->go_alloc_every);
		jsonw__key(w, "sampled");
		jsonw__uint(w, t->go_alloc_sampled);
		jsonw__end_object(w);
		if (t->nalloc_sites) {
			jsonw__key(w, "alloc_check");
			jsonw__begin_array(w);
			for (size_t i = 0; i < t->nalloc_sites; i++) {
				jsonw__begin_object(w);
				jsonw__key(w, "site");
				jsonw__string(w, t->alloc_sites[i].site);
				jsonw__key(w, "every");
				jsonw__uint(w, t->alloc_sites[i].every);
				jsonw__key(w, "sampled");
				jsonw__uint(w, t->alloc_sites[i].sampled);
				jsonw__end_object(w);
			}
			jsonw__end_array(w);
		}
		jsonw__end_object(w);
	}
	jsonw__end_object(w);
}

static void write_stack(struct jsonw *w, const struct report_stack *s)
{
	jsonw__begin_object(w);
	jsonw__key(w, "kind");
	jsonw__string(w, kind_name(s->kind));
	jsonw__key(w, "pid");
	jsonw__int(w, s->pid);
	jsonw__key(w, "count");
	jsonw__uint(w, s->count);
	jsonw__key(w, "bytes");
	jsonw__uint(w, s->bytes);
	if (s->alloc_count || s->alloc_bytes) {
		/* allocated (not only still in use): go_heap since process
		 * start, go_alloc during the session */
		jsonw__key(w, "alloc_count");
		jsonw__uint(w, s->alloc_count);
		jsonw__key(w, "alloc_bytes");
		jsonw__uint(w, s->alloc_bytes);
	}
	jsonw__key(w, "oldest_s");
	jsonw__double(w, s->oldest_s);
	jsonw__key(w, "growth_per_min");
	jsonw__double(w, s->growth_per_min);
	jsonw__key(w, "suspect");
	jsonw__bool(w, s->suspect);
	if (s->fd_kind) {
		jsonw__key(w, "fd_kind");
		jsonw__string(w, s->fd_kind);
	}
	if (s->npaths) {
		jsonw__key(w, "paths");
		jsonw__begin_array(w);
		for (size_t i = 0; i < s->npaths; i++) {
			jsonw__begin_object(w);
			jsonw__key(w, "path");
			jsonw__string(w, s->paths[i].path);
			jsonw__key(w, "count");
			jsonw__uint(w, s->paths[i].count);
			jsonw__end_object(w);
		}
		jsonw__end_array(w);
	}
	if (s->nstates) {
		/* goroutines: what they are doing now */
		jsonw__key(w, "states");
		jsonw__begin_object(w);
		for (size_t i = 0; i < s->nstates; i++) {
			jsonw__key(w, s->states[i].name);
			jsonw__uint(w, s->states[i].count);
		}
		jsonw__end_object(w);
	}
	jsonw__key(w, "preexisting");
	jsonw__bool(w, s->preexisting);
	jsonw__key(w, "truncated");
	jsonw__bool(w, s->truncated);
	jsonw__key(w, "frames");
	jsonw__begin_array(w);
	for (size_t i = 0; i < s->nframes; i++)
		jsonw__string(w, s->frames[i].name);
	jsonw__end_array(w);
	/* Where each frame is, parallel to "frames": for tools that need
	 * files, lines and addresses (pprof, editors). */
	jsonw__key(w, "locations");
	jsonw__begin_array(w);
	for (size_t i = 0; i < s->nframes; i++) {
		const struct report_frame *f = &s->frames[i];

		jsonw__begin_object(w);
		if (f->file) {
			jsonw__key(w, "file");
			jsonw__string(w, f->file);
			jsonw__key(w, "line");
			jsonw__uint(w, f->line);
		}
		if (f->module) {
			jsonw__key(w, "module");
			jsonw__string(w, f->module);
		}
		if (f->build_id) {
			jsonw__key(w, "build_id");
			jsonw__string(w, f->build_id);
		}
		jsonw__key(w, "address");
		jsonw__uint(w, f->address);
		if (f->inlined) {
			jsonw__key(w, "inlined");
			jsonw__bool(w, true);
		}
		jsonw__end_object(w);
	}
	jsonw__end_array(w);
	jsonw__end_object(w);
}

int report_json__write(FILE *f, const struct report *r)
{
	struct jsonw w;

	jsonw__init(&w, f, true);
	jsonw__begin_object(&w);
	jsonw__key(&w, "version");
	jsonw__int(&w, r->version);
	jsonw__key(&w, "tool");
	jsonw__string(&w, "leakscope");
	jsonw__key(&w, "start_unix_s");
	jsonw__double(&w, r->start_unix_ns / 1e9);
	jsonw__key(&w, "duration_s");
	jsonw__double(&w, r->duration_s);
	jsonw__key(&w, "min_age_s");
	jsonw__double(&w, r->min_age_s);
	jsonw__key(&w, "targets");
	jsonw__begin_array(&w);
	for (size_t i = 0; i < r->ntargets; i++)
		write_target(&w, &r->targets[i]);
	jsonw__end_array(&w);
	jsonw__key(&w, "lost_events");
	jsonw__uint(&w, r->lost_events);
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
	jsonw__key(&w, "runs");
	jsonw__uint(&w, r->resync.runs);
	jsonw__key(&w, "fds_added");
	jsonw__uint(&w, r->resync.fds_added);
	jsonw__key(&w, "fds_removed");
	jsonw__uint(&w, r->resync.fds_removed);
	jsonw__key(&w, "bytes_added");
	jsonw__uint(&w, r->resync.bytes_added);
	jsonw__key(&w, "bytes_removed");
	jsonw__uint(&w, r->resync.bytes_removed);
	jsonw__end_object(&w);
	jsonw__key(&w, "counts_inexact");
	jsonw__bool(&w, r->resync.inexact);
	jsonw__key(&w, "unresolved_frames");
	jsonw__uint(&w, r->unresolved_frames);
	jsonw__key(&w, "stats");
	jsonw__begin_object(&w);
	jsonw__key(&w, "records");
	jsonw__uint(&w, r->stats.records);
	jsonw__key(&w, "stacks_unwound");
	jsonw__uint(&w, r->stats.stacks_unwound);
	jsonw__key(&w, "stacks_truncated");
	jsonw__uint(&w, r->stats.stacks_truncated);
	jsonw__key(&w, "stacks_stitched");
	jsonw__uint(&w, r->stats.stacks_stitched);
	jsonw__key(&w, "stacks_broken");
	jsonw__uint(&w, r->stats.stacks_broken);
	jsonw__key(&w, "stacks_cgo");
	jsonw__uint(&w, r->stats.stacks_cgo);
	jsonw__key(&w, "unwind_us_per_stack");
	jsonw__double(&w, r->stats.unwind_us_per_stack);
	jsonw__end_object(&w);
	jsonw__key(&w, "totals");
	jsonw__begin_object(&w);
	for (int k = 0; k < KIND_MAX; k++) {
		const struct report_total *t = &r->totals[k];

		if (!r->has_kind[k])
			continue;
		jsonw__key(&w, kind_name(k));
		jsonw__begin_object(&w);
		jsonw__key(&w, "count");
		jsonw__uint(&w, t->count);
		jsonw__key(&w, "bytes");
		jsonw__uint(&w, t->bytes);
		jsonw__key(&w, "hidden_count");
		jsonw__uint(&w, t->hidden_count);
		jsonw__key(&w, "hidden_bytes");
		jsonw__uint(&w, t->hidden_bytes);
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
