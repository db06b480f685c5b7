// SPDX-License-Identifier: MIT
/*
 * Exporters and the JSON reader, on a report model built by hand: folded
 * lines exactly, pprof decoded field by field (with the protobuf-c code
 * that encoded it), SVG structure and escaping, JSON write -> read ->
 * write, the reader's errors, and `leakscope convert` itself.
 */
#include "check.h"
#include "cli/convert.h"
#include "export/export.h"
#include "export/folded.h"
#include "export/pprof.h"
#include "export/pprof_profile.pb-c.h"
#include "export/svg.h"
#include "report/report.h"
#include "report/json_write.h"
#include "report/json_read.h"
#include "base/util.h"

#include <errno.h>
#include <stdbool.h>
#include <unistd.h>
#include <zlib.h>

#define SAMPLE "../export/sample_report.json"	/* tests run in tests/unit */

/* ---- the model ---- */

static struct report_frame f_mmap_app[] = {
	{ "mmap", NULL, 0, "/lib/libc.so.6", 0x1000, "aa11" },
	{ "alloc_pages", "/src/a.c", 10, "/bin/app", 0x2000, "bb22" },
	{ "main", "/src/main.c", 5, "/bin/app", 0x3000, "bb22" },
};
static struct report_frame f_mmap_worker[] = {
	{ "mmap", NULL, 0, "/lib/libc.so.6", 0x1000, "aa11" },
	{ "weird;name\nx", NULL, 0, "/bin/worker", 0x40, NULL },
};
static struct report_frame f_fd[] = {
	{ "socket", NULL, 0, "/lib/libc.so.6", 0x1100, "aa11" },
	{ "libz.so.1+0x1234", NULL, 0, "/lib/libz.so.1", 0x1234, NULL },
	{ "main", "/src/main.c", 7, "/bin/app", 0x3010, "bb22" },
};
static struct report_frame f_goroutine[] = {
	{ "main.worker", "/src/w.go", 3, "/bin/app", 0x5000, "bb22" },
};
/* where those goroutines are now, and who created their creator */
static struct report_frame f_now[] = {
	{ "runtime.gopark", "/usr/lib/go/src/runtime/proc.go", 363, "/bin/app", 0x4000, "bb22" },
	{ "main.worker.func1", "/src/w.go", 4, "/bin/app", 0x5100, "bb22" },
};
static struct report_frame f_ancestor[] = {
	{ "net/http.(*Transport).dialConnFor", "/usr/lib/go/src/net/http/transport.go", 1450,
	  "/bin/app", 0x7000, "bb22" },
	{ "main.main", "/src/main.go", 35, "/bin/app", 0x7100, "bb22" },
};
static struct report_frame f_alloc[] = {
	{ "runtime.mallocgc", "/usr/lib/go/src/runtime/malloc.go", 900, "/bin/app", 0x6000, "bb22" },
	{ "main.grow", "/src/fill.go", 30, "/bin/app", 0x6100, "bb22", .inlined = true },
	{ "main.fill", "/src/fill.go", 12, "/bin/app", 0x6100, "bb22" },
};

#define FRAMES(a) a, sizeof(a) / sizeof(a[0])

static struct report *model(void)
{
	static struct report_target targets[2] = {
		{ .pid = 100, .comm = "app", .exe = "/bin/app" },
		{ .pid = 200, .comm = "wor;ker", .exe = "/bin/worker", .exited = true,
		  .exit_status = 256 },
	};
	struct report_stack stacks[] = {
		{ .kind = KIND_MMAP, .pid = 100, .count = 1, .bytes = 4096, .oldest_s = 3.5,
		  .growth_per_min = 4096, .suspect = true, .frames = FRAMES(f_mmap_app) },
		{ .kind = KIND_MMAP, .pid = 200, .count = 2, .bytes = 8192, .oldest_s = 1.25,
		  .truncated = true, .frames = FRAMES(f_mmap_worker) },
		{ .kind = KIND_MMAP, .pid = 100, .count = 1, .bytes = 65536, .preexisting = true },
		{ .kind = KIND_BRK, .pid = 100, .count = 1, .bytes = 0, .oldest_s = 2 },
		{ .kind = KIND_FD, .pid = 100, .count = 3, .fd_kind = "socket", .oldest_s = 9.75,
		  .paths = { { "socket:[123]", 2 }, { "socket:[124]", 1 } }, .npaths = 2,
		  .frames = FRAMES(f_fd) },
		{ .kind = KIND_FD, .pid = 200, .count = 1 },
		{ .kind = KIND_GOROUTINE, .pid = 100, .count = 7, .frames = FRAMES(f_goroutine),
		  .states = { { "chan receive", 5 }, { "running", 2 } }, .nstates = 2,
		  .go_start = "main.worker.func1" },
		{ .kind = KIND_GO_ALLOC, .pid = 100, .count = 2, .bytes = 64, .alloc_count = 10,
		  .alloc_bytes = 320, .frames = FRAMES(f_alloc) },
	};
	struct report *r = calloc(1, sizeof(*r));

	r->version = 1;
	r->start_unix_ns = 1700000000123000000ULL;
	r->duration_s = 12.5;
	r->min_age_s = 0.5;
	r->targets = calloc(2, sizeof(*r->targets));
	memcpy(r->targets, targets, sizeof(targets));
	r->ntargets = 2;
	r->lost_events = 3;
	r->drops[LS_DROP_RINGBUF_FULL] = 3;
	r->drops[LS_DROP_PATH_FAILED] = 1;
	r->unresolved_frames = 4;
	r->stats.records = 99;
	r->stats.stacks_broken = 2;
	r->stats.unwind_us_per_stack = 1.5;
	r->totals[KIND_MMAP] = (struct report_total){ 5, 81920, 1, 4096 };
	r->totals[KIND_BRK] = (struct report_total){ 1, 0, 0, 0 };
	r->totals[KIND_FD] = (struct report_total){ 6, 0, 2, 0 };
	r->totals[KIND_GOROUTINE] = (struct report_total){ 7, 0, 0, 0 };
	r->totals[KIND_GO_ALLOC] = (struct report_total){ 2, 64, 0, 0 };
	r->has_kind[KIND_MMAP] = r->has_kind[KIND_BRK] = r->has_kind[KIND_FD] = true;
	r->has_kind[KIND_GOROUTINE] = r->has_kind[KIND_GO_ALLOC] = true;
	r->stacks = calloc(ARRAY_SIZE(stacks), sizeof(*r->stacks));
	for (size_t i = 0; i < ARRAY_SIZE(stacks); i++) {
		r->stacks[i] = stacks[i];
		/* report__free() frees frames: give each stack its own copy */
		if (stacks[i].nframes) {
			r->stacks[i].frames = calloc(stacks[i].nframes, sizeof(struct report_frame));
			memcpy(r->stacks[i].frames, stacks[i].frames,
			       stacks[i].nframes * sizeof(struct report_frame));
		}
	}
	r->nstacks = ARRAY_SIZE(stacks);
	for (size_t i = 0; i < r->nstacks; i++) {
		struct report_stack *s = &r->stacks[i];

		if (s->kind != KIND_GOROUTINE)
			continue;
		s->now = calloc(2, sizeof(*s->now));
		s->now[0] = (struct report_goroutines_now){
			.count = 5, .states = { { "chan receive", 5 } }, .nstates = 1,
			.wait_min_s = 1.5, .wait_max_s = 2.25, .nframes = ARRAY_SIZE(f_now),
		};
		s->now[0].frames = calloc(ARRAY_SIZE(f_now), sizeof(f_now[0]));
		memcpy(s->now[0].frames, f_now, sizeof(f_now));
		s->now[1] = (struct report_goroutines_now){	/* running: no stack */
			.count = 2, .states = { { "running", 2 } }, .nstates = 1,
			.wait_min_s = -1, .wait_max_s = -1,
		};
		s->nnow = 2;
		s->ancestors = calloc(1, sizeof(*s->ancestors));
		s->ancestors[0].frames = calloc(ARRAY_SIZE(f_ancestor), sizeof(f_ancestor[0]));
		memcpy(s->ancestors[0].frames, f_ancestor, sizeof(f_ancestor));
		s->ancestors[0].nframes = ARRAY_SIZE(f_ancestor);
		s->nancestors = 1;
	}
	r->targets[0].go_version = "go1.19.8";
	r->targets[0].go_mem_profile_rate = 524288;
	r->targets[0].go_rate_source = "runtime.MemProfileRate";
	r->targets[0].goroutines_created = 9;
	r->targets[0].goroutines_exited = 2;
	r->targets[0].go_goroutine_mode = "snapshot";
	r->targets[0].go_runtime_goroutines = 4;
	r->targets[0].go_walks = 3;
	r->targets[0].go_walk_interval_s = 1.5;
	r->targets[0].go_walk_cpu_ms = 0.25;
	r->targets[0].go_alloc_sampled = 6;
	report__add_note(r, "a note with \"quotes\"");
	return r;
}

/* Run a writer into a string. */
#define CAPTURE(out, len, call)                                   \
	do {                                                      \
		FILE *f_ = open_memstream(&(out), &(len));        \
		CHECK_EQ_I(call, 0);                              \
		fclose(f_);                                       \
	} while (0)

static size_t count_substr(const char *s, const char *sub)
{
	size_t n = 0;

	for (const char *p = strstr(s, sub); p; p = strstr(p + 1, sub))
		n++;
	return n;
}

/* ---- folded ---- */

TEST(folded_all_kinds)
{
	struct report *r = model();
	struct folded_options o = { EXPORT_ALL_KINDS, FOLDED_PROC_PID };
	char *out = NULL;
	size_t len;

	CAPTURE(out, len, folded__write(f_, r, &o));
	CHECK_EQ_S(out,
		"mmap;app (100);main;alloc_pages;mmap 4096\n"
		"mmap;wor:ker (200);weird:name x;mmap 8192\n"
		"mmap;app (100);[held before attach] 65536\n"
		"fd;app (100);main;libz.so.1+0x1234;socket;[socket] 3\n"
		"fd;wor:ker (200);[no stack] 1\n"
		"goroutine;app (100);main.worker 7\n"
		"go_alloc;app (100);main.fill;main.grow;runtime.mallocgc 64\n");
	free(out);
	report__free(r);
}

TEST(folded_kind_filter_and_process_frames)
{
	struct report *r = model();
	struct folded_options o = { KIND_FD, FOLDED_PROC_COMM };
	char *out = NULL;
	size_t len;

	CAPTURE(out, len, folded__write(f_, r, &o));
	CHECK_EQ_S(out, "app;main;libz.so.1+0x1234;socket;[socket] 3\n"
			"wor:ker;[no stack] 1\n");
	free(out);
	o = (struct folded_options){ KIND_MMAP, FOLDED_PROC_NONE };
	CAPTURE(out, len, folded__write(f_, r, &o));
	CHECK_EQ_S(out, "main;alloc_pages;mmap 4096\n"
			"weird:name x;mmap 8192\n"
			"[held before attach] 65536\n");
	free(out);
	o = (struct folded_options){ KIND_MALLOC, FOLDED_PROC_PID };
	CAPTURE(out, len, folded__write(f_, r, &o));
	CHECK_EQ_S(out, "");
	free(out);
	report__free(r);
}

/* Per kind, the weights add up to what the report counts as shown:
 * the totals less what was too young to show. */
TEST(folded_weights_sum_to_totals)
{
	struct report *r = model();

	for (int k = 0; k < KIND_MAX; k++) {
		struct folded_options o = { k, FOLDED_PROC_PID };
		uint64_t sum = 0, want;
		char *out = NULL, *line, *save = NULL;
		size_t len;

		CAPTURE(out, len, folded__write(f_, r, &o));
		for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
			sum += strtoull(strrchr(line, ' ') + 1, NULL, 10);
		want = kind_has_bytes(k) ? r->totals[k].bytes - r->totals[k].hidden_bytes :
					   r->totals[k].count - r->totals[k].hidden_count;
		if (sum != want)
			fprintf(stderr, "  kind %s\n", kind_name(k));
		CHECK_EQ_U(sum, want);
		free(out);
	}
	report__free(r);
}

TEST(folded_sanitize)
{
	char buf[16];

	CHECK_EQ_S(folded__sanitize("a;b\tc\nd\x7f", buf, sizeof(buf)), "a:b c d ");
	CHECK_EQ_S(folded__sanitize("", buf, sizeof(buf)), "[unknown]");
	CHECK_EQ_S(folded__sanitize(NULL, buf, sizeof(buf)), "[unknown]");
	CHECK_EQ_S(folded__sanitize("0123456789abcdefghij", buf, sizeof(buf)),
		   "0123456789abcde");
}

/* ---- pprof ---- */

typedef Perftools__Profiles__Profile Profile;

static Profile *decode(const struct report *r, int kind)
{
	struct pprof_options o = { kind };
	uint8_t *buf = NULL;
	size_t len = 0;
	Profile *p;

	CHECK_EQ_I(pprof__encode(r, &o, &buf, &len), 0);
	p = perftools__profiles__profile__unpack(NULL, len, buf);
	CHECK(p != NULL);
	free(buf);
	return p;
}

static const char *S(const Profile *p, int64_t i)
{
	return i >= 0 && (size_t)i < p->n_string_table ? p->string_table[i] : "(bad index)";
}

static const Perftools__Profiles__Location *loc(const Profile *p, uint64_t id)
{
	for (size_t i = 0; i < p->n_location; i++)
		if (p->location[i]->id == id)
			return p->location[i];
	return NULL;
}

static const char *func_of(const Profile *p, uint64_t loc_id, int64_t *line)
{
	const Perftools__Profiles__Location *l = loc(p, loc_id);

	if (!l || l->n_line != 1)
		return "(no line)";
	*line = l->line[0]->line;
	for (size_t i = 0; i < p->n_function; i++)
		if (p->function[i]->id == l->line[0]->function_id)
			return S(p, p->function[i]->name);
	return "(no function)";
}

static const char *label_str(const Profile *p, const Perftools__Profiles__Sample *s,
			     const char *key)
{
	for (size_t i = 0; i < s->n_label; i++)
		if (strcmp(S(p, s->label[i]->key), key) == 0)
			return S(p, s->label[i]->str);
	return NULL;
}

static int64_t label_num(const Profile *p, const Perftools__Profiles__Sample *s,
			 const char *key)
{
	for (size_t i = 0; i < s->n_label; i++)
		if (strcmp(S(p, s->label[i]->key), key) == 0)
			return s->label[i]->num;
	return -1;
}

/* What pprof requires of every profile. */
static void check_invariants(const Profile *p)
{
	CHECK(p->n_string_table > 0 && strcmp(p->string_table[0], "") == 0);
	for (size_t i = 0; i < p->n_location; i++) {
		CHECK(p->location[i]->id != 0);
		for (size_t j = 0; j < i; j++)
			CHECK(p->location[i]->id != p->location[j]->id);
		/* one location per (module, address) */
		for (size_t j = 0; j < i; j++)
			if (p->location[i]->mapping_id)
				CHECK(p->location[i]->mapping_id != p->location[j]->mapping_id ||
				      p->location[i]->address != p->location[j]->address);
	}
	for (size_t i = 0; i < p->n_function; i++) {
		CHECK(p->function[i]->id != 0);
		for (size_t j = 0; j < i; j++)
			CHECK(p->function[i]->id != p->function[j]->id);
		CHECK_EQ_I(p->function[i]->start_line, 0);
	}
	for (size_t i = 0; i < p->n_mapping; i++)
		CHECK_EQ_U(p->mapping[i]->id, i + 1);
	for (size_t i = 0; i < p->n_sample; i++) {
		CHECK_EQ_U(p->sample[i]->n_value, p->n_sample_type);
		for (size_t j = 0; j < p->sample[i]->n_location_id; j++)
			CHECK(loc(p, p->sample[i]->location_id[j]) != NULL);
	}
}

TEST(pprof_fd_profile)
{
	struct report *r = model();
	Profile *p = decode(r, KIND_FD);
	const Perftools__Profiles__Sample *s;
	int64_t line = -1;

	if (!p)
		return;
	check_invariants(p);
	CHECK_EQ_U(p->n_sample_type, 1);
	CHECK_EQ_S(S(p, p->sample_type[0]->type), "open_fds");
	CHECK_EQ_S(S(p, p->sample_type[0]->unit), "count");
	CHECK(p->period_type != NULL);
	CHECK_EQ_S(S(p, p->period_type->type), "open_fds");
	CHECK_EQ_I(p->period, 1);
	CHECK_EQ_S(S(p, p->default_sample_type), "open_fds");
	CHECK_EQ_I(p->time_nanos, 1700000000123000000LL);
	CHECK_EQ_I(p->duration_nanos, 12500000000LL);
	CHECK_EQ_U(p->n_sample, 2);
	s = p->sample[0];
	CHECK_EQ_I(s->value[0], 3);
	CHECK_EQ_U(s->n_location_id, 3);
	CHECK_EQ_S(func_of(p, s->location_id[0], &line), "socket");	/* leaf first */
	CHECK_EQ_I(line, 0);
	CHECK_EQ_S(func_of(p, s->location_id[1], &line), "libz.so.1+0x1234");
	CHECK_EQ_S(func_of(p, s->location_id[2], &line), "main");
	CHECK_EQ_I(line, 7);
	CHECK_EQ_I(label_num(p, s, "pid"), 100);
	CHECK_EQ_S(label_str(p, s, "comm"), "app");
	CHECK_EQ_S(label_str(p, s, "fd_kind"), "socket");
	CHECK(label_str(p, s, "kind") == NULL);	/* one kind: no kind label */
	s = p->sample[1];
	CHECK_EQ_I(s->value[0], 1);
	CHECK_EQ_U(s->n_location_id, 1);
	CHECK_EQ_S(func_of(p, s->location_id[0], &line), "[no stack]");
	CHECK_EQ_U(loc(p, s->location_id[0])->mapping_id, 0);
	CHECK_EQ_I(label_num(p, s, "pid"), 200);
	CHECK_EQ_S(label_str(p, s, "comm"), "wor;ker");
	CHECK(label_str(p, s, "fd_kind") == NULL);

	/* The target's executable is the first mapping; libz's frame has
	 * no symbol, so its mapping has no functions. */
	CHECK_EQ_U(p->n_mapping, 3);
	if (p->n_mapping == 3) {
		CHECK_EQ_S(S(p, p->mapping[0]->filename), "/bin/app");
		CHECK_EQ_S(S(p, p->mapping[0]->build_id), "bb22");
		CHECK_EQ_I(p->mapping[0]->has_functions, 1);
		CHECK_EQ_I(p->mapping[0]->has_filenames, 1);
		CHECK_EQ_I(p->mapping[0]->has_line_numbers, 1);
		CHECK_EQ_U(p->mapping[0]->memory_start, 0);
		CHECK_EQ_U(p->mapping[0]->memory_limit, 0x3011);
		CHECK_EQ_S(S(p, p->mapping[1]->filename), "/lib/libc.so.6");
		CHECK_EQ_I(p->mapping[1]->has_functions, 1);
		CHECK_EQ_I(p->mapping[1]->has_filenames, 0);
		CHECK_EQ_S(S(p, p->mapping[2]->filename), "/lib/libz.so.1");
		CHECK_EQ_S(S(p, p->mapping[2]->build_id), "");
		CHECK_EQ_I(p->mapping[2]->has_functions, 0);
	}
	CHECK_EQ_U(loc(p, p->sample[0]->location_id[0])->address, 0x1100);
	CHECK_EQ_U(loc(p, p->sample[0]->location_id[0])->mapping_id, 2);
	perftools__profiles__profile__free_unpacked(p, NULL);
	report__free(r);
}

TEST(pprof_go_alloc_conventions)
{
	struct report *r = model();
	Profile *p = decode(r, KIND_GO_ALLOC);
	static const char *const types[] = { "alloc_objects", "alloc_space",
					     "inuse_objects", "inuse_space" };
	static const char *const units[] = { "count", "bytes", "count", "bytes" };
	static const int64_t values[] = { 10, 320, 2, 64 };
	const Perftools__Profiles__Location *l;
	int64_t line;

	if (!p)
		return;
	check_invariants(p);
	CHECK_EQ_U(p->n_sample_type, 4);
	for (size_t i = 0; i < 4 && i < p->n_sample_type; i++) {
		CHECK_EQ_S(S(p, p->sample_type[i]->type), types[i]);
		CHECK_EQ_S(S(p, p->sample_type[i]->unit), units[i]);
	}
	CHECK_EQ_S(S(p, p->period_type->type), "space");
	CHECK_EQ_S(S(p, p->period_type->unit), "bytes");
	CHECK_EQ_I(p->period, 524288);
	CHECK_EQ_S(S(p, p->default_sample_type), "inuse_space");
	CHECK_EQ_U(p->n_sample, 1);
	for (size_t i = 0; i < 4; i++)
		CHECK_EQ_I(p->sample[0]->value[i], values[i]);
	CHECK_EQ_S(func_of(p, p->sample[0]->location_id[0], &line), "runtime.mallocgc");
	CHECK_EQ_I(line, 900);
	/* main.grow inlined into main.fill: one location, two lines */
	CHECK_EQ_U(p->sample[0]->n_location_id, 2);
	l = loc(p, p->sample[0]->location_id[1]);
	CHECK(l && l->n_line == 2);
	if (l && l->n_line == 2) {
		CHECK_EQ_U(l->address, 0x6100);
		CHECK_EQ_I(l->line[0]->line, 30);	/* the inlined one first */
		CHECK_EQ_I(l->line[1]->line, 12);
		CHECK_EQ_S(S(p, p->function[l->line[0]->function_id - 1]->name), "main.grow");
		CHECK_EQ_S(S(p, p->function[l->line[1]->function_id - 1]->name), "main.fill");
	}
	CHECK_EQ_U(p->n_mapping, 1);
	CHECK_EQ_I(p->mapping[0]->has_inline_frames, 1);
	perftools__profiles__profile__free_unpacked(p, NULL);
	report__free(r);
}

/* No filter, several kinds: one profile, a column set per kind. */
TEST(pprof_mixed_kinds)
{
	struct report *r = model();
	Profile *p = decode(r, EXPORT_ALL_KINDS);
	static const char *const types[] = {
		"mmap_objects", "mmap_space", "brk_objects", "brk_space", "open_fds",
		"goroutine", "alloc_objects", "alloc_space", "inuse_objects", "inuse_space",
	};
	int64_t sums[10] = { 0 };
	size_t nfuncs_main = 0;

	if (!p)
		return;
	check_invariants(p);
	CHECK_EQ_U(p->n_sample_type, 10);
	for (size_t i = 0; i < 10 && i < p->n_sample_type; i++)
		CHECK_EQ_S(S(p, p->sample_type[i]->type), types[i]);
	CHECK(p->period_type == NULL);
	CHECK_EQ_S(S(p, p->default_sample_type), "mmap_space");
	CHECK_EQ_U(p->n_sample, 8);
	for (size_t i = 0; i < p->n_sample; i++) {
		for (size_t j = 0; j < 10; j++)
			sums[j] += p->sample[i]->value[j];
		CHECK_EQ_S(label_str(p, p->sample[i], "kind"), kind_name(r->stacks[i].kind));
	}
	CHECK_EQ_I(sums[0], 4);
	CHECK_EQ_I(sums[1], 77824);
	CHECK_EQ_I(sums[2], 1);
	CHECK_EQ_I(sums[3], 0);
	CHECK_EQ_I(sums[4], 4);
	CHECK_EQ_I(sums[5], 7);
	CHECK_EQ_I(sums[7], 320);
	CHECK_EQ_I(sums[9], 64);
	CHECK_EQ_S(label_str(p, p->sample[0], "suspect"), "true");
	CHECK_EQ_S(label_str(p, p->sample[2], "preexisting"), "true");
	/* "mmap" in libc at 0x1000 is shared by two stacks: one location */
	CHECK_EQ_U(p->sample[0]->location_id[0], p->sample[1]->location_id[0]);
	/* "main" at two addresses: two locations, one function */
	for (size_t i = 0; i < p->n_function; i++)
		nfuncs_main += strcmp(S(p, p->function[i]->name), "main") == 0;
	CHECK_EQ_U(nfuncs_main, 1);
	CHECK_EQ_U(p->n_location, 12);
	CHECK_EQ_U(p->n_comment, 4);
	if (p->n_comment == 4) {
		CHECK_EQ_S(S(p, p->comment[0]), "leakscope: app (100) /bin/app");
		CHECK_EQ_S(S(p, p->comment[1]), "leakscope: wor;ker (200) /bin/worker, exited");
		CHECK_EQ_S(S(p, p->comment[2]), "note: a note with \"quotes\"");
		CHECK_EQ_S(S(p, p->comment[3]), "lost events: 3 (ring buffer full)");
	}
	perftools__profiles__profile__free_unpacked(p, NULL);
	report__free(r);
}

TEST(pprof_is_gzip_of_encoding)
{
	struct report *r = model();
	struct pprof_options o = { EXPORT_ALL_KINDS };
	uint8_t *raw = NULL, *plain;
	size_t rawlen = 0, gzlen = 0;
	char *gz = NULL;
	z_stream z = { 0 };

	CHECK_EQ_I(pprof__encode(r, &o, &raw, &rawlen), 0);
	CAPTURE(gz, gzlen, pprof__write(f_, r, &o));
	CHECK(gzlen > 18 && (uint8_t)gz[0] == 0x1f && (uint8_t)gz[1] == 0x8b);
	plain = malloc(rawlen + 16);
	inflateInit2(&z, 15 + 16);
	z.next_in = (uint8_t *)gz;
	z.avail_in = gzlen;
	z.next_out = plain;
	z.avail_out = rawlen + 16;
	CHECK_EQ_I(inflate(&z, Z_FINISH), Z_STREAM_END);
	CHECK_EQ_U(z.total_out, rawlen);
	CHECK(memcmp(plain, raw, rawlen) == 0);
	inflateEnd(&z);
	free(plain);
	free(raw);
	free(gz);
	report__free(r);
}

/* ---- SVG ---- */

TEST(svg_structure)
{
	struct report *r = model();
	struct svg_options o = { EXPORT_ALL_KINDS, NULL };
	char *out = NULL;
	size_t len;

	CAPTURE(out, len, svg__write(f_, r, &o));
	CHECK(strncmp(out, "<?xml version=\"1.0\"", 19) == 0);
	CHECK(strstr(out, "</svg>\n") == out + len - 7);
	/* mmap 9 frames, fd 8, goroutine 3, go_alloc 5; brk weighs nothing */
	CHECK_EQ_U(count_substr(out, "<g class=\"f\""), 25);
	CHECK_EQ_U(count_substr(out, "<g class=\"graph\""), 4);
	CHECK_EQ_U(count_substr(out, "class=\"tab"), 4);
	CHECK(strstr(out, "<text class=\"title\" x=\"600\" y=\"24\">leakscope: mmap "
		      "(mapped memory), bytes, app (100), wor;ker (200), 12.5 s</text>"));
	CHECK(strstr(out, "<text class=\"title\" x=\"600\" y=\"24\">leakscope: goroutine "
		      "(live goroutines), count, app (100), 12.5 s</text>"));
	/* the root of mmap: every byte of its stacks, at the full width */
	CHECK(strstr(out, "<g class=\"f\" data-n=\"all\" data-x=\"0\" data-v=\"77824\" "
		      "data-c=\"4\" data-d=\"0\"><title>all&#10;76.0 KiB in 4 mappings, "
		      "100.00%, growing, partly held before attach</title><rect x=\"10.00\" "
		      "y=\"156.0\" width=\"1180.00\""));
	CHECK(strstr(out, "data-n=\"weird;name x\""));
	CHECK(strstr(out, "data-n=\"alloc_pages\" data-s=\"a.c:10\""));
	CHECK(strstr(out, ", growing</title>"));
	CHECK(strstr(out, "<![CDATA["));
	free(out);

	o.kind_filter = KIND_BRK;	/* nothing to draw: say so */
	CAPTURE(out, len, svg__write(f_, r, &o));
	CHECK_EQ_U(count_substr(out, "<g class=\"f\""), 0);
	CHECK(strstr(out, "no growths outstanding"));
	free(out);
	report__free(r);
}

TEST(svg_escapes_text)
{
	struct report_frame fr = { "a<b>&\"c'\xff\x01z", NULL, 0, NULL, 0, NULL };
	struct report_target t = { .pid = 1, .comm = "x&y" };
	struct report_stack s = { .kind = KIND_MMAP, .pid = 1, .count = 1, .bytes = 10,
				  .frames = &fr, .nframes = 1 };
	struct report r = { .version = 1, .targets = &t, .ntargets = 1, .stacks = &s,
			    .nstacks = 1 };
	struct svg_options o = { EXPORT_ALL_KINDS, "T <1> & \"2\"" };
	char *out = NULL;
	size_t len;

	CAPTURE(out, len, svg__write(f_, &r, &o));
	CHECK(strstr(out, "data-n=\"a&lt;b&gt;&amp;&quot;c&#39;\xef\xbf\xbd z\""));
	CHECK(strstr(out, "data-n=\"x&amp;y (1)\""));
	CHECK(strstr(out, ">T &lt;1&gt; &amp; &quot;2&quot;</text>"));
	CHECK(!strstr(out, "\xff"));
	free(out);
}

/* ---- JSON: write, read back, write again ---- */

static void compare_frames(const struct report_stack *a, const struct report_stack *b,
			   bool build_ids)
{
	CHECK_EQ_U(b->nframes, a->nframes);
	for (size_t j = 0; j < a->nframes && j < b->nframes; j++) {
		const struct report_frame *x = &a->frames[j], *y = &b->frames[j];

		CHECK_EQ_S(y->name, x->name);
		CHECK(!x->file == !y->file);
		if (x->file && y->file) {
			CHECK_EQ_S(y->file, x->file);
			CHECK_EQ_U(y->line, x->line);
		}
		CHECK(!x->module == !y->module);
		if (x->module && y->module)
			CHECK_EQ_S(y->module, x->module);
		CHECK_EQ_U(y->address, x->address);
		CHECK_EQ_I(y->inlined, x->inlined);
		if (build_ids && x->build_id)
			CHECK_EQ_S(y->build_id, x->build_id);
	}
}

TEST(json_round_trip)
{
	struct report *r = model(), *back = NULL;
	char *json1 = NULL, *json2 = NULL, err[256] = "";
	size_t len1, len2;
	/* Fields the writer may not carry yet come back only if written. */
	bool alloc, build_ids;

	CAPTURE(json1, len1, report_json__write(f_, r));
	alloc = strstr(json1, "\"alloc_count\"") != NULL;
	build_ids = strstr(json1, "\"build_id\"") != NULL;
	CHECK_EQ_I(report_read__buffer(json1, len1, "r.json", &back, err, sizeof(err)), 0);
	if (!back) {
		fprintf(stderr, "  %s\n", err);
		return;
	}
	CHECK_EQ_I(back->version, 1);
	CHECK_EQ_U(back->start_unix_ns, r->start_unix_ns);
	CHECK(back->duration_s == r->duration_s && back->min_age_s == r->min_age_s);
	CHECK_EQ_U(back->ntargets, 2);
	for (size_t i = 0; i < 2 && i < back->ntargets; i++) {
		CHECK_EQ_I(back->targets[i].pid, r->targets[i].pid);
		CHECK_EQ_S(back->targets[i].comm, r->targets[i].comm);
		CHECK_EQ_S(back->targets[i].exe, r->targets[i].exe);
		CHECK_EQ_I(back->targets[i].exited, r->targets[i].exited);
		CHECK_EQ_I(back->targets[i].exit_status, r->targets[i].exit_status);
	}
	CHECK_EQ_U(back->lost_events, 3);
	for (int i = 0; i < LS_DROP_MAX; i++)
		CHECK_EQ_U(back->drops[i], r->drops[i]);
	CHECK_EQ_U(back->unresolved_frames, 4);
	CHECK_EQ_U(back->stats.records, 99);
	CHECK_EQ_U(back->stats.stacks_broken, 2);
	CHECK(back->stats.unwind_us_per_stack == 1.5);
	for (int k = 0; k < KIND_MAX; k++) {
		CHECK_EQ_I(back->has_kind[k], r->has_kind[k]);
		CHECK(memcmp(&back->totals[k], &r->totals[k], sizeof(r->totals[k])) == 0);
	}
	CHECK_EQ_U(back->nnotes, 1);
	CHECK_EQ_S(back->nnotes ? back->notes[0] : NULL, "a note with \"quotes\"");
	CHECK_EQ_U(back->nstacks, r->nstacks);
	for (size_t i = 0; i < r->nstacks && i < back->nstacks; i++) {
		const struct report_stack *a = &r->stacks[i], *b = &back->stacks[i];

		CHECK_EQ_I(b->kind, a->kind);
		CHECK_EQ_I(b->pid, a->pid);
		CHECK_EQ_U(b->count, a->count);
		CHECK_EQ_U(b->bytes, a->bytes);
		CHECK(b->oldest_s == a->oldest_s);
		CHECK(b->growth_per_min == a->growth_per_min);
		CHECK_EQ_I(b->suspect, a->suspect);
		CHECK_EQ_I(b->preexisting, a->preexisting);
		CHECK_EQ_I(b->truncated, a->truncated);
		CHECK(!a->fd_kind == !b->fd_kind);
		if (a->fd_kind && b->fd_kind)
			CHECK_EQ_S(b->fd_kind, a->fd_kind);
		CHECK_EQ_U(b->npaths, a->npaths);
		for (size_t j = 0; j < a->npaths && j < b->npaths; j++) {
			CHECK_EQ_S(b->paths[j].path, a->paths[j].path);
			CHECK_EQ_U(b->paths[j].count, a->paths[j].count);
		}
		CHECK_EQ_U(b->stack_id, 0);
		if (alloc) {
			CHECK_EQ_U(b->alloc_count, a->alloc_count);
			CHECK_EQ_U(b->alloc_bytes, a->alloc_bytes);
		}
		compare_frames(a, b, build_ids);
		/* goroutines: what they run, where they are, their creators */
		CHECK(!a->go_start == !b->go_start);
		if (a->go_start && b->go_start)
			CHECK_EQ_S(b->go_start, a->go_start);
		CHECK_EQ_U(b->nstates, a->nstates);
		CHECK_EQ_U(b->nnow, a->nnow);
		for (size_t j = 0; j < a->nnow && j < b->nnow; j++) {
			CHECK_EQ_U(b->now[j].count, a->now[j].count);
			CHECK(b->now[j].wait_min_s == a->now[j].wait_min_s &&
			      b->now[j].wait_max_s == a->now[j].wait_max_s);
			CHECK_EQ_U(b->now[j].nframes, a->now[j].nframes);
			for (size_t k = 0; k < a->now[j].nframes && k < b->now[j].nframes; k++) {
				CHECK_EQ_S(b->now[j].frames[k].name, a->now[j].frames[k].name);
				CHECK_EQ_S(b->now[j].frames[k].file, a->now[j].frames[k].file);
				CHECK_EQ_U(b->now[j].frames[k].line, a->now[j].frames[k].line);
			}
		}
		CHECK_EQ_U(b->nancestors, a->nancestors);
		for (size_t j = 0; j < a->nancestors && j < b->nancestors; j++) {
			CHECK_EQ_U(b->ancestors[j].nframes, a->ancestors[j].nframes);
			for (size_t k = 0; k < a->ancestors[j].nframes &&
					   k < b->ancestors[j].nframes; k++)
				CHECK_EQ_S(b->ancestors[j].frames[k].name,
					   a->ancestors[j].frames[k].name);
		}
	}
	CHECK_EQ_S(back->targets[0].go_goroutine_mode, "snapshot");
	CHECK_EQ_U(back->targets[0].go_runtime_goroutines, 4);
	CHECK_EQ_U(back->targets[0].go_walks, 3);
	CAPTURE(json2, len2, report_json__write(f_, back));
	CHECK_EQ_U(len2, len1);
	CHECK(strcmp(json1, json2) == 0);
	free(json1);
	free(json2);
	report__free(back);
	report__free(r);
}

/* The committed sample, with the fields only a newer writer may carry. */
TEST(json_read_sample)
{
	struct report *r = NULL;
	char err[256] = "";
	const struct report_stack *s;

	CHECK_EQ_I(report_read__file(SAMPLE, &r, err, sizeof(err)), 0);
	if (!r) {
		fprintf(stderr, "  %s\n", err);
		return;
	}
	CHECK_EQ_U(r->start_unix_ns, 1795435200250000000ULL);
	CHECK(r->duration_s == 42.5);
	CHECK_EQ_U(r->ntargets, 2);
	CHECK_EQ_S(r->targets[1].comm, "logshipper");
	CHECK_EQ_I(r->targets[1].exited, 1);
	CHECK_EQ_U(r->drops[LS_DROP_STACK_FAILED], 2);
	CHECK_EQ_U(r->totals[KIND_MMAP].hidden_bytes, 4096);
	CHECK_EQ_U(r->totals[KIND_GOROUTINE].count, 126);
	CHECK_EQ_I(r->has_kind[KIND_GO_HEAP], 0);
	CHECK_EQ_U(r->nstacks, 11);
	s = &r->stacks[9];
	CHECK_EQ_I(s->kind, KIND_GO_ALLOC);
	CHECK_EQ_U(s->count, 1200);
	CHECK_EQ_U(s->bytes, 4915200);
	CHECK_EQ_U(s->alloc_count, 50000);
	CHECK_EQ_U(s->alloc_bytes, 204800000);
	CHECK_EQ_U(s->nframes, 4);
	CHECK_EQ_S(s->frames[0].name, "main.(*Cache).Put");
	CHECK_EQ_S(s->frames[0].file, "/src/apiserver/cache.go");
	CHECK_EQ_U(s->frames[0].line, 44);
	CHECK_EQ_S(s->frames[0].module, "/srv/apiserver/apiserver");
	CHECK_EQ_U(s->frames[0].address, 3082801);
	CHECK_EQ_S(s->frames[0].build_id, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4");
	s = &r->stacks[5];
	CHECK_EQ_S(s->fd_kind, "file");
	CHECK_EQ_U(s->npaths, 2);
	CHECK_EQ_S(s->paths[1].path, "/var/log/logshipper/out.log.1");
	CHECK(r->stacks[0].frames[0].file == NULL);
	CHECK_EQ_U(r->stats.records, 48211);
	CHECK_EQ_S(r->stacks[10].frames[1].name, "main.encode");
	CHECK_EQ_I(r->stacks[10].frames[1].inlined, 1);
	CHECK_EQ_I(r->stacks[10].frames[2].inlined, 0);
	CHECK_EQ_I(r->stacks[2].preexisting, 1);
	report__free(r);
}

/* ---- the reader's errors ---- */

static void expect_error(const char *doc, int want, const char *message)
{
	struct report *r = (struct report *)1;
	char err[512] = "";

	CHECK_EQ_I(report_read__buffer(doc, strlen(doc), "t.json", &r, err, sizeof(err)), want);
	CHECK(r == NULL);
	CHECK_EQ_S(err, message);
}

#define HINT " (is it a leakscope JSON report? the tracer writes one with -o FILE.json)"
#define HEAD "{\n  \"version\": 1,\n  \"targets\": [],\n  \"totals\": {},\n  \"stacks\": [\n"

TEST(read_malformed_json)
{
	expect_error("{\n  \"version\": 1,\n  \"targets\": [\n", -EINVAL,
		     "t.json:4:0: malformed JSON: ']' expected near end of file" HINT);
	expect_error(HEAD "    {\"kind\": \"fd\" \"pid\": 2}\n  ]\n}\n", -EINVAL,
		     "t.json:6:23: malformed JSON: '}' expected near '\"pid\"'" HINT);
	expect_error("", -EINVAL,
		     "t.json:1:0: malformed JSON: '[' or '{' expected near end of file" HINT);
	expect_error("{\"version\": 1, \"version\": 1}", -EINVAL,
		     "t.json:1:24: malformed JSON: duplicate object key near '\"version\"'" HINT);
}

TEST(read_wrong_structure)
{
	expect_error("[1, 2]", -EINVAL,
		     "t.json: expected a JSON object (a leakscope report), found an array");
	expect_error("{\"targets\": []}", -EINVAL,
		     "t.json: version: missing (required in a version 1 report)");
	expect_error("{\"version\": \"1\"}", -EINVAL,
		     "t.json: version: expected a 32-bit integer, found a string");
	expect_error("{\"version\": 2}", -EINVAL,
		     "t.json: version: 2 is not a version this leakscope reads (1); use a newer leakscope");
	expect_error("{\"version\": 1, \"targets\": [], \"totals\": {}}", -EINVAL,
		     "t.json: stacks: missing (required in a version 1 report)");
	expect_error(HEAD "    {\"kind\": \"heap\", \"pid\": 1, \"count\": 1, \"bytes\": 2, \"frames\": []}\n  ]\n}\n",
		     -EINVAL, "t.json: stacks[0].kind: unknown kind \"heap\" (one of mmap, brk, "
		     "fd, goroutine, go_heap, go_alloc, malloc)");
	expect_error(HEAD "    {\"kind\": \"fd\", \"pid\": 1, \"count\": 1, \"bytes\": 0, \"frames\": []},\n"
		     "    {\"kind\": \"fd\", \"pid\": 1, \"count\": \"5\", \"bytes\": 0, \"frames\": []}\n  ]\n}\n",
		     -EINVAL, "t.json: stacks[1].count: expected a non-negative integer, found a string");
	expect_error(HEAD "    {\"kind\": \"fd\", \"pid\": 1, \"count\": -1, \"bytes\": 0, \"frames\": []}\n  ]\n}\n",
		     -EINVAL, "t.json: stacks[0].count: expected a non-negative integer, found a negative one");
	expect_error(HEAD "    {\"kind\": \"fd\", \"pid\": 1, \"count\": 1, \"bytes\": 0, \"frames\": [\"a\", 3]}\n  ]\n}\n",
		     -EINVAL, "t.json: stacks[0].frames[1]: expected a string, found an integer");
	expect_error(HEAD "    {\"kind\": \"fd\", \"pid\": 1, \"count\": 1, \"bytes\": 0, \"frames\": [\"a\"], "
		     "\"locations\": []}\n  ]\n}\n",
		     -EINVAL, "t.json: stacks[0].locations: 0 entries for 1 frames (they must run in parallel)");
	expect_error(HEAD "    {\"kind\": \"fd\", \"pid\": 1, \"count\": 1, \"bytes\": 0, \"frames\": [\"a\"], "
		     "\"locations\": [{\"line\": 1.5}]}\n  ]\n}\n",
		     -EINVAL, "t.json: stacks[0].locations[0].line: expected a non-negative integer, found a number");
	expect_error("{\"version\": 1, \"targets\": [], \"totals\": {\"heap\": {}}, \"stacks\": []}",
		     -EINVAL, "t.json: totals.heap: unknown kind \"heap\" (one of mmap, brk, "
		     "fd, goroutine, go_heap, go_alloc, malloc)");
	expect_error("{\"version\": 1, \"targets\": [{\"pid\": 1}], \"totals\": {}, \"stacks\": []}",
		     -EINVAL, "t.json: targets[0].comm: missing (required in a version 1 report)");
	expect_error("{\"version\": 1, \"tool\": \"other\", \"targets\": [], \"totals\": {}, \"stacks\": []}",
		     -EINVAL, "t.json: tool: \"other\": not a leakscope report");
}

TEST(read_minimal_and_unknown_fields)
{
	const char *doc = "{\"version\": 1, \"future\": [1], \"targets\": [], \"totals\": "
			  "{\"fd\": {\"count\": 2, \"bytes\": 0}}, \"stacks\": [{\"kind\": "
			  "\"fd\", \"pid\": 9, \"count\": 2, \"bytes\": 0, \"frames\": "
			  "[\"open\", null], \"new_field\": {}}]}";
	struct report *r = NULL;
	char err[256] = "";

	CHECK_EQ_I(report_read__buffer(doc, strlen(doc), "t.json", &r, err, sizeof(err)), 0);
	if (!r) {
		fprintf(stderr, "  %s\n", err);
		return;
	}
	CHECK_EQ_U(r->nstacks, 1);
	CHECK_EQ_I(r->has_kind[KIND_FD], 1);
	CHECK_EQ_I(r->has_kind[KIND_MMAP], 0);
	CHECK_EQ_U(r->stacks[0].nframes, 2);
	CHECK_EQ_S(r->stacks[0].frames[0].name, "open");
	CHECK(r->stacks[0].frames[1].name == NULL);
	report__free(r);
}

TEST(read_missing_file)
{
	struct report *r = NULL;
	char err[256] = "";

	CHECK_EQ_I(report_read__file("/nonexistent/r.json", &r, err, sizeof(err)), -ENOENT);
	CHECK_EQ_S(err, "cannot read /nonexistent/r.json: No such file or directory");
	CHECK_EQ_I(report_read__file("/", &r, err, sizeof(err)), -EISDIR);
	CHECK_EQ_S(err, "cannot read /: Is a directory");
}

/* ---- formats and convert ---- */

TEST(export_formats)
{
	CHECK_EQ_I(export__format_from_path("a.txt"), EXPORT_TEXT);
	CHECK_EQ_I(export__format_from_path("a.json"), EXPORT_JSON);
	CHECK_EQ_I(export__format_from_path("dir.x/a.folded"), EXPORT_FOLDED);
	CHECK_EQ_I(export__format_from_path("a.collapsed"), EXPORT_FOLDED);
	CHECK_EQ_I(export__format_from_path("a.pb.gz"), EXPORT_PPROF);
	CHECK_EQ_I(export__format_from_path("a.pprof"), EXPORT_PPROF);
	CHECK_EQ_I(export__format_from_path("a.svg"), EXPORT_SVG);
	CHECK_EQ_I(export__format_from_path("a.gz"), EXPORT_AUTO);
	CHECK_EQ_I(export__format_from_path(".json"), EXPORT_AUTO);
	CHECK_EQ_I(export__format_from_path("-"), EXPORT_AUTO);
	CHECK_EQ_I(export__format_from_name("pprof"), EXPORT_PPROF);
	CHECK_EQ_I(export__format_from_name("txt"), EXPORT_TEXT);
	CHECK_EQ_I(export__format_from_name("flamegraph"), -1);
	CHECK_EQ_S(export__format_name(EXPORT_FOLDED), "folded");
	/* the tracer's FORMAT_TEXT / FORMAT_JSON */
	CHECK_EQ_I(EXPORT_TEXT, 1);
	CHECK_EQ_I(EXPORT_JSON, 2);
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;

	*len = 0;
	if (!f)
		return NULL;
	buf = malloc(1 << 20);
	*len = fread(buf, 1, (1 << 20) - 1, f);
	buf[*len] = '\0';
	fclose(f);
	return buf;
}

#define CONVERT(...) ({                                                   \
	char *argv_[] = { "convert", __VA_ARGS__, NULL };                 \
	convert__main((int)(sizeof(argv_) / sizeof(argv_[0])) - 1, argv_); \
})

TEST(convert_command)
{
	char dir[] = "/tmp/leakscope-export-XXXXXX", p[6][128], *a, *b;
	static const char *const names[] = { "r.folded", "r.pb.gz", "r.svg", "r.json",
					     "r.txt", "again.json" };
	size_t la, lb;

	if (!mkdtemp(dir)) {
		CHECK(0);
		return;
	}
	for (int i = 0; i < 6; i++)
		snprintf(p[i], sizeof(p[i]), "%s/%s", dir, names[i]);
	CHECK_EQ_I(CONVERT("-q", SAMPLE, "-o", p[0], "-o", p[1], "-o", p[2], "-o", p[3],
			   "-o", p[4]), 0);
	a = slurp(p[0], &la);
	CHECK(a && count_substr(a, "\n") == 11);
	CHECK(a && strstr(a, "\ngoroutine;apiserver (4242);net/http.(*conn).serve;"
			  "net/http.HandlerFunc.ServeHTTP;main.(*Server).handle 120\n"));
	free(a);
	a = slurp(p[1], &la);
	CHECK(a && la > 20 && (uint8_t)a[0] == 0x1f && (uint8_t)a[1] == 0x8b);
	free(a);
	a = slurp(p[4], &la);
	CHECK(a && strncmp(a, "leakscope: 2 processes traced for 42.5 s", 40) == 0);
	free(a);
	/* JSON out, JSON in again: a fixed point */
	CHECK_EQ_I(CONVERT("-q", p[3], "-o", p[5]), 0);
	a = slurp(p[3], &la);
	b = slurp(p[5], &lb);
	CHECK(a && b && la == lb && strcmp(a, b) == 0);
	free(a);
	free(b);
	/* --kind on JSON keeps that kind only */
	CHECK_EQ_I(CONVERT("-q", "--kind", "goroutine", SAMPLE, "-o", p[5]), 0);
	a = slurp(p[5], &la);
	CHECK(a && count_substr(a, "\"kind\": \"goroutine\"") == 2 &&
	      count_substr(a, "\"kind\": ") == 2);
	free(a);
	/* a name without a format, with --format */
	snprintf(p[5], sizeof(p[5]), "%s/out.data", dir);
	CHECK_EQ_I(CONVERT("-q", SAMPLE, "-o", p[5], "--format", "folded"), 0);
	a = slurp(p[5], &la);
	CHECK(a && strncmp(a, "mmap;logshipper (4250);", 23) == 0);
	free(a);

	fprintf(stderr, "  (the errors below are expected)\n");
	CHECK_EQ_I(CONVERT("-q", SAMPLE, "-o", p[5]), 2);	/* no format */
	CHECK_EQ_I(CONVERT("-q", SAMPLE, "--kind", "heap", "-o", p[0]), 2);
	CHECK_EQ_I(CONVERT("-q", SAMPLE, "--format", "png", "-o", p[0]), 2);
	CHECK_EQ_I(CONVERT("-q", "-o", p[0]), 2);		/* no input */
	CHECK_EQ_I(CONVERT("-q", SAMPLE, SAMPLE, "-o", p[0]), 2);
	CHECK_EQ_I(CONVERT("-q", "--bogus", SAMPLE), 2);
	CHECK_EQ_I(CONVERT("-q", "/nonexistent/r.json", "-o", p[0]), 1);
	CHECK_EQ_I(CONVERT("-q", SAMPLE, "-o", "/nonexistent/dir/r.svg"), 1);
	for (int i = 0; i < 5; i++)
		unlink(p[i]);
	unlink(p[5]);
	snprintf(p[5], sizeof(p[5]), "%s/again.json", dir);
	unlink(p[5]);
	CHECK_EQ_I(rmdir(dir), 0);
}
