// SPDX-License-Identifier: MIT
#include "cli/options.h"
#include "cli/usage.h"
#include "export/export.h"
#include "trace/goprobes.h"
#include "trace/mallocprobes.h"
#include "report/report.h"
#include "base/parse.h"
#include "base/util.h"

#include <argp.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *argp_program_version = "leakscope 0.1";

static const char doc[] =
	"leakscope -- live leak tracer: what a process still holds, per call stack\v"
	"Examples:\n"
	"  leakscope -p 1234                 trace a running process until Ctrl-C\n"
	"  leakscope -p 1234,1300 -d 60 -o r.json\n"
	"  leakscope -f -i 5 -- ./server --port 8080\n"
	"\n"
	"Kinds: mmap (mapped memory), brk (heap growth), fd (open file\n"
	"descriptors); with --malloc, malloc (heap blocks of the malloc family);\n"
	"for Go programs also goroutine (live goroutines), go_heap (the runtime's\n"
	"in-use heap profile) and go_alloc (heap allocated while traced). The\n"
	"final report is printed when the tool stops: on Ctrl-C, after\n"
	"--duration, or when every target has exited.\n"
	"\n"
	"Other commands (each has --help):\n"
	"  leakscope agent [OPTION...]           fleet mode: every process on the\n"
	"                                        host, Prometheus metrics, profiles\n"
	"  leakscope convert REPORT.json -o OUT  a JSON report in other formats\n"
	"  leakscope check                       can leakscope run on this machine?\n"
	"\n"
	"Documentation: README.md in the leakscope source tree.";

static const char args_doc[] = "-p PID[,PID...]\n-- COMMAND [ARG...]";

enum {
	OPT_FORMAT = 1000,
	OPT_MIN_AGE,
	OPT_TOP,
	OPT_NEW_ONLY,
	OPT_KIND,
	OPT_USAGE,
	OPT_MALLOC_PREFIX,
	/* the options shared with the agent (trace/trace_options.h) follow
	 * as OPT_TRACE + enum trace_option */
	OPT_TRACE = 1100,
};

/* The tracer's own options; the shared ones and help come after them. */
static const struct argp_option tracer_options[] = {
	{ "pid", 'p', "PID[,PID...]", 0, "Trace these running processes", 0 },
	{ "follow", 'f', NULL, 0, "Also trace processes the targets fork", 0 },
	{ "interval", 'i', "SECONDS", 0,
	  "Print a live view every SECONDS (default: 5 on a terminal, else off; 0 = off)", 0 },
	{ "duration", 'd', "SECONDS", 0, "Stop and report after SECONDS", 0 },
	{ "output", 'o', "FILE", 0,
	  "Write the final report to FILE, repeatable; the format comes from the "
	  "extension: .txt .json .folded .pb.gz .svg", 0 },
	{ "format", OPT_FORMAT, "FORMAT", 0,
	  "text, json, folded, pprof or svg: for stdout and files without a known extension", 0 },
	{ "kind", OPT_KIND, "KIND", 0,
	  "Only this kind in the outputs (mmap, brk, fd, goroutine, go_heap, go_alloc, malloc)", 0 },
	{ "min-age", OPT_MIN_AGE, "SECONDS", 0,
	  "Hide items younger than this in processes still running (default 0.5; "
	  "exited processes always show all they held)", 0 },
	{ "top", OPT_TOP, "N", 0, "Stacks shown per kind in text (default 10, 0 = all)", 0 },
	{ "malloc-prefix", OPT_MALLOC_PREFIX, "PREFIX", 0,
	  "Also probe PREFIXmalloc, PREFIXfree... (an allocator's own names, e.g. je_ or "
	  "mi_), repeatable", 0 },
	{ "new-only", OPT_NEW_ONLY, NULL, 0,
	  "With -p: leave out what the process held before leakscope attached", 0 },
	{ "verbose", 'v', NULL, 0, "More detail (repeat for libbpf's log)", 0 },
	{ "quiet", 'q', NULL, 0, "No progress messages on stderr", 0 },
};

static const struct argp_option help_options[] = {
	{ "help", '?', NULL, 0, "Give this help list", -1 },
	{ "usage", OPT_USAGE, NULL, 0, "Give a short usage message", -1 },
	{ "version", 'V', NULL, 0, "Print program version", -1 },
};

#define NOPTIONS (ARRAY_SIZE(tracer_options) + TRACE_OPT_MAX + ARRAY_SIZE(help_options))
#define TOP_MAX 1000000

/* What one parse owns: the options table with the shared rows' texts
 * (made from this command's defaults), and how errors are said. */
struct parse {
	struct options *o;
	struct usage u;
	struct argp_option table[NOPTIONS + 1];
	char arg[TRACE_OPT_MAX][64];
	char help[TRACE_OPT_MAX][768];
};

static void build_table(struct parse *ps)
{
	size_t n = 0;

	memset(ps->table, 0, sizeof(ps->table));
	for (size_t i = 0; i < ARRAY_SIZE(tracer_options); i++)
		ps->table[n++] = tracer_options[i];
	for (int i = 0; i < TRACE_OPT_MAX; i++) {
		struct argp_option *a = &ps->table[n++];

		trace_option__arg(i, &ps->o->trace, ps->arg[i], sizeof(ps->arg[i]));
		trace_option__help(i, &ps->o->trace, ps->help[i], sizeof(ps->help[i]));
		a->name = trace_option__name(i);
		a->key = OPT_TRACE + i;
		a->arg = ps->arg[i];
		a->doc = ps->help[i];
	}
	for (size_t i = 0; i < ARRAY_SIZE(help_options); i++)
		ps->table[n++] = help_options[i];
}

/* -p 12,34: every piece a PID. */
static error_t add_pids(struct parse *ps, const char *arg)
{
	struct options *o = ps->o;
	char *copy = xstrdup(arg), *save = NULL, *tok;
	error_t err = 0;
	int pid;

	for (tok = strtok_r(copy, ",", &save); tok && !err;
	     tok = strtok_r(NULL, ",", &save)) {
		if (parse__pid(tok, &pid))
			err = usage__error(&ps->u, "invalid PID '%s' (expected a positive number)",
					   tok);
		else if (o->npids == MAX_PIDS)
			err = usage__error(&ps->u, "too many PIDs (at most %d)", MAX_PIDS);
		else
			o->pids[o->npids++] = pid;
	}
	free(copy);
	if (!err && !o->npids)
		err = usage__error(&ps->u, "invalid PID list '%s'", arg);
	return err;
}

static error_t add_output(struct parse *ps, const char *path)
{
	struct output *out;

	if (ps->o->noutputs == MAX_OUTPUTS)
		return usage__error(&ps->u, "too many --output files (at most %d)", MAX_OUTPUTS);
	out = &ps->o->outputs[ps->o->noutputs++];
	out->path = path;
	out->format = export__format_from_path(path);
	return 0;
}

/* Before any tracing: a report must have somewhere to go, and a name
 * whose extension we do not know is more likely a typo than a wish for
 * text (a name without one takes --format, or text). */
static error_t check_outputs(struct parse *ps)
{
	const struct options *o = ps->o;

	for (size_t i = 0; i < o->noutputs; i++) {
		const char *path = o->outputs[i].path, *base = strrchr(path, '/');
		const char *ext;
		int err;

		base = base ? base + 1 : path;
		ext = strrchr(base + (base[0] == '.'), '.');
		if (o->outputs[i].format == EXPORT_AUTO && o->format == EXPORT_AUTO && ext &&
		    strcmp(path, "-"))
			return usage__error(&ps->u, "unknown extension '%s' of -o %s (.txt .json "
					    ".folded .pb.gz .svg, or give --format)", ext, path);
		err = export__check_path(path);
		if (err)
			return usage__error(&ps->u, "cannot write -o %s: %s (is the directory "
					    "there and writable?)", path, strerror(-err));
	}
	return 0;
}

static error_t set_seconds(struct parse *ps, const char *name, const char *arg,
			   double *out, bool allow_zero)
{
	double v;

	if (parse__seconds(arg, &v) || (!allow_zero && v == 0))
		return usage__error(&ps->u, "invalid --%s '%s' (seconds, %s up to %.0f, or with "
				    "a unit: 250ms, 90s, 5m)", name, arg,
				    allow_zero ? "0" : "more than 0", (double)PARSE_SECONDS_MAX);
	*out = v;
	return 0;
}

/* --malloc-prefix: the start of a C identifier, as an allocator names
 * its own functions (je_malloc, mi_free). */
static error_t add_malloc_prefix(struct parse *ps, const char *arg)
{
	struct options *o = ps->o;
	size_t n = strlen(arg);

	if (o->nmalloc_prefixes == MALLOC_MAX_PREFIXES)
		return usage__error(&ps->u, "too many --malloc-prefix (at most %d)",
				    MALLOC_MAX_PREFIXES);
	if (!n || n > MALLOC_PREFIX_MAX || isdigit((unsigned char)arg[0]) ||
	    strspn(arg, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") != n)
		return usage__error(&ps->u, "invalid --malloc-prefix '%s' (a C identifier prefix "
				    "such as je_, up to %d characters)", arg, MALLOC_PREFIX_MAX);
	o->malloc_prefixes[o->nmalloc_prefixes++] = arg;
	return 0;
}

/* What the output shows: format, kind, top. */
static error_t set_output_choice(struct parse *ps, int key, const char *arg)
{
	struct options *o = ps->o;
	uint64_t v;
	int n;

	switch (key) {
	case OPT_FORMAT:
		n = export__format_from_name(arg);
		if (n < 0)
			return usage__error(&ps->u, "unknown --format '%s' (text, json, folded, "
					    "pprof or svg)", arg);
		o->format = n;
		return 0;
	case OPT_KIND:
		n = kind_from_name(arg);
		if (n < 0)
			return usage__error(&ps->u, "unknown --kind '%s' (mmap, brk, fd, goroutine, "
					    "go_heap, go_alloc, malloc)", arg);
		o->kind_filter = n;
		return 0;
	case OPT_TOP:
		if (parse__uint(arg, 0, TOP_MAX, &v))
			return usage__error(&ps->u, "invalid --top '%s' (a number up to %d, 0 = all)",
					    arg, TOP_MAX);
		o->top = v;
		return 0;
	}
	return ARGP_ERR_UNKNOWN;
}

/* --help, --usage, --version: print, and stop parsing (exit 0). */
static error_t show_help(struct parse *ps, int key, struct argp_state *state)
{
	if (key == 'V')
		printf("%s\n", argp_program_version);
	else
		/* argp_state_help prints nothing under ARGP_NO_ERRS */
		argp_help(state->root_argp, stdout,
			  key == '?' ? ARGP_HELP_STD_HELP : ARGP_HELP_USAGE, "leakscope");
	ps->o->help_shown = true;
	state->next = state->argc;
	return 0;
}

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct parse *ps = state->input;
	struct options *o = ps->o;
	char err[512];

	if (key >= OPT_TRACE && key < OPT_TRACE + TRACE_OPT_MAX) {
		if (trace_option__set(&o->trace, key - OPT_TRACE, arg, err, sizeof(err)))
			return usage__error(&ps->u, "%s", err);
		return 0;
	}
	switch (key) {
	case 'p':
		return add_pids(ps, arg);
	case 'o':
		return add_output(ps, arg);
	case 'i':
		return set_seconds(ps, "interval", arg, &o->interval_s, true);
	case 'd':
		return set_seconds(ps, "duration", arg, &o->duration_s, false);
	case OPT_MIN_AGE:
		return set_seconds(ps, "min-age", arg, &o->min_age_s, true);
	case OPT_FORMAT:
	case OPT_KIND:
	case OPT_TOP:
		return set_output_choice(ps, key, arg);
	case OPT_MALLOC_PREFIX:
		return add_malloc_prefix(ps, arg);
	case 'f':
		o->follow = true;
		return 0;
	case OPT_NEW_ONLY:
		o->new_only = true;
		return 0;
	case 'v':
		o->verbose++;
		return 0;
	case 'q':
		o->quiet = true;
		return 0;
	case '?':
	case OPT_USAGE:
	case 'V':
		return show_help(ps, key, state);
	case ARGP_KEY_ARG:
		/* Everything from the first non-option on is the command. */
		o->command = &state->argv[state->next - 1];
		state->next = state->argc;
		return 0;
	case ARGP_KEY_END:
		if (o->help_shown)
			return 0;
		if (!o->npids && !o->command)
			return usage__error(&ps->u, "nothing to trace: give -p PID or -- COMMAND "
					    "(leakscope --help shows how)");
		if (o->npids && o->command)
			return usage__error(&ps->u, "give either -p PID or a command, not both");
		return check_outputs(ps);
	case ARGP_KEY_ERROR:
		usage__key_error(&ps->u, state);
		return 0;
	}
	return ARGP_ERR_UNKNOWN;
}

static void set_defaults(struct options *o)
{
	memset(o, 0, sizeof(*o));
	o->interval_s = -1;
	o->min_age_s = -1;
	o->top = 10;
	o->kind_filter = EXPORT_ALL_KINDS;
	o->trace.stack_depth = TRACE_STACK_DEPTH_MAX;
	o->trace.snapshot_kib = 16;
	o->trace.ringbuf_mib = 64;
	o->trace.suspect_age_s = 2;
	o->trace.go_alloc = GO_ALLOC_SAMPLED;
	o->trace.go_alloc_modes = 1u << GO_ALLOC_SAMPLED | 1u << GO_ALLOC_ALL |
				  1u << GO_ALLOC_OFF | 1u << GO_ALLOC_CHECK;
	/* exact lifetimes and full creation stacks for a session */
	o->trace.go_goroutines = GO_GOROUTINES_TRACE;
	/* off: every call of the family would cost a probe hit */
	o->trace.malloc = MALLOC_OFF;
	o->trace.malloc_modes = 1u << MALLOC_OFF | 1u << MALLOC_SAMPLED | 1u << MALLOC_ALL;
	o->trace.malloc_rate = MALLOC_SAMPLE_MEAN;
}

int options__parse(struct options *o, int argc, char **argv)
{
	struct parse *ps = xcalloc(1, sizeof(*ps));
	struct argp argp = { ps->table, parse_opt, args_doc, doc };
	int ret;

	set_defaults(o);
	ps->o = o;
	ps->u.prog = "leakscope";
	ps->u.options = ps->table;
	build_table(ps);
	/* Errors are ours to say, in one line (cli/usage.h); help is ours
	 * too, so that it does not exit from inside argp. */
	ret = argp_parse(&argp, argc, argv,
			 ARGP_IN_ORDER | ARGP_NO_ERRS | ARGP_NO_EXIT | ARGP_NO_HELP, NULL, ps);
	free(ps);
	if (ret)
		return 2;
	return o->help_shown ? 1 : 0;
}
