// SPDX-License-Identifier: MIT
#include "cli/convert.h"
#include "cli/usage.h"
#include "base/util.h"
#include "export/export.h"
#include "report/json_read.h"
#include "report/report.h"

#include <argp.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CONVERT_MAX_OUTPUTS 16

struct convert_args {
	const char *input;
	const char *outputs[CONVERT_MAX_OUTPUTS];
	size_t noutputs;
	int format;		/* --format, or EXPORT_AUTO */
	struct export_options eo;
	bool quiet, help;
	struct usage u;
};

static const char convert_doc[] =
	"leakscope convert -- write a JSON report in other formats\v"
	"Formats (from each output's extension, else --format):\n"
	"  .txt     text      the human-readable report\n"
	"  .json    json      the JSON report (same as the input, or one kind)\n"
	"  .folded  folded    folded stacks for flamegraph.pl, inferno, speedscope\n"
	"  .pb.gz   pprof     for go tool pprof, Pyroscope, speedscope\n"
	"  .svg     svg       an interactive flame graph for a browser\n"
	"Kinds: mmap, brk, fd, goroutine, go_heap, go_alloc, malloc.\n"
	"\n"
	"Examples:\n"
	"  leakscope convert leaks.json -o leaks.svg -o leaks.pb.gz\n"
	"  leakscope convert leaks.json --kind fd --format folded | flamegraph.pl\n"
	"  go tool pprof -top leaks.pb.gz";

static const char convert_args_doc[] = "REPORT.json -o OUT [-o OUT...]";

enum {
	CONVERT_OPT_FORMAT = 1000,
	CONVERT_OPT_KIND,
	CONVERT_OPT_PROCESS,
	CONVERT_OPT_TOP,
	CONVERT_OPT_TITLE,
	CONVERT_OPT_USAGE,
};

static const struct argp_option convert_options[] = {
	{ "output", 'o', "FILE", 0,
	  "Write to FILE, format from its extension (repeatable; - is stdout)", 0 },
	{ "format", CONVERT_OPT_FORMAT, "FMT", 0,
	  "text|json|folded|pprof|svg, for stdout and for names without a "
	  "known extension (default for stdout: text)", 0 },
	{ "kind", CONVERT_OPT_KIND, "KIND", 0,
	  "Only this kind of stacks (default: all, each kind its own graph, "
	  "profile columns or root frame)", 0 },
	{ "process-frame", CONVERT_OPT_PROCESS, "pid|comm|none", 0,
	  "Folded: root frame per process, \"comm (pid)\" (default), \"comm\" "
	  "(merges runs, for diffs) or none", 0 },
	{ "top", CONVERT_OPT_TOP, "N", 0, "Text: stacks shown per kind (default 0 = all)", 0 },
	{ "title", CONVERT_OPT_TITLE, "TEXT", 0, "SVG: the graph's title", 0 },
	{ "quiet", 'q', NULL, 0, "No progress messages on stderr", 0 },
	{ "help", 'h', NULL, 0, "Give this help list", -1 },
	{ "usage", CONVERT_OPT_USAGE, NULL, 0, "Give a short usage message", -1 },
	{ 0 }
};

static void kinds_list(char *buf, size_t size)
{
	buf[0] = '\0';
	for (int k = 0; k < KIND_MAX; k++)
		snprintf(buf + strlen(buf), size - strlen(buf), "%s%s",
			 k ? ", " : "", kind_name(k));
}

static error_t convert_opt(int key, char *arg, struct argp_state *state)
{
	struct convert_args *a = state->input;
	char list[128];
	char *end;

	switch (key) {
	case 'o':
		if (a->noutputs == CONVERT_MAX_OUTPUTS)
			return usage__error(&a->u, "too many outputs (at most %d)",
					    CONVERT_MAX_OUTPUTS);
		a->outputs[a->noutputs++] = arg;
		break;
	case CONVERT_OPT_FORMAT:
		a->format = export__format_from_name(arg);
		if (a->format < 0)
			return usage__error(&a->u, "unknown --format '%s' (use text, json, "
					    "folded, pprof or svg)", arg);
		break;
	case CONVERT_OPT_KIND:
		a->eo.kind_filter = kind_from_name(arg);
		if (a->eo.kind_filter < 0) {
			kinds_list(list, sizeof(list));
			return usage__error(&a->u, "unknown --kind '%s' (one of %s)", arg, list);
		}
		break;
	case CONVERT_OPT_PROCESS:
		if (strcmp(arg, "pid") == 0)
			a->eo.process = FOLDED_PROC_PID;
		else if (strcmp(arg, "comm") == 0)
			a->eo.process = FOLDED_PROC_COMM;
		else if (strcmp(arg, "none") == 0)
			a->eo.process = FOLDED_PROC_NONE;
		else
			return usage__error(&a->u, "unknown --process-frame '%s' (use pid, "
					    "comm or none)", arg);
		break;
	case CONVERT_OPT_TOP:
		errno = 0;
		a->eo.text_top = strtoul(arg, &end, 10);
		if (errno || end == arg || *end || *arg == '-')
			return usage__error(&a->u, "invalid --top '%s' (a number, 0 = all)", arg);
		break;
	case CONVERT_OPT_TITLE:
		a->eo.svg_title = arg;
		break;
	case 'q':
		a->quiet = true;
		break;
	case 'h':
	case CONVERT_OPT_USAGE:
		/* argp_state_help prints nothing under ARGP_NO_ERRS */
		argp_help(state->root_argp, stdout, key == 'h' ? ARGP_HELP_STD_HELP :
			  ARGP_HELP_USAGE, "leakscope convert");
		a->help = true;
		break;
	case ARGP_KEY_ARG:
		if (a->input)
			return usage__error(&a->u, "one report at a time (got '%s' and '%s')",
					    a->input, arg);
		a->input = arg;
		break;
	case ARGP_KEY_ERROR:
		usage__key_error(&a->u, state);
		break;
	case ARGP_KEY_END:
		if (!a->help && !a->input)
			return usage__error(&a->u, "no report given: leakscope convert "
					    "REPORT.json -o OUT (write one with "
					    "leakscope -o FILE.json)");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

/* What each output will be, decided before reading anything: a name
 * that says no format is a usage error, not a surprise text file. */
static int output_formats(const struct convert_args *a, int *formats)
{
	for (size_t i = 0; i < a->noutputs; i++) {
		const char *p = a->outputs[i];

		formats[i] = export__format_from_path(p);
		if (formats[i] == EXPORT_AUTO)
			formats[i] = a->format;
		if (formats[i] == EXPORT_AUTO && strcmp(p, "-") == 0)
			formats[i] = EXPORT_TEXT;
		if (formats[i] == EXPORT_AUTO) {
			fprintf(stderr, "leakscope convert: cannot tell the format of "
				"'%s' from its name: end it in .txt, .json, .folded, "
				".pb.gz or .svg, or give --format\n", p);
			return -EINVAL;
		}
	}
	return 0;
}

static bool has_stacks_of(const struct report *r, int kind)
{
	for (size_t i = 0; i < r->nstacks; i++)
		if ((int)r->stacks[i].kind == kind)
			return true;
	return false;
}

int convert__main(int argc, char **argv)
{
	static const struct argp argp = { convert_options, convert_opt,
					   convert_args_doc, convert_doc };
	struct convert_args a = { .format = EXPORT_AUTO, .eo = EXPORT_OPTIONS_DEFAULT,
				  .u = { "leakscope convert", convert_options, false } };
	int formats[CONVERT_MAX_OUTPUTS];
	char **args = xcalloc(argc + 1, sizeof(*args));
	struct report *r = NULL;
	char err[512];
	int ret = 0;

	/* argp names the program after argv[0] in its messages. */
	memcpy(args, argv, argc * sizeof(*args));
	args[0] = "leakscope convert";
	/* errors are said in one line by us (cli/usage.h), not by argp */
	if (argp_parse(&argp, argc, args, ARGP_NO_EXIT | ARGP_NO_HELP | ARGP_NO_ERRS, NULL, &a)) {
		free(args);
		return 2;
	}
	free(args);
	if (a.help)
		return 0;
	if (!a.noutputs)
		a.outputs[a.noutputs++] = "-";
	if (output_formats(&a, formats))
		return 2;
	if (report_read__file(a.input, &r, err, sizeof(err))) {
		fprintf(stderr, "leakscope convert: %s\n", err);
		return 1;
	}
	if (a.eo.kind_filter >= 0 && !has_stacks_of(r, a.eo.kind_filter) && !a.quiet)
		fprintf(stderr, "leakscope convert: %s has no %s stacks: the "
			"output%s will be empty\n", a.input,
			kind_name(a.eo.kind_filter), a.noutputs > 1 ? "s" : "");
	for (size_t i = 0; i < a.noutputs; i++) {
		if (export__write_file_opts(r, a.outputs[i], formats[i], &a.eo)) {
			ret = 1;
			continue;
		}
		if (!a.quiet && strcmp(a.outputs[i], "-"))
			fprintf(stderr, "leakscope convert: %s written to %s\n",
				export__format_name(formats[i]), a.outputs[i]);
	}
	report__free(r);
	return ret;
}
