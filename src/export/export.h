/* SPDX-License-Identifier: MIT */
/*
 * Writing a report in any format: the one dispatcher the tracer, the
 * agent and `leakscope convert` share. The format comes from each
 * output's extension (.json .txt .folded .pb.gz .svg, see
 * export__format_from_path), or from --format for names without a known
 * one and for stdout ("-").
 *
 * Build the report once, then for each output
 *   export__write_file(r, path, EXPORT_AUTO, EXPORT_ALL_KINDS);
 * (each call opens, writes and closes its own file; the report is only
 * read, so any number of outputs and formats come from one report).
 */
#ifndef LS_EXPORT_H
#define LS_EXPORT_H

#include <stddef.h>
#include <stdio.h>

#include "export/folded.h"	/* EXPORT_ALL_KINDS, enum folded_process_frame */

struct report;

enum export_format {
	EXPORT_AUTO = 0,	/* from the path's extension, else text */
	EXPORT_TEXT,
	EXPORT_JSON,
	EXPORT_FOLDED,
	EXPORT_PPROF,
	EXPORT_SVG,
	EXPORT_FORMAT_MAX,
};

struct export_options {
	int kind_filter;	/* an enum ls_kind, or EXPORT_ALL_KINDS */
	enum folded_process_frame process;	/* folded only */
	size_t text_top;	/* stacks per kind in text, 0 = all */
	const char *svg_title;	/* NULL: made from the report */
};

#define EXPORT_OPTIONS_DEFAULT \
	((struct export_options){ .kind_filter = EXPORT_ALL_KINDS })

/* "folded", "pprof"...; "auto" for EXPORT_AUTO. */
const char *export__format_name(int format);
/* text|txt, json, folded|collapsed, pprof, svg; -1 if unknown. */
int export__format_from_name(const char *name);
/* By extension: .txt .json .folded .collapsed .pb.gz .pprof .svg;
 * EXPORT_AUTO when none of these. */
int export__format_from_path(const char *path);
/* Whether path can be written: an existing file we may write, or one we
 * can create (created and removed again, so a long trace does not end
 * in a report with nowhere to go). 0 or -errno. "-" is stdout: 0. */
int export__check_path(const char *path);
/* A new file of our own for a report that could not go where asked:
 * $TMPDIR (else /tmp)/leakscope-PID-N plus path's extension. Its name
 * in buf, or -errno. */
int export__fallback_path(const char *path, char *buf, size_t size);

/* Write r to f in format (not EXPORT_AUTO). 0 or -errno. */
int export__write(FILE *f, const struct report *r, int format,
		  const struct export_options *o);

/* Write r to path ("-" for stdout) in format (EXPORT_AUTO: from the
 * extension, text if it says nothing). Errors are printed (one line,
 * naming the file) and returned as -errno. */
int export__write_file(const struct report *r, const char *path, int format,
		       int kind_filter);
int export__write_file_opts(const struct report *r, const char *path,
			    int format, const struct export_options *o);

#endif
