/* SPDX-License-Identifier: MIT */
/*
 * Prometheus text exposition format 0.0.4, written to a FILE (the agent
 * renders into an open_memstream buffer):
 *
 *   # HELP leakscope_process_open_fds Open file descriptors of the process.
 *   # TYPE leakscope_process_open_fds gauge
 *   leakscope_process_open_fds{service="goleaks",comm="goleaks",pid="4242",exe="/usr/bin/goleaks"} 7
 *
 * Every sample of a family follows its HELP and TYPE lines; label values
 * are escaped (\\, \", \n); values print exactly for integers and as
 * the shortest text that reads back the same double otherwise.
 */
#ifndef LS_METRICS_H
#define LS_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* HELP and TYPE ("counter", "gauge", "untyped") of a family. */
void metrics__family(FILE *f, const char *name, const char *type, const char *help);
/* One sample. labels: name, value, name, value, ..., NULL (or NULL). */
void metrics__sample(FILE *f, const char *name, const char *const *labels, double value);
/* Is name a valid metric or label name? */
bool metrics__valid_name(const char *name, bool label);
/* Escaped label value / HELP text, to f. */
void metrics__escape_label(FILE *f, const char *value);
void metrics__escape_help(FILE *f, const char *text);
/* The value as text: "42", "0.25", "NaN", "+Inf". */
void metrics__format_value(char *buf, size_t size, double v);

#endif
