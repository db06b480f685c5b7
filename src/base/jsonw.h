/* SPDX-License-Identifier: MIT */
/* A minimal streaming JSON writer: commas and escaping done right once. */
#ifndef LS_JSONW_H
#define LS_JSONW_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct jsonw {
	FILE *f;
	int depth;
	bool need_comma[64];
	bool pretty;
	bool after_key;	/* the next value completes a key: value pair */
};

void jsonw__init(struct jsonw *w, FILE *f, bool pretty);
void jsonw__begin_object(struct jsonw *w);
void jsonw__end_object(struct jsonw *w);
void jsonw__begin_array(struct jsonw *w);
void jsonw__end_array(struct jsonw *w);
void jsonw__key(struct jsonw *w, const char *key);
void jsonw__string(struct jsonw *w, const char *s);	/* NULL -> null */
void jsonw__uint(struct jsonw *w, uint64_t v);
void jsonw__int(struct jsonw *w, int64_t v);
void jsonw__double(struct jsonw *w, double v);
void jsonw__bool(struct jsonw *w, bool v);
void jsonw__null(struct jsonw *w);
/* A member of an object in one call: "key": value. */
void jsonw__field_string(struct jsonw *w, const char *key, const char *s);
void jsonw__field_uint(struct jsonw *w, const char *key, uint64_t v);
void jsonw__field_int(struct jsonw *w, const char *key, int64_t v);
void jsonw__field_double(struct jsonw *w, const char *key, double v);
void jsonw__field_bool(struct jsonw *w, const char *key, bool v);

#endif
