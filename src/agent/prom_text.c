// SPDX-License-Identifier: MIT
#include "agent/prom_text.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

bool metrics__valid_name(const char *name, bool label)
{
	if (!name || !*name)
		return false;
	for (const char *c = name; *c; c++) {
		bool alpha = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || *c == '_' ||
			     (*c == ':' && !label);

		if (!alpha && !(c > name && *c >= '0' && *c <= '9'))
			return false;
	}
	return true;
}

void metrics__escape_label(FILE *f, const char *v)
{
	for (; v && *v; v++) {
		if (*v == '\\')
			fputs("\\\\", f);
		else if (*v == '"')
			fputs("\\\"", f);
		else if (*v == '\n')
			fputs("\\n", f);
		else
			fputc(*v, f);
	}
}

void metrics__escape_help(FILE *f, const char *t)
{
	for (; t && *t; t++) {
		if (*t == '\\')
			fputs("\\\\", f);
		else if (*t == '\n')
			fputs("\\n", f);
		else
			fputc(*t, f);
	}
}

void metrics__format_value(char *buf, size_t size, double v)
{
	if (isnan(v)) {
		snprintf(buf, size, "NaN");
	} else if (isinf(v)) {
		snprintf(buf, size, v > 0 ? "+Inf" : "-Inf");
	} else if (v == floor(v) && fabs(v) < 9007199254740992.0) {	/* 2^53 */
		snprintf(buf, size, "%.0f", v);
	} else {
		/* the shortest precision that reads back the same double */
		for (int prec = 15; prec <= 17; prec++) {
			snprintf(buf, size, "%.*g", prec, v);
			if (strtod(buf, NULL) == v)
				break;
		}
	}
}

void metrics__family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s ", name);
	metrics__escape_help(f, help);
	fprintf(f, "\n# TYPE %s %s\n", name, type);
}

void metrics__sample(FILE *f, const char *name, const char *const *labels, double value)
{
	char v[64];

	fputs(name, f);
	if (labels && labels[0]) {
		fputc('{', f);
		for (size_t i = 0; labels[i] && labels[i + 1]; i += 2) {
			fprintf(f, "%s%s=\"", i ? "," : "", labels[i]);
			metrics__escape_label(f, labels[i + 1]);
			fputc('"', f);
		}
		fputc('}', f);
	}
	metrics__format_value(v, sizeof(v), value);
	fprintf(f, " %s\n", v);
}
