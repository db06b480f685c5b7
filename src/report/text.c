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

/* Go's tracebacks leave out the wrappers the compiler made (a go
 * statement's closure, a promoted method) unless they call a panic. */
static bool shown(const struct report_frame *fr, size_t j)
{
	return !fr[j].wrapper ||
	       (j && fr[j - 1].name && (!strcmp(fr[j - 1].name, "runtime.gopanic") ||
					!strcmp(fr[j - 1].name, "runtime.sigpanic") ||
					!strcmp(fr[j - 1].name, "runtime.panicwrap")));
}

/* elide: leave wrappers out, as Go's tracebacks do (current stacks; a
 * creation stack keeps them: the creator's own wrapper may be the only
 * frame that names the user's function). */
static void write_frames(FILE *f, const struct report_frame *fr, size_t n, size_t max,
			 const char *indent, bool elide)
{
	size_t printed = 0, j;

	for (j = 0; j < n && (!max || printed < max); j++) {
		if (elide && !shown(fr, j))
			continue;
		fprintf(f, "%s%s", indent, fr[j].name);
		if (fr[j].file)
			fprintf(f, " (%s:%u)", fr[j].file, fr[j].line);
		fputc('\n', f);
		printed++;
	}
	if (j < n)
		fprintf(f, "%s... %zu more frames\n", indent, n - j);
}

/* What a group's goroutines run: g.startpc's function, or, when that is
 * a go statement's wrapper, the function it calls (readLoop rather than
 * dialConn.func5), as the current stack shows it. */
static const char *start_name(const struct report_stack *s)
{
	const struct report_goroutines_now *n = s->nnow ? &s->now[0] : NULL;

	if (n && n->nframes >= 2 && n->frames[n->nframes - 1].wrapper &&
	    n->frames[n->nframes - 1].name == s->go_start)	/* interned */
		return n->frames[n->nframes - 2].name;
	return s->go_start;
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
 *       created at:
 *           main.leakRecv (tests/workloads/go/goleaks/main.go:44)
 *           main.main (tests/workloads/go/goleaks/main.go:128)
 *       now 37 in chan receive for 1.6 s:
 *           main.leakRecv.func1 (tests/workloads/go/goleaks/main.go:46)
 */
static void write_goroutines(FILE *f, const struct report_stack *s, size_t max_frames)
{
	if (s->preexisting)
		fputs("      created (before leakscope attached) at:\n", f);
	else if (s->nframes)
		fputs("      created at:\n", f);
	else
		fputs("      [the main goroutine: the runtime started it]\n", f);
	write_frames(f, s->frames, s->nframes, max_frames, "          ", false);
	for (size_t i = 0; i < s->nancestors; i++) {
		fputs("      by a goroutine created at:\n", f);
		write_frames(f, s->ancestors[i].frames, s->ancestors[i].nframes, max_frames,
			     "          ", false);
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

		fprintf(f, "      now %" PRIu64 " in", n->count);
		for (size_t k = 0; k < n->nstates; k++)
			fprintf(f, "%s %s", k ? "," : "", n->states[k].name);
		write_wait(f, n);
		fputs(n->nframes ? ":\n" : " (no stack while running)\n", f);
		write_frames(f, n->frames + top, n->nframes - top, max_frames, "          ", true);
		if (n->truncated)
			fputs("          ... [stack deeper than read]\n", f);
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
	if (k == KIND_GOROUTINE && runtime_goroutines(r))
		fprintf(f, "; and %" PRIu64 " of the runtime's own (GC workers, scavenger, "
			"finalizer, timers), not listed", runtime_goroutines(r));
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
		if (s->go_start)
			fprintf(f, " running %s", start_name(s));
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
				format_bytes((uint64_t)s->growth_per_min, b1, sizeof(b1)));
		else if (s->growth_per_min > 0)
			fprintf(f, ", growing %.1f/min", s->growth_per_min);
		fputc('\n', f);
		for (size_t p = 0; p < s->npaths; p++)
			fprintf(f, "      %" PRIu64 " x %s\n", s->paths[p].count,
				s->paths[p].path);
		if (k == KIND_GOROUTINE) {
			write_goroutines(f, s, o->max_frames);
			continue;
		}
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
