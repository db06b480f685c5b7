// SPDX-License-Identifier: MIT
/*
 * Fuzz target: `leakscope convert`'s input, a JSON report from anywhere
 * (report/json_read.c), then every writer on the model it gives: JSON,
 * text, folded, pprof, SVG. The JSON written from an accepted report
 * must read back and write the same bytes again: that is what makes
 * convert's output trustworthy.
 */
#include "fuzz.h"
#include "export/export.h"
#include "report/json_read.h"
#include "report/json_write.h"
#include "report/report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *to_json(const struct report *r, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	if (!f)
		abort();
	if (report_json__write(f, r))
		fuzz_fail("the JSON writer failed on a report the reader accepted");
	fclose(f);
	return buf;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct report *r, *again;
	char err[512], *j1, *j2;
	size_t l1, l2;
	FILE *sink;

	if (report_read__buffer((const char *)data, size, "fuzz.json", &r, err, sizeof(err)))
		return 0;
	/* What convert accepts, its writers can trust: no negative or
	 * unbounded age or duration. */
	if (!(r->duration_s >= 0 && r->duration_s <= 1e10 && r->min_age_s >= 0))
		fuzz_fail("accepted duration %g, min age %g", r->duration_s, r->min_age_s);
	for (size_t i = 0; i < r->nstacks; i++)
		if (!(r->stacks[i].oldest_s >= 0 && r->stacks[i].oldest_s <= 1e10))
			fuzz_fail("accepted stacks[%zu].oldest_s %g", i, r->stacks[i].oldest_s);
	j1 = to_json(r, &l1);
	if (report_read__buffer(j1, l1, "written.json", &again, err, sizeof(err)))
		fuzz_fail("the JSON written from an accepted report is refused: %s", err);
	j2 = to_json(again, &l2);
	if (l1 != l2 || memcmp(j1, j2, l1))
		fuzz_fail("JSON written, read and written again differs (%zu vs %zu bytes)",
			  l1, l2);
	sink = fopen("/dev/null", "w");
	for (int fmt = EXPORT_TEXT; fmt < EXPORT_FORMAT_MAX; fmt++) {
		struct export_options o = EXPORT_OPTIONS_DEFAULT;

		export__write(sink, r, fmt, &o);
	}
	fclose(sink);
	free(j1);
	free(j2);
	report__free(again);
	report__free(r);
	return 0;
}
