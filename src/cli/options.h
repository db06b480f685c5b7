/* SPDX-License-Identifier: MIT */
/* Command-line options of `leakscope` (tracing mode), parsed in one place. */
#ifndef LS_OPTIONS_H
#define LS_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>

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
	double suspect_age_s;	/* a suspected leak's oldest item is older */
	struct output outputs[MAX_OUTPUTS];
	size_t noutputs;
	int format;		/* --format, for outputs without one */
	int kind_filter;	/* --kind: an enum ls_kind, or EXPORT_ALL_KINDS */
	size_t top;		/* stacks per kind in text output */
	unsigned stack_depth;
	unsigned snapshot_kib;	/* user stack copied per event for CFI */
	unsigned ringbuf_mib;
	int verbose;
	bool quiet;
	bool new_only;		/* skip what -p targets held before attach */
	int go_alloc;		/* enum go_alloc_mode */
};

/* Parse argv (after the program name) into o. On a usage error, prints
 * one line and usage hint to stderr and returns 2; 0 on success. */
int options__parse(struct options *o, int argc, char **argv);


#endif
