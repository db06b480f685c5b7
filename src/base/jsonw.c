// SPDX-License-Identifier: MIT
#include "base/jsonw.h"

#include <math.h>
#include <string.h>

void jsonw__init(struct jsonw *w, FILE *f, bool pretty)
{
	memset(w, 0, sizeof(*w));
	w->f = f;
	w->pretty = pretty;
}

static void newline(struct jsonw *w)
{
	if (!w->pretty)
		return;
	fputc('\n', w->f);
	for (int i = 0; i < w->depth; i++)
		fputs("  ", w->f);
}

/* Before a value: a comma if the container already holds one. Values
 * right after a key need neither comma nor newline. */
static void before_value(struct jsonw *w)
{
	if (w->after_key) {
		w->after_key = false;
		return;
	}
	if (w->depth > 0) {
		if (w->need_comma[w->depth])
			fputc(',', w->f);
		newline(w);
		w->need_comma[w->depth] = true;
	}
}

static void open_container(struct jsonw *w, char c)
{
	before_value(w);
	fputc(c, w->f);
	if (w->depth < 63)
		w->depth++;
	w->need_comma[w->depth] = false;
}

static void close_container(struct jsonw *w, char c)
{
	bool had = w->need_comma[w->depth];

	if (w->depth > 0)
		w->depth--;
	if (had)
		newline(w);
	fputc(c, w->f);
	if (w->depth == 0 && w->pretty)
		fputc('\n', w->f);
}

void jsonw__begin_object(struct jsonw *w) { open_container(w, '{'); }
void jsonw__end_object(struct jsonw *w) { close_container(w, '}'); }
void jsonw__begin_array(struct jsonw *w) { open_container(w, '['); }
void jsonw__end_array(struct jsonw *w) { close_container(w, ']'); }

static void put_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"': fputs("\\\"", f); break;
		case '\\': fputs("\\\\", f); break;
		case '\n': fputs("\\n", f); break;
		case '\r': fputs("\\r", f); break;
		case '\t': fputs("\\t", f); break;
		default:
			if (*p < 0x20)
				fprintf(f, "\\u%04x", *p);
			else
				fputc(*p, f);
		}
	}
	fputc('"', f);
}

void jsonw__key(struct jsonw *w, const char *key)
{
	before_value(w);
	put_string(w->f, key);
	fputs(w->pretty ? ": " : ":", w->f);
	w->after_key = true;
}

void jsonw__string(struct jsonw *w, const char *s)
{
	before_value(w);
	if (s)
		put_string(w->f, s);
	else
		fputs("null", w->f);
}

void jsonw__uint(struct jsonw *w, uint64_t v)
{
	before_value(w);
	fprintf(w->f, "%llu", (unsigned long long)v);
}

void jsonw__int(struct jsonw *w, int64_t v)
{
	before_value(w);
	fprintf(w->f, "%lld", (long long)v);
}

void jsonw__double(struct jsonw *w, double v)
{
	before_value(w);
	if (!isfinite(v))
		v = 0;
	fprintf(w->f, "%.3f", v);
}

void jsonw__bool(struct jsonw *w, bool v)
{
	before_value(w);
	fputs(v ? "true" : "false", w->f);
}

void jsonw__null(struct jsonw *w)
{
	before_value(w);
	fputs("null", w->f);
}

void jsonw__field_string(struct jsonw *w, const char *key, const char *s)
{
	jsonw__key(w, key);
	jsonw__string(w, s);
}

void jsonw__field_uint(struct jsonw *w, const char *key, uint64_t v)
{
	jsonw__key(w, key);
	jsonw__uint(w, v);
}

void jsonw__field_int(struct jsonw *w, const char *key, int64_t v)
{
	jsonw__key(w, key);
	jsonw__int(w, v);
}

void jsonw__field_double(struct jsonw *w, const char *key, double v)
{
	jsonw__key(w, key);
	jsonw__double(w, v);
}

void jsonw__field_bool(struct jsonw *w, const char *key, bool v)
{
	jsonw__key(w, key);
	jsonw__bool(w, v);
}
