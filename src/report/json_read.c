// SPDX-License-Identifier: MIT
#include "report/json_read.h"
#include "report/report.h"
#include "base/strtab.h"
#include "base/util.h"
#include "symbols/tables.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct reader {
	const char *name;	/* the file, for messages */
	char *err;
	size_t errlen;
	struct strtab *strings;	/* the report's */
};

static int fail(struct reader *d, const char *ctx, const char *key,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* "r.json: stacks[3].kind: unknown kind ..." */
static int fail(struct reader *d, const char *ctx, const char *key,
		const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (d->err && d->errlen)
		snprintf(d->err, d->errlen, "%s: %s%s%s%s%s", d->name, ctx,
			 *ctx && key ? "." : "", key ? key : "",
			 *ctx || key ? ": " : "", msg);
	return -EINVAL;
}

static const char *type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER: return "an integer";
	case JSON_REAL: return "a number";
	case JSON_TRUE:
	case JSON_FALSE: return "a boolean";
	default: return "null";
	}
}

/* Look up key; NULL (and 0) when absent and optional, -EINVAL when
 * absent and required. */
static int field(struct reader *d, json_t *obj, const char *ctx,
		 const char *key, bool required, json_t **v)
{
	*v = json_object_get(obj, key);
	if (!*v && required)
		return fail(d, ctx, key, "missing (required in a version 1 report)");
	return 0;
}

static int get_uint(struct reader *d, json_t *obj, const char *ctx,
		    const char *key, bool required, uint64_t *out)
{
	json_t *v;
	int err = field(d, obj, ctx, key, required, &v);

	if (err || !v)
		return err;
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return fail(d, ctx, key, "expected a non-negative integer, found %s",
			    json_is_integer(v) ? "a negative one" : type_name(v));
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

static int get_int(struct reader *d, json_t *obj, const char *ctx,
		   const char *key, bool required, int *out)
{
	json_t *v;
	int err = field(d, obj, ctx, key, required, &v);

	if (err || !v)
		return err;
	if (!json_is_integer(v) || json_integer_value(v) < INT32_MIN ||
	    json_integer_value(v) > INT32_MAX)
		return fail(d, ctx, key, "expected a 32-bit integer, found %s",
			    type_name(v));
	*out = (int)json_integer_value(v);
	return 0;
}

static int get_double(struct reader *d, json_t *obj, const char *ctx,
		      const char *key, bool required, double *out)
{
	json_t *v;
	int err = field(d, obj, ctx, key, required, &v);

	if (err || !v)
		return err;
	if (!json_is_number(v))
		return fail(d, ctx, key, "expected a number, found %s", type_name(v));
	*out = json_number_value(v);
	return 0;
}

/* Seconds since something (an age, a duration): never negative, and no
 * longer than leakscope could have run (1e10 s is 317 years). Anything
 * else is a damaged or crafted report, and later integer conversions
 * of it would be undefined. */
#define MAX_REPORT_SECONDS 1e10

static int get_seconds(struct reader *d, json_t *obj, const char *ctx,
		       const char *key, bool required, double *out)
{
	double v = 0;
	int err = get_double(d, obj, ctx, key, required, &v);

	if (err || !json_object_get(obj, key))
		return err;
	if (!(v >= 0 && v <= MAX_REPORT_SECONDS))
		return fail(d, ctx, key, "%g seconds is out of range (0 to %g)", v,
			    MAX_REPORT_SECONDS);
	*out = v;
	return 0;
}

static int get_bool(struct reader *d, json_t *obj, const char *ctx,
		    const char *key, bool required, bool *out)
{
	json_t *v;
	int err = field(d, obj, ctx, key, required, &v);

	if (err || !v)
		return err;
	if (!json_is_boolean(v))
		return fail(d, ctx, key, "expected true or false, found %s",
			    type_name(v));
	*out = json_is_true(v);
	return 0;
}

/* A string, in the report's strings; null gives NULL. */
static int get_string(struct reader *d, json_t *obj, const char *ctx,
		      const char *key, bool required, const char **out)
{
	json_t *v;
	int err = field(d, obj, ctx, key, required, &v);

	if (err || !v)
		return err;
	if (json_is_null(v)) {
		*out = NULL;
		return 0;
	}
	if (!json_is_string(v))
		return fail(d, ctx, key, "expected a string, found %s", type_name(v));
	*out = strtab__intern(d->strings, json_string_value(v));
	return 0;
}

static int get_container(struct reader *d, json_t *obj, const char *ctx,
			 const char *key, bool required, bool array,
			 json_t **out)
{
	int err = field(d, obj, ctx, key, required, out);

	if (err || !*out)
		return err;
	if (array ? !json_is_array(*out) : !json_is_object(*out))
		return fail(d, ctx, key, "expected %s, found %s",
			    array ? "an array" : "an object", type_name(*out));
	return 0;
}

static int kind_error(struct reader *d, const char *ctx, const char *key,
		      const char *name)
{
	char list[128] = "";

	for (int k = 0; k < KIND_MAX; k++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list),
			 "%s%s", k ? ", " : "", kind_name(k));
	return fail(d, ctx, key, "unknown kind \"%s\" (one of %s)", name, list);
}

/* targets[].malloc: optional (the malloc family off and no allocator) */
static int read_target_malloc(struct reader *d, json_t *v, const char *ctx,
			      struct report_target *t)
{
	json_t *m;
	char sub[96];
	int err;

	if ((err = get_container(d, v, ctx, "malloc", false, false, &m)) || !m)
		return err;
	snprintf(sub, sizeof(sub), "%s.malloc", ctx);
	if ((err = get_string(d, m, sub, "allocator", false, &t->malloc_allocator)) ||
	    (err = get_string(d, m, sub, "mode", false, &t->malloc_mode)) ||
	    (err = get_uint(d, m, sub, "sample_bytes", false, &t->malloc_sample_mean)) ||
	    (err = get_uint(d, m, sub, "allocs", false, &t->malloc_allocs)) ||
	    (err = get_uint(d, m, sub, "frees", false, &t->malloc_frees)) ||
	    (err = get_uint(d, m, sub, "unknown_frees", false, &t->malloc_unknown_frees)) ||
	    (err = get_uint(d, m, sub, "replaced", false, &t->malloc_replaced)))
		return err;
	return 0;
}

/* targets[].go: what was learned of a Go program. */
static int read_go(struct reader *d, json_t *v, const char *ctx, struct report_target *t)
{
	json_t *go, *hits, *walks, *sites, *it;
	char sub[96];
	size_t i;
	int err;

	t->go_mem_profile_rate = -1;
	if ((err = get_container(d, v, ctx, "go", false, false, &go)) || !go)
		return err;
	snprintf(sub, sizeof(sub), "%s.go", ctx);
	if ((err = get_string(d, go, sub, "version", true, &t->go_version)) ||
	    (err = field(d, go, sub, "mem_profile_rate", false, &it)) ||
	    (err = get_string(d, go, sub, "rate_source", false, &t->go_rate_source)) ||
	    (err = get_uint(d, go, sub, "goroutines_created", false, &t->goroutines_created)) ||
	    (err = get_uint(d, go, sub, "goroutines_exited", false, &t->goroutines_exited)) ||
	    (err = get_string(d, go, sub, "goroutine_mode", false, &t->go_goroutine_mode)) ||
	    (err = get_uint(d, go, sub, "runtime_goroutines", false,
			    &t->go_runtime_goroutines)) ||
	    (err = get_container(d, go, sub, "walks", false, false, &walks)) ||
	    (err = get_container(d, go, sub, "alloc_probe_hits", false, false, &hits)) ||
	    (err = get_container(d, go, sub, "alloc_check", false, true, &sites)))
		return err;
	if (it && !json_is_integer(it))
		return fail(d, sub, "mem_profile_rate", "expected an integer, found %s",
			    type_name(it));
	if (it)
		t->go_mem_profile_rate = json_integer_value(it);
	if (hits &&
	    ((err = get_uint(d, hits, sub, "every", false, &t->go_alloc_every)) ||
	     (err = get_uint(d, hits, sub, "sampled", false, &t->go_alloc_sampled))))
		return err;
	if (walks &&
	    ((err = get_uint(d, walks, sub, "count", false, &t->go_walks)) ||
	     (err = get_double(d, walks, sub, "interval_s", false, &t->go_walk_interval_s)) ||
	     (err = get_double(d, walks, sub, "last_cpu_ms", false, &t->go_walk_cpu_ms))))
		return err;
	if (!sites || !json_array_size(sites))
		return 0;
	t->alloc_sites = xcalloc(json_array_size(sites), sizeof(*t->alloc_sites));
	json_array_foreach(sites, i, it) {
		struct report_alloc_site *a = &t->alloc_sites[t->nalloc_sites];
		char where[160];

		snprintf(where, sizeof(where), "%s.alloc_check[%zu]", sub, i);
		if (!json_is_object(it))
			return fail(d, where, NULL, "expected an object, found %s", type_name(it));
		if ((err = get_string(d, it, where, "site", true, &a->site)) ||
		    (err = get_uint(d, it, where, "every", false, &a->every)) ||
		    (err = get_uint(d, it, where, "sampled", false, &a->sampled)))
			return err;
		t->nalloc_sites++;
	}
	return 0;
}

static int read_target(struct reader *d, json_t *v, const char *ctx,
		       struct report_target *t)
{
	const char *comm = NULL, *exe = NULL, *exe_file = NULL;
	int err;

	if (!json_is_object(v))
		return fail(d, ctx, NULL, "expected an object, found %s", type_name(v));
	if ((err = get_int(d, v, ctx, "pid", true, &t->pid)) ||
	    (err = get_string(d, v, ctx, "comm", true, &comm)) ||
	    (err = get_string(d, v, ctx, "exe", false, &exe)) ||
	    (err = get_string(d, v, ctx, "exe_file", false, &exe_file)) ||
	    (err = get_bool(d, v, ctx, "exited", false, &t->exited)) ||
	    (err = get_int(d, v, ctx, "exit_status", false, &t->exit_status)))
		return err;
	/* comm is the kernel's, at most 15 characters. */
	snprintf(t->comm, sizeof(t->comm), "%s", comm ? comm : "");
	t->exe = exe && *exe ? exe : NULL;	/* the writer's "" is NULL */
	t->exe_file = exe_file;
	if ((err = read_go(d, v, ctx, t)))
		return err;
	return read_target_malloc(d, v, ctx, t);
}

static int read_frames(struct reader *d, json_t *v, const char *ctx,
		       struct report_frame **framesp, size_t *nframes)
{
	json_t *frames, *locs, *it;
	char sub[128];
	size_t i;
	int err;

	if ((err = get_container(d, v, ctx, "frames", true, true, &frames)) ||
	    (err = get_container(d, v, ctx, "locations", false, true, &locs)))
		return err;
	*nframes = json_array_size(frames);
	if (locs && json_array_size(locs) != *nframes)
		return fail(d, ctx, "locations", "%zu entries for %zu frames "
			    "(they must run in parallel)", json_array_size(locs),
			    *nframes);
	*framesp = *nframes ? xcalloc(*nframes, sizeof(**framesp)) : NULL;
	json_array_foreach(frames, i, it) {
		if (!json_is_string(it) && !json_is_null(it)) {
			snprintf(sub, sizeof(sub), "%s.frames[%zu]", ctx, i);
			return fail(d, sub, NULL, "expected a string, found %s",
				    type_name(it));
		}
		(*framesp)[i].name = json_is_string(it) ?
			strtab__intern(d->strings, json_string_value(it)) : NULL;
	}
	if (!locs)
		return 0;
	json_array_foreach(locs, i, it) {
		struct report_frame *f = &(*framesp)[i];
		uint64_t line = 0;

		snprintf(sub, sizeof(sub), "%s.locations[%zu]", ctx, i);
		if (!json_is_object(it))
			return fail(d, sub, NULL, "expected an object, found %s",
				    type_name(it));
		if ((err = get_string(d, it, sub, "file", false, &f->file)) ||
		    (err = get_uint(d, it, sub, "line", false, &line)) ||
		    (err = get_string(d, it, sub, "module", false, &f->module)) ||
		    (err = get_uint(d, it, sub, "address", false, &f->address)) ||
		    (err = get_string(d, it, sub, "build_id", false, &f->build_id)) ||
		    (err = get_bool(d, it, sub, "inlined", false, &f->inlined)) ||
		    (err = get_bool(d, it, sub, "wrapper", false, &f->wrapper)))
			return err;
		if (line > UINT32_MAX)
			return fail(d, sub, "line", "%" PRIu64 " is out of range", line);
		f->line = (uint32_t)line;
	}
	return 0;
}

/* resident_bytes and committed_bytes: both or neither. */
static int read_usage(struct reader *d, json_t *v, const char *ctx, bool *measured,
		      uint64_t *resident, uint64_t *committed)
{
	int err;

	*measured = json_object_get(v, "resident_bytes") != NULL;
	if (!*measured)
		return 0;
	if ((err = get_uint(d, v, ctx, "resident_bytes", true, resident)) ||
	    (err = get_uint(d, v, ctx, "committed_bytes", true, committed)))
		return err;
	return 0;
}

/* goroutines: {"chan receive": 37, ...}, at most max kept */
static int read_states(struct reader *d, json_t *v, const char *ctx,
		       struct report_state *st, size_t *n, size_t max)
{
	const char *name;
	json_t *states, *it;
	int err;

	if ((err = get_container(d, v, ctx, "states", false, false, &states)) || !states)
		return err;
	json_object_foreach(states, name, it) {
		if (!json_is_integer(it) || json_integer_value(it) < 0)
			return fail(d, ctx, "states", "\"%s\": expected a count, found %s",
				    name, type_name(it));
		if (*n < max)
			st[(*n)++] = (struct report_state){
				strtab__intern(d->strings, name), (uint64_t)json_integer_value(it) };
	}
	return 0;
}


/* A goroutine group's "start", "now" and "ancestors". */
static int read_goroutines(struct reader *d, json_t *v, const char *ctx,
			   struct report_stack *s)
{
	json_t *now, *anc, *it;
	char sub[128];
	size_t i;
	int err;

	if ((err = get_string(d, v, ctx, "start", false, &s->go_start)) ||
	    (err = get_container(d, v, ctx, "now", false, true, &now)) ||
	    (err = get_container(d, v, ctx, "ancestors", false, true, &anc)))
		return err;
	if (now && json_array_size(now)) {
		s->now = xcalloc(json_array_size(now), sizeof(*s->now));
		json_array_foreach(now, i, it) {
			struct report_goroutines_now *n = &s->now[s->nnow++];

			snprintf(sub, sizeof(sub), "%s.now[%zu]", ctx, i);
			n->wait_min_s = n->wait_max_s = -1;
			if (!json_is_object(it))
				return fail(d, sub, NULL, "expected an object, found %s",
					    type_name(it));
			if ((err = get_uint(d, it, sub, "count", true, &n->count)) ||
			    (err = get_double(d, it, sub, "wait_min_s", false, &n->wait_min_s)) ||
			    (err = get_double(d, it, sub, "wait_max_s", false, &n->wait_max_s)) ||
			    (err = get_bool(d, it, sub, "truncated", false, &n->truncated)) ||
			    (err = read_states(d, it, sub, n->states, &n->nstates,
					       REPORT_MAX_NOW_STATES)) ||
			    (err = read_frames(d, it, sub, &n->frames, &n->nframes)))
				return err;
		}
	}
	if (anc && json_array_size(anc)) {
		s->ancestors = xcalloc(json_array_size(anc), sizeof(*s->ancestors));
		json_array_foreach(anc, i, it) {
			struct report_ancestor *a = &s->ancestors[s->nancestors++];

			snprintf(sub, sizeof(sub), "%s.ancestors[%zu]", ctx, i);
			if (!json_is_object(it))
				return fail(d, sub, NULL, "expected an object, found %s",
					    type_name(it));
			if ((err = read_frames(d, it, sub, &a->frames, &a->nframes)))
				return err;
		}
	}
	return 0;
}

static int read_stack(struct reader *d, struct report *r, json_t *v,
		      const char *ctx, struct report_stack *s)
{
	const char *kind = NULL;
	json_t *paths, *it;
	size_t i;
	int k, err;

	if (!json_is_object(v))
		return fail(d, ctx, NULL, "expected an object, found %s", type_name(v));
	if ((err = get_string(d, v, ctx, "kind", true, &kind)))
		return err;
	if (!kind)
		return fail(d, ctx, "kind", "expected a string, found null");
	k = kind_from_name(kind);
	if (k < 0)
		return kind_error(d, ctx, "kind", kind);
	s->kind = k;
	if ((err = get_int(d, v, ctx, "pid", true, &s->pid)) ||
	    (err = get_uint(d, v, ctx, "count", true, &s->count)) ||
	    (err = get_uint(d, v, ctx, "bytes", true, &s->bytes)) ||
	    (err = get_seconds(d, v, ctx, "oldest_s", false, &s->oldest_s)) ||
	    (err = get_double(d, v, ctx, "growth_per_min", false, &s->growth_per_min)) ||
	    (err = get_seconds(d, v, ctx, "growth_window_s", false, &s->growth_window_s)) ||
	    (err = read_usage(d, v, ctx, &s->measured, &s->resident_bytes,
			      &s->committed_bytes)) ||
	    (err = get_bool(d, v, ctx, "file_backed", false, &s->file_backed)) ||
	    (err = get_bool(d, v, ctx, "main_goroutine", false, &s->main_goroutine)) ||
	    (err = read_states(d, v, ctx, s->states, &s->nstates, REPORT_MAX_STATES)) ||
	    (err = get_bool(d, v, ctx, "suspect", false, &s->suspect)) ||
	    (err = get_string(d, v, ctx, "fd_kind", false, &s->fd_kind)) ||
	    (err = get_bool(d, v, ctx, "preexisting", false, &s->preexisting)) ||
	    (err = get_bool(d, v, ctx, "allocator", false, &s->allocator)) ||
	    (err = get_bool(d, v, ctx, "truncated", false, &s->truncated)) ||
	    (err = get_uint(d, v, ctx, "alloc_count", false, &s->alloc_count)) ||
	    (err = get_uint(d, v, ctx, "alloc_bytes", false, &s->alloc_bytes)) ||
	    (err = get_container(d, v, ctx, "paths", false, true, &paths)))
		return err;
	if (paths) {
		json_array_foreach(paths, i, it) {
			char sub[96];
			const char *path = NULL;
			uint64_t count = 0;

			snprintf(sub, sizeof(sub), "%s.paths[%zu]", ctx, i);
			if (!json_is_object(it))
				return fail(d, sub, NULL, "expected an object, found %s",
					    type_name(it));
			if ((err = get_string(d, it, sub, "path", true, &path)) ||
			    (err = get_uint(d, it, sub, "count", true, &count)))
				return err;
			if (s->npaths == REPORT_MAX_PATHS) {
				report__add_note(r, "%s.paths: %zu paths beyond the "
						 "first %d not kept", ctx,
						 json_array_size(paths) - REPORT_MAX_PATHS,
						 REPORT_MAX_PATHS);
				break;
			}
			s->paths[s->npaths++] = (struct report_path){ path, count };
		}
	}
	/* A weight per minute: bytes or items, at most 2^64 of them. */
	if (!(fabs(s->growth_per_min) < 1.8e19))
		return fail(d, ctx, "growth_per_min", "%g is out of range",
			    s->growth_per_min);
	if ((err = read_goroutines(d, v, ctx, s)))
		return err;
	return read_frames(d, v, ctx, &s->frames, &s->nframes);
}

/* totals.KIND.file_backed: the part of the totals that maps files. */
static int read_file_backed(struct reader *d, json_t *v, const char *ctx,
			    struct report_total *t)
{
	char sub[80];
	json_t *fb;
	bool measured;
	int err;

	if ((err = get_container(d, v, ctx, "file_backed", false, false, &fb)) || !fb)
		return err;
	snprintf(sub, sizeof(sub), "%s.file_backed", ctx);
	if ((err = get_uint(d, fb, sub, "count", true, &t->file_count)) ||
	    (err = get_uint(d, fb, sub, "bytes", true, &t->file_bytes)) ||
	    (err = read_usage(d, fb, sub, &measured, &t->file_resident_bytes,
			      &t->file_committed_bytes)))
		return err;
	return 0;
}

static int read_totals(struct reader *d, struct report *r, json_t *totals)
{
	const char *key;
	json_t *v;
	int err;

	json_object_foreach(totals, key, v) {
		int k = kind_from_name(key);
		char ctx[64];
		struct report_total *t;

		if (k < 0)
			return kind_error(d, "totals", key, key);
		snprintf(ctx, sizeof(ctx), "totals.%s", key);
		if (!json_is_object(v))
			return fail(d, ctx, NULL, "expected an object, found %s",
				    type_name(v));
		t = &r->totals[k];
		r->has_kind[k] = true;
		if ((err = get_uint(d, v, ctx, "count", true, &t->count)) ||
		    (err = get_uint(d, v, ctx, "bytes", true, &t->bytes)) ||
		    (err = get_uint(d, v, ctx, "hidden_count", false, &t->hidden_count)) ||
		    (err = get_uint(d, v, ctx, "hidden_bytes", false, &t->hidden_bytes)) ||
		    (err = read_usage(d, v, ctx, &t->measured, &t->resident_bytes,
				      &t->committed_bytes)) ||
		    (err = read_file_backed(d, v, ctx, t)))
			return err;
	}
	return 0;
}

/* stats.tables: optional, as older reports have none. */
static int read_tables(struct reader *d, json_t *stats, struct report *r)
{
	json_t *tables = NULL, *t = NULL;
	char ctx[64];
	int err;

	if (!stats)
		return 0;
	err = get_container(d, stats, "stats", "tables", false, false, &tables);
	if (err || !tables)
		return err;
	for (int k = 0; k < REPORT_TABLES; k++) {
		if ((err = get_container(d, tables, "stats.tables", table_kind_name(k), false,
					 false, &t)))
			return err;
		if (!t)
			continue;
		snprintf(ctx, sizeof(ctx), "stats.tables.%s", table_kind_name(k));
		if ((err = get_uint(d, t, ctx, "entries", false, &r->stats.tables[k].entries)) ||
		    (err = get_uint(d, t, ctx, "bytes", false, &r->stats.tables[k].bytes)))
			return err;
	}
	return 0;
}

static int read_report(struct reader *d, json_t *root, struct report *r)
{
	json_t *targets, *drops, *stats, *totals, *notes, *stacks, *resync, *it;
	const char *tool = NULL;
	double start_s = 0;
	char ctx[64];
	size_t i;
	int err;

	if (!json_is_object(root))
		return fail(d, "", NULL, "expected a JSON object (a leakscope "
			    "report), found %s", type_name(root));
	if ((err = get_int(d, root, "", "version", true, &r->version)))
		return err;
	if (r->version != 1)
		return fail(d, "", "version", "%d is not a version this leakscope "
			    "reads (1); use a newer leakscope", r->version);
	if ((err = get_string(d, root, "", "tool", false, &tool)) ||
	    (err = get_double(d, root, "", "start_unix_s", false, &start_s)) ||
	    (err = get_seconds(d, root, "", "duration_s", false, &r->duration_s)) ||
	    (err = get_seconds(d, root, "", "attach_s", false, &r->attach_s)) ||
	    (err = get_seconds(d, root, "", "min_age_s", false, &r->min_age_s)) ||
	    (err = get_container(d, root, "", "targets", true, true, &targets)) ||
	    (err = get_uint(d, root, "", "lost_events", false, &r->lost_events)) ||
	    (err = get_container(d, root, "", "drops", false, false, &drops)) ||
	    (err = get_uint(d, root, "", "unresolved_frames", false,
			    &r->unresolved_frames)) ||
	    (err = get_container(d, root, "", "stats", false, false, &stats)) ||
	    (err = get_container(d, root, "", "resync", false, false, &resync)) ||
	    (err = get_bool(d, root, "", "counts_inexact", false, &r->resync.inexact)) ||
	    (err = get_container(d, root, "", "totals", true, false, &totals)) ||
	    (err = get_container(d, root, "", "notes", false, true, &notes)) ||
	    (err = get_container(d, root, "", "stacks", true, true, &stacks)))
		return err;
	if (tool && strcmp(tool, "leakscope"))
		return fail(d, "", "tool", "\"%s\": not a leakscope report", tool);
	/* In nanoseconds it must fit pprof's int64 time: up to year 2262. */
	if (!(start_s >= 0 && start_s < 9.2e9))
		return fail(d, "", "start_unix_s", "%g is not a time leakscope ran at "
			    "(0 to 9.2e9 seconds since 1970)", start_s);
	/* Whole seconds, then the fraction to the microsecond: a double has
	 * no nanoseconds to spare near 1.8e18, and the writer keeps ms. */
	r->start_unix_ns = (uint64_t)start_s * NS_PER_S +
		(uint64_t)llround((start_s - floor(start_s)) * (double)(NS_PER_S / NS_PER_US)) *
			NS_PER_US;

	r->targets = json_array_size(targets) ?
		xcalloc(json_array_size(targets), sizeof(*r->targets)) : NULL;
	json_array_foreach(targets, i, it) {
		snprintf(ctx, sizeof(ctx), "targets[%zu]", i);
		if ((err = read_target(d, it, ctx, &r->targets[r->ntargets])))
			return err;
		r->ntargets++;
	}
	for (int reason = 0; drops && reason < LS_DROP_MAX; reason++)
		if (drop_reason_name(reason) &&
		    (err = get_uint(d, drops, "drops", drop_reason_name(reason),
				    false, &r->drops[reason])))
			return err;
	if (stats &&
	    ((err = get_uint(d, stats, "stats", "records", false, &r->stats.records)) ||
	     (err = get_uint(d, stats, "stats", "stacks_unwound", false,
			     &r->stats.stacks_unwound)) ||
	     (err = get_uint(d, stats, "stats", "stacks_truncated", false,
			     &r->stats.stacks_truncated)) ||
	     (err = get_uint(d, stats, "stats", "stacks_stitched", false,
			     &r->stats.stacks_stitched)) ||
	     (err = get_uint(d, stats, "stats", "stacks_broken", false,
			     &r->stats.stacks_broken)) ||
	     (err = get_uint(d, stats, "stats", "stacks_cgo", false, &r->stats.stacks_cgo)) ||
	     (err = get_uint(d, stats, "stats", "go_stacks_copied", false,
			     &r->stats.go_stacks_copied)) ||
	     (err = get_double(d, stats, "stats", "unwind_us_per_stack", false,
			       &r->stats.unwind_us_per_stack)) ||
	     (err = get_uint(d, stats, "stats", "malloc_failed", false,
			     &r->stats.malloc_failed))))
		return err;
	if (resync &&
	    ((err = get_uint(d, resync, "resync", "runs", false, &r->resync.runs)) ||
	     (err = get_uint(d, resync, "resync", "fds_added", false, &r->resync.fds_added)) ||
	     (err = get_uint(d, resync, "resync", "fds_removed", false,
			     &r->resync.fds_removed)) ||
	     (err = get_uint(d, resync, "resync", "bytes_added", false,
			     &r->resync.bytes_added)) ||
	     (err = get_uint(d, resync, "resync", "bytes_removed", false,
			     &r->resync.bytes_removed))))
		return err;
	if ((err = read_tables(d, stats, r)))
		return err;
	if ((err = read_totals(d, r, totals)))
		return err;
	json_array_foreach(notes, i, it) {	/* NULL array: no iteration */
		if (!json_is_string(it)) {
			snprintf(ctx, sizeof(ctx), "notes[%zu]", i);
			return fail(d, ctx, NULL, "expected a string, found %s",
				    type_name(it));
		}
		report__add_note(r, "%s", json_string_value(it));
	}
	r->stacks = json_array_size(stacks) ?
		xcalloc(json_array_size(stacks), sizeof(*r->stacks)) : NULL;
	json_array_foreach(stacks, i, it) {
		snprintf(ctx, sizeof(ctx), "stacks[%zu]", i);
		/* Counted first: report__free frees a half-read stack too. */
		r->nstacks++;
		if ((err = read_stack(d, r, it, ctx, &r->stacks[i])))
			return err;
	}
	return 0;
}

static int parse(json_t *root, json_error_t *jerr, const char *name,
		 struct report **out, char *err, size_t errlen)
{
	struct reader d = { name, err, errlen };
	struct report *r;
	int ret;

	*out = NULL;
	if (!root) {
		if (err && errlen)
			snprintf(err, errlen, "%s:%d:%d: malformed JSON: %s "
				 "(is it a leakscope JSON report? the tracer "
				 "writes one with -o FILE.json)", name,
				 jerr->line, jerr->column, jerr->text);
		return -EINVAL;
	}
	r = xcalloc(1, sizeof(*r));
	r->strings = strtab__new();
	d.strings = r->strings;
	ret = read_report(&d, root, r);
	json_decref(root);
	if (ret) {
		report__free(r);
		return ret;
	}
	*out = r;
	return 0;
}

int report_read__buffer(const char *buf, size_t len, const char *name,
			struct report **out, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);

	return parse(root, &jerr, name, out, err, errlen);
}

int report_read__file(const char *path, struct report **out,
		      char *err, size_t errlen)
{
	bool is_stdin = strcmp(path, "-") == 0;
	const char *name = is_stdin ? "<stdin>" : path;
	FILE *f = is_stdin ? stdin : fopen(path, "r");
	json_error_t jerr;
	json_t *root;

	*out = NULL;
	if (!f) {
		int e = errno;

		if (err && errlen)
			snprintf(err, errlen, "cannot read %s: %s", path, strerror(e));
		return -e;
	}
	root = json_loadf(f, JSON_REJECT_DUPLICATES, &jerr);
	if (!root && ferror(f)) {
		int e = errno ? errno : EIO;

		if (!is_stdin)
			fclose(f);
		if (err && errlen)
			snprintf(err, errlen, "cannot read %s: %s", name, strerror(e));
		return -e;
	}
	if (!is_stdin)
		fclose(f);
	return parse(root, &jerr, name, out, err, errlen);
}
