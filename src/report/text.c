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
		      "re-read from /proc (exited processes, goroutines, Go allocations, malloc blocks)\n", f);
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
 * A stack's frames at indent; at most max (0: all) unless the program's
 * own need more: runtime and library frames go first (frames__shorten),
 * counted where they were. deeper: what to say when the capture was cut.
 */
static void write_frames(FILE *f, const struct report_frame *fr, size_t n, bool truncated,
			 size_t max, const char *indent, const char *deeper)
{
	const struct report_stack whole = { .frames = (struct report_frame *)fr, .nframes = n };
	size_t from = 0, to = n;

	if (max)
		frames__shorten(&whole, max, &from, &to);
	if (from)
		fprintf(f, "%s... %zu runtime/library frame%s\n", indent, from,
			from == 1 ? "" : "s");
	for (size_t j = from; j < to; j++) {
		/* flagged in current stacks only (one a panic went through
		 * is not flagged: Go's tracebacks show it) */
		if (fr[j].wrapper)
			continue;
		fprintf(f, "%s%s", indent, fr[j].name);
		if (fr[j].file)
			fprintf(f, " (%s:%u)", fr[j].file, fr[j].line);
		fputc('\n', f);
	}
	if (to < n)
		fprintf(f, "%s... %zu runtime/library frame%s\n", indent, n - to,
			n - to == 1 ? "" : "s");
	else if (truncated)
		fprintf(f, "%s... [%s]\n", indent, deeper);
}

/* Frames of the runtime's own workings (runtime.gopark, chanrecv...) at
 * the top of a current stack are left out of the text, as Go's own
 * tracebacks leave them out: the first frame shown is where the user's
 * code (or a library's) waits. Exported runtime functions stay. */
static size_t runtime_top(const struct report_goroutines_now *n)
{
	size_t i = 0;

	while (i + 1 < n->nframes && n->frames[i].name &&
	       !strncmp(n->frames[i].name, "runtime.", 8) &&
	       !(n->frames[i].name[8] >= 'A' && n->frames[i].name[8] <= 'Z'))
		i++;
	return i;
}

#define TEXT_MAX_NOW 3	/* current stacks shown per group */

static void write_wait(FILE *f, const struct report_goroutines_now *n)
{
	if (n->wait_max_s < 0)
		return;
	if (n->wait_max_s - n->wait_min_s < 0.05)
		fprintf(f, " for %.1f s", n->wait_max_s);
	else
		fprintf(f, " for %.1f-%.1f s", n->wait_min_s, n->wait_max_s);
}

/*
 * A goroutine group after its header line (which names the function its
 * goroutines run): the creation stack, its creators' creation stacks
 * while those are all library code, then where they are now:
 *
 *       net/http.(*Transport).dialConn (net/http/transport.go:1776)
 *       net/http.(*Transport).dialConnFor (net/http/transport.go:1467)
 *       [by a goroutine created at:]
 *           net/http.(*Transport).queueForDial (net/http/transport.go:1436)
 *           ...
 *           main.leakA (tests/workloads/go/httpleak/main.go:40)
 *       now: 5 in IO wait for 2.0 s, at:
 *           net/http.(*persistConn).readLoop (net/http/transport.go:2227)
 */
static void write_goroutines(FILE *f, const struct report_stack *s, size_t max_frames)
{
	if (s->main_goroutine)
		fputs("      [the main goroutine: the runtime started it, no creator]\n", f);
	else if (s->preexisting && !s->nframes)
		fputs("      [held before leakscope attached: creator unknown]\n", f);
	else if (!s->nframes)
		fputs("      [no stack captured]\n", f);
	write_frames(f, s->frames, s->nframes, s->truncated, max_frames, "      ",
		     "stack truncated: raise --stack-depth");
	for (size_t i = 0; i < s->nancestors; i++) {
		fputs("      [by a goroutine created at:]\n", f);
		write_frames(f, s->ancestors[i].frames, s->ancestors[i].nframes, false,
			     max_frames, "          ", "");
	}
	if (!s->nnow && s->nstates) {	/* states only: the stacks were not read */
		fputs("      now:", f);
		for (size_t i = 0; i < s->nstates; i++)
			fprintf(f, "%s %" PRIu64 " %s", i ? "," : "", s->states[i].count,
				s->states[i].name);
		fputc('\n', f);
	}
	for (size_t i = 0; i < s->nnow && i < TEXT_MAX_NOW; i++) {
		const struct report_goroutines_now *n = &s->now[i];
		size_t top = runtime_top(n);

		fprintf(f, "      now: %" PRIu64 " in", n->count);
		for (size_t k = 0; k < n->nstates; k++)
			fprintf(f, "%s %s", k ? "," : "", n->states[k].name);
		write_wait(f, n);
		fputs(n->nframes ? ", at:\n" : " (no stack while running)\n", f);
		write_frames(f, n->frames + top, n->nframes - top, n->truncated, max_frames,
			     "          ", "stack deeper than read");
	}
	if (s->nnow > TEXT_MAX_NOW)
		fprintf(f, "      ... %zu more current stacks (JSON has all)\n",
			s->nnow - TEXT_MAX_NOW);
}

static uint64_t runtime_goroutines(const struct report *r)
{
	uint64_t n = 0;

	for (size_t i = 0; i < r->ntargets; i++)
		n += r->targets[i].go_runtime_goroutines;
	return n;
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
	if (k == KIND_GOROUTINE && runtime_goroutines(r))
		fprintf(f, "; and %" PRIu64 " of the runtime's own (GC workers, scavenger, "
			"finalizer, timers), not listed", runtime_goroutines(r));
	fputc('\n', f);
	for (size_t i = 0; i < r->nstacks; i++) {
		const struct report_stack *s = &r->stacks[i];

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
		if (s->allocator)
			fputs(" taken by malloc for its blocks (see malloc)", f);
		if (s->preexisting)
			fprintf(f, ", held since before attach (%.1f s ago or more), pid %d",
				s->oldest_s, s->pid);
		else if (k == KIND_GO_HEAP)	/* objects carry no birth time */
			fprintf(f, ", first grew %.1f s ago, pid %d", s->oldest_s, s->pid);
		else
			fprintf(f, ", oldest %.1f s, pid %d", s->oldest_s, s->pid);
		if (s->go_start)
			fprintf(f, ", running %s", s->go_start);
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
		if (k == KIND_GOROUTINE) {
			write_goroutines(f, s, o->max_frames);
			continue;
		}
		if (s->preexisting && !s->nframes) {
			fputs("      [held before leakscope attached: creator unknown]\n", f);
			continue;
		}
		if (!s->nframes)
			fputs("      [no stack captured]\n", f);
		write_frames(f, s->frames, s->nframes, s->truncated, o->max_frames, "      ",
			     "stack truncated: raise --stack-depth");
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
