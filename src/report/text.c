// SPDX-License-Identifier: MIT
#include "report/text.h"
#include "report/report.h"
#include "report/frames.h"
#include "base/util.h"

#include <inttypes.h>
#include <string.h>
#include <sys/wait.h>

const char *format_bytes(uint64_t n, char *buf, size_t size)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)n;
	size_t u = 0;

	while (v >= 1024 && u + 1 < ARRAY_SIZE(units)) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, size, "%" PRIu64 " B", n);
	else
		snprintf(buf, size, "%.1f %s", v, units[u]);
	return buf;
}

static void describe_exit(char *buf, size_t size, int status)
{
	if (WIFSIGNALED(status))
		snprintf(buf, size, "killed by signal %d", WTERMSIG(status));
	else
		snprintf(buf, size, "exited with status %d", WEXITSTATUS(status));
}

/*
 * leakscope: 1 process traced for 15.0 s (attaching took 0.4 s before that), lost events 0
 *   pid 4242 redis-server (/usr/bin/redis-server -> /usr/bin/redis-check-rdb)
 */
static void write_header(FILE *f, const struct report *r)
{
	char why[64];

	fprintf(f, "leakscope: %zu process%s traced for %.1f s", r->ntargets,
		r->ntargets == 1 ? "" : "es", r->duration_s);
	if (r->attach_s > 0)
		fprintf(f, " (attaching took %.1f s before that)", r->attach_s);
	fprintf(f, ", lost events %" PRIu64, r->lost_events);
	if (r->stats.stacks_truncated)
		fprintf(f, ", stacks truncated %" PRIu64 " (raise --stack-snapshot)",
			r->stats.stacks_truncated);
	if (r->unresolved_frames)
		fprintf(f, ", frames without a name %" PRIu64 " (a -dbgsym package or "
			"debug info by build id names them)", r->unresolved_frames);
	if (r->drops[LS_DROP_STACK_FAILED] || r->drops[LS_DROP_PATH_FAILED])
		fprintf(f, ", stacks failed %" PRIu64 ", paths failed %" PRIu64,
			r->drops[LS_DROP_STACK_FAILED],
			r->drops[LS_DROP_PATH_FAILED]);
	fputc('\n', f);
	/*   records lost: ledgers re-read from /proc 1 time (+12 -3 fds, ...)
	 *   counts inexact: ... */
	if (r->resync.runs)
		fprintf(f, "  records lost: ledgers re-read from /proc %" PRIu64 " time%s "
			"(fds +%" PRIu64 " -%" PRIu64 ", bytes +%" PRIu64 " -%" PRIu64
			"; what was added has no stack)\n", r->resync.runs,
			r->resync.runs == 1 ? "" : "s", r->resync.fds_added,
			r->resync.fds_removed, r->resync.bytes_added, r->resync.bytes_removed);
	if (r->resync.inexact)
		fputs("  counts inexact: records were lost and not every count could be "
		      "re-read from /proc (exited processes, goroutines, Go allocations)\n", f);
	for (size_t i = 0; i < r->ntargets; i++) {
		const struct report_target *t = &r->targets[i];

		fprintf(f, "  pid %d %s (%s", t->pid, t->comm, t->exe ? t->exe : "?");
		if (t->exe_file)
			fprintf(f, " -> %s", t->exe_file);
		fputc(')', f);
		if (t->exited) {
			describe_exit(why, sizeof(why), t->exit_status);
			fprintf(f, ": %s; showing what it held at exit", why);
		}
		fputc('\n', f);
	}
	for (size_t i = 0; i < r->nnotes; i++)
		fprintf(f, "  note: %s\n", r->notes[i]);
	for (int k = 0; k < KIND_MAX; k++)
		if (r->has_kind[k] && r->totals[k].measured) {
			fputs("  memory: resident = in RAM; committed = private writable memory, "
			      "counted against the kernel's commit limit; reserved = address space "
			      "mapped, used or not (read each second while a process runs)\n", f);
			break;
		}
}

/* "1.0 MiB resident, 4.0 MiB committed, 64.0 MiB reserved" */
static void write_memory(FILE *f, bool measured, uint64_t resident, uint64_t committed,
			 uint64_t reserved)
{
	char b1[32], b2[32], b3[32];

	if (measured)
		fprintf(f, "%s resident, %s committed, %s reserved",
			format_bytes(resident, b1, sizeof(b1)),
			format_bytes(committed, b2, sizeof(b2)),
			format_bytes(reserved, b3, sizeof(b3)));
	else if (reserved)
		fprintf(f, "%s reserved (use not measured)", format_bytes(reserved, b1, sizeof(b1)));
	else
		fputs("0 B", f);
}

/*
 * mmap: 25 mappings outstanding: 2.1 MiB resident, 68.3 MiB committed, 694.8 MiB reserved
 *   apart: 12 file mappings (code, libraries, data files), 3.2 MiB resident of 9.9 MiB
 */
static void write_memory_total(FILE *f, enum ls_kind k, const struct report_total *t)
{
	char b1[32], b2[32];

	fprintf(f, "\n%s: %" PRIu64 " %s outstanding: ", kind_name(k), t->count - t->file_count,
		kind_item_name(k, t->count - t->file_count));
	write_memory(f, t->measured, t->resident_bytes - t->file_resident_bytes,
		     t->committed_bytes - t->file_committed_bytes, t->bytes - t->file_bytes);
	if (t->file_count) {
		fprintf(f, "\n  apart: %" PRIu64 " file %s (code, libraries, data files), ",
			t->file_count, kind_item_name(k, t->file_count));
		if (t->measured)
			fprintf(f, "%s resident of %s",
				format_bytes(t->file_resident_bytes, b1, sizeof(b1)),
				format_bytes(t->file_bytes, b2, sizeof(b2)));
		else
			fputs(format_bytes(t->file_bytes, b1, sizeof(b1)), f);
	}
}

/*
 * mmap: 6 mappings outstanding, 448.0 KiB (1 younger than 0.5 s not shown)
 *   320.0 KiB in 5 mappings, oldest 4.9 s, pid 4242
 *       leak_mmap_site (tests/workloads/native_leaks.c:73)
 *       main (tests/workloads/native_leaks.c:365)
 */
static void write_kind(FILE *f, const struct report *r, enum ls_kind k,
		       const struct text_options *o)
{
	const struct report_total *t = &r->totals[k];
	char b1[32], b2[32];
	size_t shown = 0;

	if (k == KIND_MMAP || k == KIND_BRK) {
		write_memory_total(f, k, t);
	} else {
		fprintf(f, "\n%s: %" PRIu64 " %s %s", kind_name(k), t->count,
			kind_item_name(k, t->count),
			k == KIND_GO_ALLOC ? "allocated while traced" : "outstanding");
		if (kind_has_bytes(k))
			fprintf(f, ", %s", format_bytes(t->bytes, b1, sizeof(b1)));
	}
	if (t->hidden_count)
		fprintf(f, " (%" PRIu64 " younger than %.1f s not shown)",
			t->hidden_count, r->min_age_s);
	fputc('\n', f);
	for (size_t i = 0; i < r->nstacks; i++) {
		const struct report_stack *s = &r->stacks[i];
		size_t from, to;

		if (s->kind != k)
			continue;
		if (o->top && shown == o->top) {
			fprintf(f, "  ... more stacks not shown (use --top 0 or JSON)\n");
			break;
		}
		shown++;
		fputs("  ", f);
		if (s->suspect)
			fputs("SUSPECT ", f);
		if (k == KIND_MMAP || k == KIND_BRK) {
			write_memory(f, s->measured, s->resident_bytes, s->committed_bytes,
				     s->bytes);
			fputs(" in ", f);
		} else if (kind_has_bytes(k)) {
			fprintf(f, "%s in ", format_bytes(s->bytes, b2, sizeof(b2)));
		}
		fprintf(f, "%" PRIu64 " %s%s%s%s", s->count,
			s->fd_kind ? s->fd_kind : "", s->fd_kind ? " " : "",
			s->file_backed ? "file " : "", kind_item_name(k, s->count));
		if (s->preexisting)
			fprintf(f, ", held since before attach (%.1f s ago or more), pid %d",
				s->oldest_s, s->pid);
		else if (k == KIND_GO_HEAP)	/* objects carry no birth time */
			fprintf(f, ", first grew %.1f s ago, pid %d", s->oldest_s, s->pid);
		else
			fprintf(f, ", oldest %.1f s, pid %d", s->oldest_s, s->pid);
		if (o->growth) {
			int64_t g = o->growth(o->growth_ctx, s);

			if (kind_has_bytes(k))
				fprintf(f, ", %s%s since last", g < 0 ? "-" : "+",
					format_bytes(g < 0 ? -g : g, b1, sizeof(b1)));
			else
				fprintf(f, ", %+" PRId64 " since last", g);
		}
		/* A rate is evidence only with a verdict behind it. A crafted
		 * report's rate is clamped: a cast out of range is undefined. */
		if (s->suspect && kind_has_bytes(k))
			fprintf(f, ", growing %s/min over the last %.0f s",
				format_bytes(!(s->growth_per_min > 0) ? 0 :
					     s->growth_per_min < 1.8e19 ?
					     (uint64_t)s->growth_per_min : UINT64_MAX,
					     b1, sizeof(b1)),
				s->growth_window_s);
		else if (s->suspect)
			fprintf(f, ", growing %.1f/min over the last %.0f s", s->growth_per_min,
				s->growth_window_s);
		fputc('\n', f);
		for (size_t p = 0; p < s->npaths; p++)
			fprintf(f, "      %" PRIu64 " x %s\n", s->paths[p].count,
				s->paths[p].path);
		if (s->nstates) {
			fputs("      now:", f);
			for (size_t i = 0; i < s->nstates; i++)
				fprintf(f, "%s %" PRIu64 " %s", i ? "," : "",
					s->states[i].count, s->states[i].name);
			fputc('\n', f);
		}
		if (s->main_goroutine) {
			fputs("      [the main goroutine: the runtime started it, no creator]\n", f);
			continue;
		}
		if (s->preexisting && !s->nframes) {
			fputs("      [held before leakscope attached: creator unknown]\n", f);
			continue;
		}
		if (o->max_frames)
			frames__shorten(s, o->max_frames, &from, &to);
		else
			from = 0, to = s->nframes;
		if (!s->nframes)
			fputs("      [no stack captured]\n", f);
		if (from)
			fprintf(f, "      ... %zu runtime/library frame%s\n", from, from == 1 ? "" : "s");
		for (size_t j = from; j < to; j++) {
			const struct report_frame *fr = &s->frames[j];

			fprintf(f, "      %s", fr->name);
			if (fr->file)
				fprintf(f, " (%s:%u)", fr->file, fr->line);
			fputc('\n', f);
		}
		if (to < s->nframes)
			fprintf(f, "      ... %zu runtime/library frame%s\n", s->nframes - to,
				s->nframes - to == 1 ? "" : "s");
		else if (s->truncated)
			fputs("      ... [stack truncated: raise --stack-depth]\n", f);
	}
}

int report_text__write(FILE *f, const struct report *r,
		       const struct text_options *o)
{
	write_header(f, r);
	for (int k = 0; k < KIND_MAX; k++)
		if (r->has_kind[k])
			write_kind(f, r, k, o);
	return ferror(f) ? -1 : 0;
}
