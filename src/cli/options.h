/* SPDX-License-Identifier: MIT */
/* Command-line options of `leakscope` (tracing mode), parsed in one place. */
#ifndef LS_OPTIONS_H
#define LS_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include "trace/mallocprobes.h"
#include "trace/trace_options.h"

#define MAX_PIDS 64
#define MAX_OUTPUTS 8

struct output {
	const char *path;	/* "-" for stdout */
	int format;		/* enum export_format (export/export.h) */
};

struct options {
	int pids[MAX_PIDS];
	size_t npids;
	char **command;		/* argv of the command to launch, or NULL */
	bool follow;
	double interval_s;	/* live view period; 0 = off, < 0 = auto */
	double duration_s;	/* 0 = until the targets exit or Ctrl-C */
	double min_age_s;	/* < 0 = automatic */
	struct output outputs[MAX_OUTPUTS];
	size_t noutputs;
	int format;		/* --format, for outputs without one */
	int kind_filter;	/* --kind: an enum ls_kind, or EXPORT_ALL_KINDS */
	size_t top;		/* stacks per kind in text output */
	struct trace_options trace;	/* shared with the agent */
	int verbose;
	bool quiet;
	bool new_only;		/* skip what -p targets held before attach */
	bool help_shown;	/* --help, --usage or --version was printed */
	/* --malloc-prefix, repeatable (the tracer's alone: --malloc and
	 * --malloc-rate are in trace) */
	const char *malloc_prefixes[MALLOC_MAX_PREFIXES];
	size_t nmalloc_prefixes;
};

/* Parse argv into o. On a usage error, prints one line naming the
 * problem and a way out on stderr and returns 2; 1 when --help (or
 * --usage, --version) was printed; 0 on success. */
int options__parse(struct options *o, int argc, char **argv);


#endif
