// SPDX-License-Identifier: MIT
#include "report/text.h"
#include "report/report.h"
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
 * leakscope: 2 processes, 5.0 s, lost events 0
 *   pid 4242 leaky (/work/tests/workloads/leaky): exited with status 0
 */
static void write_header(FILE *f, const struct report *r)
{
	char why[64];

	fprintf(f, "leakscope: %zu process%s traced for %.1f s, lost events %" PRIu64,
		r->ntargets, r->ntargets == 1 ? "" : "es", r->duration_s,
		r->lost_events);
	if (r->stats.stacks_truncated)
		fprintf(f, ", stacks truncated %" PRIu64 " (raise --stack-snapshot)",
			r->stats.stacks_truncated);
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

		fprintf(f, "  pid %d %s (%s)", t->pid, t->comm,
			t->exe ? t->exe : "?");
		if (t->exited) {
			describe_exit(why, sizeof(why), t->exit_status);
			fprintf(f, ": %s; showing what it held at exit", why);
		}
		fputc('\n', f);
	}
	for (size_t i = 0; i < r->nnotes; i++)
		fprintf(f, "  note: %s\n", r->notes[i]);
}

/*
 * mmap: 3 mappings outstanding, 12.0 MiB (1 younger than 0.5 s not shown)
 *   8.0 MiB in 2 mappings, oldest 4.9 s, pid 4242
 *       leak_mmap (tests/workloads/leaky.c:21)
 *       main (tests/workloads/leaky.c:80)
 */
static void write_kind(FILE *f, const struct report *r, enum ls_kind k,
		       const struct text_options *o)
{
	const struct report_total *t = &r->totals[k];
	char b1[32], b2[32];
	size_t shown = 0;

	fprintf(f, "\n%s: %" PRIu64 " %s %s", kind_name(k), t->count,
		kind_item_name(k, t->count),
		k == KIND_GO_ALLOC ? "allocated while traced" : "outstanding");
	if (kind_has_bytes(k))
		fprintf(f, ", %s", format_bytes(t->bytes, b1, sizeof(b1)));
	if (t->hidden_count)
		fprintf(f, " (%" PRIu64 " younger than %.1f s not shown)",
			t->hidden_count, r->min_age_s);
	fputc('\n', f);
	for (size_t i = 0; i < r->nstacks; i++) {
		const struct report_stack *s = &r->stacks[i];
		size_t nf;

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
		if (kind_has_bytes(k))
			fprintf(f, "%s in ", format_bytes(s->bytes, b2, sizeof(b2)));
		fprintf(f, "%" PRIu64 " %s%s%s", s->count,
			s->fd_kind ? s->fd_kind : "", s->fd_kind ? " " : "",
			kind_item_name(k, s->count));
		if (s->preexisting)
			fprintf(f, ", held since before attach (%.1f s ago or more), pid %d",
				s->oldest_s, s->pid);
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
		if (s->growth_per_min > 0 && kind_has_bytes(k))
			fprintf(f, ", growing %s/min",
				format_bytes(s->growth_per_min < 1.8e19 ?
					     (uint64_t)s->growth_per_min : UINT64_MAX,
					     b1, sizeof(b1)));
		else if (s->growth_per_min > 0)
			fprintf(f, ", growing %.1f/min", s->growth_per_min);
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
		if (s->preexisting) {
			fputs("      [held before leakscope attached: creator unknown]\n", f);
			continue;
		}
		nf = o->max_frames ? MIN(o->max_frames, s->nframes) : s->nframes;
		if (!s->nframes)
			fputs("      [no stack captured]\n", f);
		for (size_t j = 0; j < nf; j++) {
			const struct report_frame *fr = &s->frames[j];

			fprintf(f, "      %s", fr->name);
			if (fr->file)
				fprintf(f, " (%s:%u)", fr->file, fr->line);
			fputc('\n', f);
		}
		if (nf < s->nframes)
			fprintf(f, "      ... %zu more frames\n", s->nframes - nf);
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
