// SPDX-License-Identifier: MIT
/*
 * pprof writer: report model -> perftools.profiles.Profile -> gzip.
 *
 * The encoder is Debian's protobuf-c (libprotobuf-c-dev), with code that
 * protoc-c (protobuf-c-compiler) generates at build time from our own
 * src/export_pprof.proto, not a hand-written protobuf encoder. The
 * project rule is to prefer a well-kept Debian library to hand-written
 * code for anything that is not the heart of the tool, and an exporter
 * is not the heart. What settled it: the generated code encodes the wire
 * format (varints, zigzag, packed repeated fields, field order) exactly
 * as the format's owners do, the same code decodes, so our unit tests
 * check what we wrote field by field ("decode what you encode") without
 * a second, hand-written decoder that could share our mistakes, and the
 * cost is one small runtime library plus a compiler run at build time.
 * (Go's runtime and google/pprof hand-write this encoder: it is small,
 * but they have no protobuf library to lean on, and we do.)
 *
 * Ids and strings: every table here is built in first-use order, ids
 * start at 1, string 0 is "". Locations are keyed by (module, address):
 * the address is the file offset in the module, and each mapping spans
 * [0, highest offset + 1) with file offset 0, so pprof's arithmetic
 * (address - start + offset) gives the file offset back.
 */
#include "export/pprof.h"
#include "export/folded.h"
#include "export/pprof_profile.pb-c.h"
#include "base/hashmap.h"
#include "report/report.h"
#include "base/util.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

typedef Perftools__Profiles__Profile pb_profile;
typedef Perftools__Profiles__ValueType pb_value_type;
typedef Perftools__Profiles__Sample pb_sample;
typedef Perftools__Profiles__Label pb_label;
typedef Perftools__Profiles__Mapping pb_mapping;
typedef Perftools__Profiles__Location pb_location;
typedef Perftools__Profiles__Line pb_line;
typedef Perftools__Profiles__Function pb_function;

/* A string -> index table that owns copies of its keys. The u64map is
 * keyed by a content hash; a clash moves on to the next hash. */
struct smap {
	struct u64map *index;
	char **keys;
	size_t n, cap;
};

static size_t smap__get(struct smap *s, const char *key, bool *added)
{
	uint64_t h = hash_bytes(key, strlen(key), 0x9e37), v;

	if (!s->index)
		s->index = u64map__new(64);
	for (;; h = hash_u64(h + 1)) {
		if (h == U64MAP_EMPTY)
			continue;
		if (!u64map__get(s->index, h, &v))
			break;
		if (strcmp(s->keys[v], key) == 0) {
			if (added)
				*added = false;
			return v;
		}
	}
	grow_array((void **)&s->keys, &s->cap, s->n + 1, sizeof(*s->keys));
	s->keys[s->n] = xstrdup(key);
	u64map__put(s->index, h, s->n);
	if (added)
		*added = true;
	return s->n++;
}

static void smap__free(struct smap *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->keys[i]);
	free(s->keys);
	u64map__free(s->index);
}

#define MAX_COLS 16

struct module_info {
	const char *path, *build_id;
	uint64_t limit;
	bool all_symbolized, any_file, any_line, any_inline;
	uint64_t id;		/* after ordering */
};

struct builder {
	const struct report *r;
	struct smap strings;	/* the string table itself */
	struct smap module_keys, function_keys, location_keys;
	struct module_info *modules;
	size_t nmodules, cap_modules;
	pb_function *functions;
	size_t nfunctions, cap_functions;
	pb_location *locations;	/* line: its own block (see new_location) */
	size_t nlocations, cap_locations;
	pb_sample *samples;
	size_t nsamples, cap_samples;
	/* columns */
	bool included[KIND_MAX];
	bool mixed;
	int first_col[KIND_MAX];
	size_t ncols;
	pb_value_type cols[MAX_COLS];
};

static int64_t str(struct builder *b, const char *s)
{
	return (int64_t)smap__get(&b->strings, s ? s : "", NULL);
}

static int64_t clamp_i64(uint64_t v)
{
	return v > INT64_MAX ? INT64_MAX : (int64_t)v;
}

/* "libc.so.6+0x1234" and "[unknown 0x1234]" are what symbolize.c names
 * frames it could not resolve. */
static bool frame_symbolized(const struct report_frame *f)
{
	const char *plus;

	if (!f->name || !f->name[0] || f->name[0] == '[')
		return false;
	plus = strstr(f->name, "+0x");
	if (plus && plus[3] && strspn(plus + 3, "0123456789abcdefABCDEF") ==
				   strlen(plus + 3)) {
		const char *base = f->module ? strrchr(f->module, '/') : NULL;

		base = base ? base + 1 : f->module;
		return !(base && (size_t)(plus - f->name) == strlen(base) &&
			 strncmp(f->name, base, plus - f->name) == 0);
	}
	return true;
}

static size_t module_index(struct builder *b, const struct report_frame *f)
{
	char *key = xasprintf("%s\x01%s", f->module, f->build_id ? f->build_id : "");
	bool added;
	size_t i = smap__get(&b->module_keys, key, &added);

	free(key);
	if (added) {
		grow_array((void **)&b->modules, &b->cap_modules, b->nmodules + 1,
			   sizeof(*b->modules));
		b->modules[b->nmodules++] = (struct module_info){
			.path = f->module, .build_id = f->build_id,
			.all_symbolized = true,
		};
	}
	return i;
}

static bool stack_included(const struct builder *b, const struct report_stack *s);

/* Pass 1: every module, with what its frames tell (for the mapping's
 * has_* flags and extent). The targets' executables go first: pprof
 * takes the first mapping for the main binary. */
static void collect_modules(struct builder *b)
{
	const struct report *r = b->r;
	uint64_t next_id = 1;

	for (size_t i = 0; i < r->nstacks; i++) {
		const struct report_stack *s = &r->stacks[i];

		if (!stack_included(b, s))
			continue;
		for (size_t j = 0; j < s->nframes; j++) {
			const struct report_frame *f = &s->frames[j];
			struct module_info *m;
			size_t mi;

			if (!f->module)
				continue;
			mi = module_index(b, f);	/* may move b->modules */
			m = &b->modules[mi];
			m->limit = MAX(m->limit, f->address + 1);
			m->all_symbolized &= frame_symbolized(f);
			m->any_file |= f->file != NULL;
			m->any_line |= f->file && f->line;
			m->any_inline |= f->inlined;
		}
	}
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < b->nmodules; i++) {
			struct module_info *m = &b->modules[i];
			bool is_exe = false;

			for (size_t t = 0; t < r->ntargets && !is_exe; t++)
				is_exe = (r->targets[t].exe &&
					  strcmp(r->targets[t].exe, m->path) == 0) ||
					 (r->targets[t].exe_file &&
					  strcmp(r->targets[t].exe_file, m->path) == 0);
			if (is_exe == (pass == 0))
				m->id = next_id++;
		}
}

static uint64_t function_id(struct builder *b, const char *name, const char *file)
{
	char *key = xasprintf("%s\x01%s", name, file ? file : "");
	bool added;
	size_t i = smap__get(&b->function_keys, key, &added);

	free(key);
	if (added) {
		pb_function *fn;

		grow_array((void **)&b->functions, &b->cap_functions,
			   b->nfunctions + 1, sizeof(*b->functions));
		fn = &b->functions[b->nfunctions++];
		perftools__profiles__function__init(fn);
		fn->id = b->nfunctions;
		fn->name = fn->system_name = str(b, name);
		fn->filename = str(b, file);
		fn->start_line = 0;
	}
	return i + 1;
}

/* A location with n lines: one block holds the line pointers, then the
 * lines (freed with l->line). */
static pb_location *new_location(struct builder *b, size_t n)
{
	pb_location *l;
	pb_line *lines;

	grow_array((void **)&b->locations, &b->cap_locations,
		   b->nlocations + 1, sizeof(*b->locations));
	l = &b->locations[b->nlocations];
	perftools__profiles__location__init(l);
	l->id = ++b->nlocations;
	l->line = xcalloc(n, sizeof(*l->line) + sizeof(*lines));
	lines = (pb_line *)(void *)(l->line + n);
	for (size_t i = 0; i < n; i++) {
		perftools__profiles__line__init(&lines[i]);
		l->line[i] = &lines[i];
	}
	l->n_line = n;
	return l;
}

static const char *frame_name(const struct report_frame *f)
{
	return f->name && f->name[0] ? f->name : "[unknown]";
}

/*
 * The location of frames f[0..n): functions inlined into one another at
 * one address (all but the last marked inlined), innermost first, as
 * pprof wants its lines. One location per (module, address); frames
 * without a module are told apart by address and name.
 */
static uint64_t location_id(struct builder *b, const struct report_frame *f,
			    size_t n)
{
	const struct report_frame *outer = &f[n - 1];
	char *key = outer->module ?
		xasprintf("m%s\x01%s\x01%llx", outer->module,
			  outer->build_id ? outer->build_id : "",
			  (unsigned long long)outer->address) :
		xasprintf("a%llx\x01%s", (unsigned long long)outer->address,
			  frame_name(outer));
	bool added;
	size_t i = smap__get(&b->location_keys, key, &added);
	pb_location *l;

	free(key);
	if (!added)
		return i + 1;
	l = new_location(b, n);
	l->address = outer->address;
	if (outer->module) {
		size_t mi = module_index(b, outer);

		l->mapping_id = b->modules[mi].id;
	}
	/* Unresolved frames keep the name the report gave them, so pprof
	 * shows "libc.so.6+0x1234" rather than a bare address. */
	for (size_t j = 0; j < n; j++) {
		l->line[j]->function_id = function_id(b, frame_name(&f[j]), f[j].file);
		l->line[j]->line = f[j].file ? f[j].line : 0;
	}
	return l->id;
}

/* Stand-in frames ("[held before attach]") have no module or address. */
static uint64_t pseudo_location_id(struct builder *b, const char *name)
{
	struct report_frame f = { .name = name };

	return location_id(b, &f, 1);
}

/* Frames [i, end) where end follows the first frame not inlined. */
static size_t inline_group_end(const struct report_stack *s, size_t i)
{
	while (i < s->nframes && s->frames[i].inlined)
		i++;
	return i < s->nframes ? i + 1 : s->nframes;
}

/* ---- columns ---- */

static void add_col(struct builder *b, const char *type, const char *unit)
{
	if (b->ncols == MAX_COLS)
		return;
	perftools__profiles__value_type__init(&b->cols[b->ncols]);
	b->cols[b->ncols].type = str(b, type);
	b->cols[b->ncols].unit = str(b, unit);
	b->ncols++;
}

static void kind_columns(struct builder *b, enum ls_kind k)
{
	char t1[64], t2[64];

	b->first_col[k] = (int)b->ncols;
	switch (k) {
	case KIND_MALLOC:
	case KIND_GO_ALLOC: {
		/* as Go's heap profile; in a mixed profile malloc's carry its
		 * name, so the two never share a column name */
		const char *pre = k == KIND_MALLOC && b->mixed ? "malloc_" : "";
		static const char *const names[] = { "alloc_objects", "alloc_space",
						     "inuse_objects", "inuse_space" };

		for (int i = 0; i < 4; i++) {
			snprintf(t1, sizeof(t1), "%s%s", pre, names[i]);
			add_col(b, t1, i % 2 ? "bytes" : "count");
		}
		break;
	}
	case KIND_GOROUTINE:
		add_col(b, "goroutine", "count");
		break;
	case KIND_FD:
		add_col(b, "open_fds", "count");
		break;
	default:
		if (!b->mixed) {
			add_col(b, "inuse_objects", "count");
			add_col(b, "inuse_space", "bytes");
		} else {
			snprintf(t1, sizeof(t1), "%s_objects", kind_name(k));
			snprintf(t2, sizeof(t2), "%s_space", kind_name(k));
			add_col(b, t1, "count");
			add_col(b, t2, "bytes");
		}
	}
}

static size_t fill_values(const struct report_stack *s, int64_t *v)
{
	switch (s->kind) {
	case KIND_MALLOC:
	case KIND_GO_ALLOC:
		v[0] = clamp_i64(MAX(s->alloc_count, s->count));
		v[1] = clamp_i64(MAX(s->alloc_bytes, s->bytes));
		v[2] = clamp_i64(s->count);
		v[3] = clamp_i64(s->bytes);
		return 4;
	case KIND_GOROUTINE:
	case KIND_FD:
		v[0] = clamp_i64(s->count);
		return 1;
	default:
		v[0] = clamp_i64(s->count);
		v[1] = clamp_i64(s->bytes);
		return 2;
	}
}

static bool stack_included(const struct builder *b, const struct report_stack *s)
{
	int64_t v[4];
	size_t n;

	if (s->kind >= KIND_MAX || !b->included[s->kind])
		return false;
	n = fill_values(s, v);
	for (size_t i = 0; i < n; i++)
		if (v[i])
			return true;
	return false;
}

static void choose_columns(struct builder *b, const struct pprof_options *o)
{
	const struct report *r = b->r;
	size_t nkinds = 0;

	if (o->kind_filter >= 0 && o->kind_filter < KIND_MAX) {
		b->included[o->kind_filter] = true;
	} else {
		for (size_t i = 0; i < r->nstacks; i++)
			if (r->stacks[i].kind < KIND_MAX)
				b->included[r->stacks[i].kind] = true;
	}
	for (int k = 0; k < KIND_MAX; k++)
		nkinds += b->included[k];
	if (!nkinds) {	/* nothing at all: an empty profile of some kind */
		b->included[report__first_traced_kind(r)] = true;
		nkinds = 1;
	}
	b->mixed = nkinds > 1;
	for (int k = 0; k < KIND_MAX; k++)
		if (b->included[k])
			kind_columns(b, k);
}

/* ---- samples ---- */

static pb_label *add_label(pb_sample *s, pb_label *pool)
{
	pb_label *l = &pool[s->n_label];

	perftools__profiles__label__init(l);
	s->label[s->n_label++] = l;
	return l;
}

static const char *target_comm(const struct report *r, int pid)
{
	for (size_t i = 0; i < r->ntargets; i++)
		if (r->targets[i].pid == pid)
			return r->targets[i].comm[0] ? r->targets[i].comm : NULL;
	return NULL;
}

#define MAX_LABELS 6

static void add_sample(struct builder *b, const struct report_stack *st)
{
	int64_t v[4];
	size_t nv = fill_values(st, v);
	size_t nloc = 0;
	const char *comm = target_comm(b->r, st->pid);
	pb_label *pool;
	pb_sample *s;

	grow_array((void **)&b->samples, &b->cap_samples, b->nsamples + 1,
		   sizeof(*b->samples));
	s = &b->samples[b->nsamples++];
	perftools__profiles__sample__init(s);
	s->n_value = b->ncols;
	s->value = xcalloc(b->ncols, sizeof(*s->value));
	memcpy(&s->value[b->first_col[st->kind]], v, nv * sizeof(*v));
	for (size_t i = 0; i < st->nframes; i = inline_group_end(st, i))
		nloc++;
	s->location_id = xcalloc(MAX(nloc, 1), sizeof(*s->location_id));
	nloc = 0;
	if (!st->nframes)
		s->location_id[nloc++] = pseudo_location_id(b, st->preexisting ?
			"[held before attach]" : "[no stack]");
	for (size_t i = 0, end; i < st->nframes; i = end) {	/* leaf first, as ours */
		end = inline_group_end(st, i);
		s->location_id[nloc++] = location_id(b, &st->frames[i], end - i);
	}
	s->n_location_id = nloc;

	/* One allocation holds the labels and, after them, their pointers. */
	pool = xcalloc(MAX_LABELS, sizeof(*pool) + sizeof(pb_label *));
	s->label = (pb_label **)(pool + MAX_LABELS);
	add_label(s, pool)->key = str(b, "pid");
	s->label[0]->num = st->pid;
	if (comm) {
		pb_label *l = add_label(s, pool);

		l->key = str(b, "comm");
		l->str = str(b, comm);
	}
	if (st->kind == KIND_FD && st->fd_kind) {
		pb_label *l = add_label(s, pool);

		l->key = str(b, "fd_kind");
		l->str = str(b, st->fd_kind);
	}
	if (b->mixed) {
		pb_label *l = add_label(s, pool);

		l->key = str(b, "kind");
		l->str = str(b, kind_name(st->kind));
	}
	if (st->suspect) {
		pb_label *l = add_label(s, pool);

		l->key = str(b, "suspect");
		l->str = str(b, "true");
	}
	if (st->preexisting) {
		pb_label *l = add_label(s, pool);

		l->key = str(b, "preexisting");
		l->str = str(b, "true");
	}
}

static void free_builder(struct builder *b)
{
	for (size_t i = 0; i < b->nsamples; i++) {
		free(b->samples[i].value);
		free(b->samples[i].location_id);
		free((pb_label *)(void *)b->samples[i].label - MAX_LABELS);
	}
	free(b->samples);
	for (size_t i = 0; i < b->nlocations; i++)
		free(b->locations[i].line);
	free(b->locations);
	free(b->functions);
	free(b->modules);
	smap__free(&b->strings);
	smap__free(&b->module_keys);
	smap__free(&b->function_keys);
	smap__free(&b->location_keys);
}

/*
 * Comments pprof shows with -comments:
 *   leakscope: leaky (4242) /work/tests/workloads/leaky, exited with status 0
 *   note: 3 syscall tracepoints absent on this kernel (...)
 */
static void add_comments(struct builder *b, int64_t **out, size_t *n)
{
	const struct report *r = b->r;
	size_t cap = 0;
	char *line;

#define ADD(s) do { \
		grow_array((void **)out, &cap, *n + 1, sizeof(**out)); \
		(*out)[(*n)++] = str(b, s); \
	} while (0)
	for (size_t i = 0; i < r->ntargets; i++) {
		const struct report_target *t = &r->targets[i];

		line = xasprintf("leakscope: %s (%d) %s%s", t->comm, t->pid,
				 t->exe ? t->exe : "", t->exited ? ", exited" : "");
		ADD(line);
		free(line);
	}
	for (size_t i = 0; i < r->nnotes; i++) {
		line = xasprintf("note: %s", r->notes[i]);
		ADD(line);
		free(line);
	}
	if (r->lost_events) {
		line = xasprintf("lost events: %llu (ring buffer full)",
				 (unsigned long long)r->lost_events);
		ADD(line);
		free(line);
	}
	if (r->resync.runs) {
		line = xasprintf("ledgers re-read from /proc after lost events: %llu time(s)",
				 (unsigned long long)r->resync.runs);
		ADD(line);
		free(line);
	}
	if (r->resync.inexact)
		ADD("counts inexact: events were lost and not every count could be re-read");
#undef ADD
}

/* Go's conventions, by the kinds in the profile: the period (what one
 * unit of sampling is) and the sample type a viewer shows first. */
static void set_period(struct builder *b, pb_profile *prof, pb_value_type *period_type)
{
	enum ls_kind only = KIND_MAX;

	for (int k = 0; k < KIND_MAX; k++)
		if (b->included[k] && !b->mixed)
			only = k;
	if (only == KIND_GO_ALLOC || only == KIND_GO_HEAP) {
		period_type->type = str(b, "space");
		period_type->unit = str(b, "bytes");
		prof->period = PPROF_GO_PERIOD;
	} else if (only == KIND_GOROUTINE || only == KIND_FD) {
		period_type->type = b->cols[0].type;
		period_type->unit = b->cols[0].unit;
		prof->period = 1;
	} else if (only == KIND_MALLOC) {
		/* sampled by bytes (--malloc=sampled), or every block */
		period_type->type = str(b, "space");
		period_type->unit = str(b, "bytes");
		prof->period = 1;
		for (size_t i = 0; i < b->r->ntargets; i++)
			if (b->r->targets[i].malloc_sample_mean)
				prof->period = (int64_t)b->r->targets[i].malloc_sample_mean;
	} else if (only != KIND_MAX) {	/* exact tracing: every item counts */
		period_type->type = str(b, "space");
		period_type->unit = str(b, "bytes");
		prof->period = 1;
	}
	if (only != KIND_MAX)
		prof->period_type = period_type;
	/* Single kind: the last column, as Go's heap profile (inuse_space).
	 * Mixed: the bytes of the first memory kind, else the first count. */
	prof->default_sample_type = b->cols[b->ncols - 1].type;
	if (b->mixed) {
		prof->default_sample_type = b->cols[0].type;
		for (int k = KIND_MAX - 1; k >= 0; k--)
			if (b->included[k] && kind_has_bytes(k))
				prof->default_sample_type =
					b->cols[b->first_col[k] + (k == KIND_GO_ALLOC ||
								   k == KIND_MALLOC ? 3 : 1)].type;
	}
}

/* protobuf-c wants arrays of pointers: one to each of n items. */
static void *pointers_to(void *items, size_t n, size_t size)
{
	void **v = xcalloc(n + 1, sizeof(*v));

	for (size_t i = 0; i < n; i++)
		v[i] = (char *)items + i * size;
	return v;
}

/* A pprof mapping per module, in id order; *maps owns them. */
static pb_mapping **mappings(struct builder *b, pb_mapping **maps)
{
	pb_mapping **mapp = xcalloc(b->nmodules + 1, sizeof(*mapp));

	*maps = xcalloc(b->nmodules + 1, sizeof(**maps));
	for (size_t i = 0; i < b->nmodules; i++) {
		const struct module_info *m = &b->modules[i];
		pb_mapping *pm = &(*maps)[m->id - 1];

		perftools__profiles__mapping__init(pm);
		pm->id = m->id;
		pm->memory_start = 0;
		pm->memory_limit = m->limit;
		pm->file_offset = 0;
		pm->filename = str(b, m->path);
		pm->build_id = str(b, m->build_id);
		pm->has_functions = m->all_symbolized;
		pm->has_filenames = m->any_file;
		pm->has_line_numbers = m->any_line;
		pm->has_inline_frames = m->any_inline;
		mapp[m->id - 1] = pm;
	}
	return mapp;
}

int pprof__encode(const struct report *r, const struct pprof_options *o,
		  uint8_t **buf, size_t *len)
{
	struct builder b = { .r = r };
	pb_profile prof = PERFTOOLS__PROFILES__PROFILE__INIT;
	pb_value_type period_type = PERFTOOLS__PROFILES__VALUE_TYPE__INIT;
	pb_mapping *maps = NULL;
	int64_t *comments = NULL;
	size_t ncomments = 0;

	str(&b, "");	/* string 0 */
	choose_columns(&b, o);
	collect_modules(&b);
	for (size_t i = 0; i < r->nstacks; i++)
		if (stack_included(&b, &r->stacks[i]))
			add_sample(&b, &r->stacks[i]);
	add_comments(&b, &comments, &ncomments);
	set_period(&b, &prof, &period_type);

	prof.sample_type = pointers_to(b.cols, b.ncols, sizeof(*b.cols));
	prof.n_sample_type = b.ncols;
	prof.sample = pointers_to(b.samples, b.nsamples, sizeof(*b.samples));
	prof.n_sample = b.nsamples;
	prof.mapping = mappings(&b, &maps);
	prof.n_mapping = b.nmodules;
	prof.location = pointers_to(b.locations, b.nlocations, sizeof(*b.locations));
	prof.n_location = b.nlocations;
	prof.function = pointers_to(b.functions, b.nfunctions, sizeof(*b.functions));
	prof.n_function = b.nfunctions;
	prof.comment = comments;
	prof.n_comment = ncomments;
	prof.time_nanos = clamp_i64(r->start_unix_ns);
	/* A double past int64's range (a crafted report) is clamped: the
	 * cast alone would be undefined. */
	prof.duration_nanos = !(r->duration_s > 0) ? 0 :
		r->duration_s < 9.2e9 ? (int64_t)(r->duration_s * NS_PER_S) : INT64_MAX;
	/* Last: everything above may have added strings. */
	prof.string_table = b.strings.keys;
	prof.n_string_table = b.strings.n;

	*len = perftools__profiles__profile__get_packed_size(&prof);
	*buf = xmalloc(*len ? *len : 1);
	perftools__profiles__profile__pack(&prof, *buf);

	free(comments);
	free(prof.function);
	free(prof.location);
	free(prof.mapping);
	free(maps);
	free(prof.sample);
	free(prof.sample_type);
	free_builder(&b);
	return 0;
}

int pprof__write(FILE *f, const struct report *r, const struct pprof_options *o)
{
	unsigned char out[16384];
	z_stream z = { 0 };
	uint8_t *buf;
	size_t len;
	int err, zr;

	err = pprof__encode(r, o, &buf, &len);
	if (err)
		return err;
	/* windowBits 15 + 16: a gzip wrapper, which pprof expects. */
	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK) {
		free(buf);
		return -ENOMEM;
	}
	z.next_in = buf;
	z.avail_in = (uInt)len;	/* profiles stay far below 4 GiB */
	do {
		z.next_out = out;
		z.avail_out = sizeof(out);
		zr = deflate(&z, Z_FINISH);
		if (zr == Z_STREAM_ERROR) {
			err = -EIO;
			break;
		}
		if (fwrite(out, 1, sizeof(out) - z.avail_out, f) !=
		    sizeof(out) - z.avail_out) {
			err = -EIO;
			break;
		}
	} while (zr != Z_STREAM_END);
	deflateEnd(&z);
	free(buf);
	if (!err && ferror(f))
		err = -EIO;
	return err;
}
