// SPDX-License-Identifier: MIT
#include "cli/options.h"
#include "export/export.h"
#include "trace/goprobes.h"
#include "report/report.h"
#include "leakscope.h"

#include <argp.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
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
	"descriptors); for Go programs also goroutine (live goroutines), go_heap\n"
	"(the runtime's in-use heap profile) and go_alloc (heap allocated while\n"
	"traced). The final report is printed when the tool stops: on Ctrl-C,\n"
	"after --duration, or when every target has exited.\n"
	"\n"
	"Other commands (each has --help):\n"
	"  leakscope agent [OPTION...]           fleet mode: every process on the\n"
	"                                        host, Prometheus metrics, profiles\n"
	"  leakscope convert REPORT.json -o OUT  a JSON report in other formats\n"
	"\n"
	"Documentation: README.md in the leakscope source tree.";

static const char args_doc[] = "-p PID[,PID...]\n-- COMMAND [ARG...]";

enum {
	OPT_FORMAT = 1000,
	OPT_MIN_AGE,
	OPT_TOP,
	OPT_STACK_DEPTH,
	OPT_RINGBUF,
	OPT_SNAPSHOT,
	OPT_NEW_ONLY,
	OPT_KIND,
	OPT_SUSPECT_AGE,
	OPT_GO_ALLOC,
};

static const struct argp_option argp_options[] = {
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
	  "Only this kind in the outputs (mmap, brk, fd, goroutine, go_heap, go_alloc)", 0 },
	{ "min-age", OPT_MIN_AGE, "SECONDS", 0,
	  "Hide items younger than this in processes still running (default 0.5; "
	  "exited processes always show all they held)", 0 },
	{ "suspect-age", OPT_SUSPECT_AGE, "SECONDS", 0,
	  "A stack is a suspected leak only if its oldest item is older (default 2)", 0 },
	{ "top", OPT_TOP, "N", 0, "Stacks shown per kind in text (default 10, 0 = all)", 0 },
	{ "stack-depth", OPT_STACK_DEPTH, "FRAMES", 0,
	  "User stack frames captured per event (1-127, default 127)", 0 },
	{ "stack-snapshot", OPT_SNAPSHOT, "KIB", 0,
	  "User stack copied per native event for complete (CFI) stacks, in KiB, "
	  "multiple of 4 up to 64 (default 16; 0 = frame pointers only)", 0 },
	{ "ring-buffer", OPT_RINGBUF, "MIB", 0,
	  "Ring buffer size in MiB, a power of two (default 64)", 0 },
	{ "go-alloc", OPT_GO_ALLOC, "sampled|all|off|check", 0,
	  "Go heap allocations: the runtime's own samples, scaled like pprof "
	  "(default, ~1 probe hit per 512 KiB), every allocation (a probe hit "
	  "each: short sessions), none, or check (both, to verify on a new Go "
	  "release that every allocation is counted once: run the target with "
	  "MemProfileRate 1 and compare the two counts in the JSON)", 0 },
	{ "new-only", OPT_NEW_ONLY, NULL, 0,
	  "With -p: leave out what the process held before leakscope attached", 0 },
	{ "verbose", 'v', NULL, 0, "More detail (repeat for libbpf's log)", 0 },
	{ "quiet", 'q', NULL, 0, "No progress messages on stderr", 0 },
	{ 0 }
};

static int parse_seconds(const char *s, double *out, bool allow_zero)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v < 0 ||
	    (!allow_zero && v == 0) || v > 1e7)
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_uint(const char *s, unsigned long min, unsigned long max,
		      unsigned long *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	if (*s == '-')
		return -EINVAL;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct options *o = state->input;
	unsigned long v;

	switch (key) {
	case 'p': {
		char *copy = strdup(arg), *save = NULL, *tok;

		for (tok = strtok_r(copy, ",", &save); tok;
		     tok = strtok_r(NULL, ",", &save)) {
			/* argp_error exits: tok must stay valid for it */
			if (parse_uint(tok, 1, INT_MAX, &v))
				argp_error(state, "invalid PID '%s' (expected a positive number)", tok);
			if (o->npids == MAX_PIDS)
				argp_error(state, "too many PIDs (at most %d)", MAX_PIDS);
			o->pids[o->npids++] = (int)v;
		}
		free(copy);
		if (!o->npids)
			argp_error(state, "invalid PID list '%s'", arg);
		break;
	}
	case 'f':
		o->follow = true;
		break;
	case 'i':
		if (parse_seconds(arg, &o->interval_s, true))
			argp_error(state, "invalid --interval '%s' (seconds, e.g. 5 or 0.5)", arg);
		break;
	case 'd':
		if (parse_seconds(arg, &o->duration_s, false))
			argp_error(state, "invalid --duration '%s' (seconds > 0)", arg);
		break;
	case 'o': {
		struct output *out;

		if (o->noutputs == MAX_OUTPUTS)
			argp_error(state, "too many --output files (at most %d)", MAX_OUTPUTS);
		out = &o->outputs[o->noutputs++];
		out->path = arg;
		out->format = export__format_from_path(arg);
		break;
	}
	case OPT_FORMAT: {
		int f = export__format_from_name(arg);

		if (f < 0)
			argp_error(state, "unknown --format '%s' (text, json, folded, pprof or svg)", arg);
		o->format = f;
		break;
	}
	case OPT_KIND: {
		int k = kind_from_name(arg);

		if (k < 0)
			argp_error(state, "unknown --kind '%s' (mmap, brk, fd, goroutine, "
				   "go_heap, go_alloc)", arg);
		o->kind_filter = k;
		break;
	}
	case OPT_MIN_AGE:
		if (parse_seconds(arg, &o->min_age_s, true))
			argp_error(state, "invalid --min-age '%s' (seconds >= 0)", arg);
		break;
	case OPT_SUSPECT_AGE:
		if (parse_seconds(arg, &o->suspect_age_s, true))
			argp_error(state, "invalid --suspect-age '%s' (seconds >= 0)", arg);
		break;
	case OPT_TOP:
		if (parse_uint(arg, 0, 1000000, &v))
			argp_error(state, "invalid --top '%s' (a number, 0 = all)", arg);
		o->top = v;
		break;
	case OPT_STACK_DEPTH:
		if (parse_uint(arg, 1, LS_MAX_STACK_DEPTH, &v))
			argp_error(state, "invalid --stack-depth '%s' (1-%d)", arg,
				   LS_MAX_STACK_DEPTH);
		o->stack_depth = (unsigned)v;
		break;
	case OPT_RINGBUF:
		if (parse_uint(arg, 1, 4096, &v) || (v & (v - 1)))
			argp_error(state, "invalid --ring-buffer '%s' (MiB, a power of two up to 4096)", arg);
		o->ringbuf_mib = (unsigned)v;
		break;
	case OPT_SNAPSHOT:
		if (parse_uint(arg, 0, LS_SNAPSHOT_MAX_PAGES * 4, &v) || v % 4)
			argp_error(state, "invalid --stack-snapshot '%s' (KiB: 0, 4, 8, ... 64)", arg);
		o->snapshot_kib = (unsigned)v;
		break;
	case OPT_GO_ALLOC:
		if (!strcmp(arg, "sampled"))
			o->go_alloc = GO_ALLOC_SAMPLED;
		else if (!strcmp(arg, "all"))
			o->go_alloc = GO_ALLOC_ALL;
		else if (!strcmp(arg, "off"))
			o->go_alloc = GO_ALLOC_OFF;
		else if (!strcmp(arg, "check"))
			o->go_alloc = GO_ALLOC_CHECK;
		else
			argp_error(state, "invalid --go-alloc '%s' (sampled, all, off or check)", arg);
		break;
	case OPT_NEW_ONLY:
		o->new_only = true;
		break;
	case 'v':
		o->verbose++;
		break;
	case 'q':
		o->quiet = true;
		break;
	case ARGP_KEY_ARG:
		/* Everything from the first non-option on is the command. */
		o->command = &state->argv[state->next - 1];
		state->next = state->argc;
		break;
	case ARGP_KEY_END:
		if (!o->npids && !o->command)
			argp_error(state, "nothing to trace: give -p PID or -- COMMAND");
		if (o->npids && o->command)
			argp_error(state, "give either -p PID or a command, not both");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

int options__parse(struct options *o, int argc, char **argv)
{
	static const struct argp argp = { argp_options, parse_opt, args_doc, doc };

	memset(o, 0, sizeof(*o));
	o->interval_s = -1;
	o->min_age_s = -1;
	o->suspect_age_s = 2;
	o->top = 10;
	o->kind_filter = EXPORT_ALL_KINDS;
	o->stack_depth = LS_MAX_STACK_DEPTH;
	o->snapshot_kib = 16;
	o->ringbuf_mib = 64;
	/* argp exits with status 64 on usage errors; we want 2, so errors
	 * come back here and we exit ourselves. */
	argp_err_exit_status = 2;
	return argp_parse(&argp, argc, argv, ARGP_IN_ORDER, NULL, o) ? 2 : 0;
}
