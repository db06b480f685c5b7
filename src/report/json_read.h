/* SPDX-License-Identifier: MIT */
/*
 * Reading a JSON report (version 1, as report/json_write.c writes it) back
 * into the report model, for `leakscope convert`. Writing the model read
 * gives the same JSON again. Strings are the report's own (r->strings),
 * as in a model built by the collector; report__free() frees them all.
 *
 * Unknown fields are ignored (version 1 may gain fields); missing
 * required fields, wrong types and unknown kinds are errors that name
 * the field: "r.json: stacks[3].kind: unknown kind \"heap\" (one of
 * mmap, brk, fd, goroutine, go_heap, go_alloc, malloc)".
 */
#ifndef LS_REPORT_READ_H
#define LS_REPORT_READ_H

#include <stddef.h>

struct report;

/* Read the report in path ("-" for stdin). 0, or -EINVAL (not JSON, or
 * not a leakscope report) / -errno (cannot read) with a one-line message
 * in err that starts with the file name (and, for bad JSON, line and
 * column: "r.json:12:5: ..."). */
int report_read__file(const char *path, struct report **out,
		      char *err, size_t errlen);

/* The same from a buffer; name is what messages call it. */
int report_read__buffer(const char *buf, size_t len, const char *name,
			struct report **out, char *err, size_t errlen);

#endif
