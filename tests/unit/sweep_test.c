// SPDX-License-Identifier: MIT
/*
 * Mark and sweep of the collector's tables (symbols/tables.h): what is
 * marked survives with the same id and the same address, what is not is
 * freed, and an id a sweep freed, when given to a new entry, never
 * aliases one still in use. test_tables.py runs this binary under
 * valgrind too, whose verdict (no invalid read, nothing lost) is the
 * ground truth that freed means freed and kept means still valid.
 */
#include "check.h"
#include "base/strtab.h"
#include "leakscope.h"
#include "ledgers/process.h"
#include "report/build.h"
#include "report/json_read.h"
#include "report/json_write.h"
#include "report/report.h"
#include "symbols/modules.h"
#include "symbols/stacks.h"
#include "symbols/symbolize.h"
#include "symbols/tables.h"
#include "trace/collector.h"
#include "trace/mallocprobes.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/syscall.h>
#include <unistd.h>

TEST(strtab_sweep_keeps_marked_at_their_address)
{
	struct strtab *t = strtab__new();
	const char *a = strtab__intern(t, "/etc/hostname");
	const char *b = strtab__intern(t, "/etc/passwd");
	size_t bytes_before;
	char copy[] = "/etc/hostname";

	strtab__intern(t, "memfd:x");
	CHECK_EQ_U(strtab__count(t), 3);
	bytes_before = strtab__bytes(t);
	strtab__mark(t, copy);		/* by content: any pointer will do */
	strtab__mark(t, "never interned");	/* changes nothing */
	CHECK_EQ_U(strtab__sweep(t), 2);
	CHECK_EQ_U(strtab__count(t), 1);
	CHECK(strtab__bytes(t) < bytes_before);
	CHECK(strtab__intern(t, "/etc/hostname") == a);
	CHECK_EQ_S(a, "/etc/hostname");
	/* unmarked since the last sweep: the next one frees it */
	CHECK_EQ_U(strtab__sweep(t), 1);
	CHECK_EQ_U(strtab__count(t), 0);
	b = strtab__intern(t, "/etc/passwd");
	CHECK_EQ_S(b, "/etc/passwd");
	CHECK_EQ_U(strtab__count(t), 1);
	strtab__free(t);
}

TEST(stacks_sweep_keeps_ids_and_reuses_freed_ones_without_alias)
{
	struct stacks *st = stacks__new();
	uint64_t a[] = { 1, 2, 3 }, b[] = { 4, 5 }, c[] = { 6 }, d[] = { 7, 8, 9, 10 };
	uint32_t ia = stacks__intern(st, a, 3, 0);
	uint32_t ib = stacks__intern(st, b, 2, 0);
	uint32_t ic = stacks__intern(st, c, 1, STACK_TRUNCATED);
	uint32_t id, n, fl;
	const uint64_t *f;

	stacks__mark(st, ia);
	stacks__mark(st, ic);
	CHECK_EQ_U(stacks__sweep(st), 1);
	CHECK_EQ_U(stacks__count(st), 2);
	CHECK(!stacks__live(st, ib));
	f = stacks__frames(st, ib, &n, &fl);
	CHECK(f == NULL && n == 0);
	/* the kept ones: same ids, same frames, found again by content */
	CHECK_EQ_U(stacks__intern(st, a, 3, 0), ia);
	CHECK_EQ_U(stacks__intern(st, c, 1, STACK_TRUNCATED), ic);
	f = stacks__frames(st, ic, &n, &fl);
	CHECK(f && n == 1 && f[0] == 6 && fl == STACK_TRUNCATED);
	/* a new stack takes the freed id; the kept ones do not change */
	id = stacks__intern(st, d, 4, 0);
	CHECK_EQ_U(id, ib);
	f = stacks__frames(st, id, &n, &fl);
	CHECK(f && n == 4 && f[0] == 7 && f[3] == 10);
	f = stacks__frames(st, ia, &n, &fl);
	CHECK(f && n == 3 && f[0] == 1 && f[2] == 3);
	/* and b comes back as a stack of its own */
	CHECK(stacks__intern(st, b, 2, 0) != ia);
	CHECK_EQ_U(stacks__count(st), 4);
	stacks__free(st);
}

/* Many stacks: the index is made again after a sweep; every kept stack
 * must be found under its id, every freed one interned anew, no two live
 * stacks sharing an id. */
TEST(stacks_sweep_of_thousands_keeps_the_index_right)
{
	struct stacks *st = stacks__new();
	enum { N = 20000 };
	static uint32_t ids[N];
	uint64_t fr[3];
	size_t bad = 0, bytes_full, bytes_half;

	for (uint32_t i = 0; i < N; i++) {
		fr[0] = i;
		fr[1] = i * 7919u;
		fr[2] = 42;
		ids[i] = stacks__intern(st, fr, 1 + i % 3, 0);
	}
	bytes_full = stacks__bytes(st);
	for (uint32_t i = 0; i < N; i += 2)
		stacks__mark(st, ids[i]);
	CHECK_EQ_U(stacks__sweep(st), N / 2);
	bytes_half = stacks__bytes(st);
	CHECK(bytes_half < bytes_full);
	for (uint32_t i = 0; i < N; i++) {
		fr[0] = i;
		fr[1] = i * 7919u;
		fr[2] = 42;
		if (i % 2 == 0) {
			bad += stacks__intern(st, fr, 1 + i % 3, 0) != ids[i];
		} else {
			uint32_t nid = stacks__intern(st, fr, 1 + i % 3, 0), n;
			const uint64_t *f = stacks__frames(st, nid, &n, NULL);

			/* a reused id, never one of a kept stack */
			bad += nid % 2 == 1 || nid > N || !f || n != 1 + i % 3 || f[0] != i;
			ids[i] = nid;
		}
	}
	CHECK_EQ_U(bad, 0);
	CHECK_EQ_U(stacks__count(st), N);
	stacks__free(st);
}

#define SAMPLE "data/cfi_sample.so"

/* A stack keeps its modules and its symbolized frames; a module and the
 * frames no kept stack or address space uses go, with their strings. */
TEST(tables_sweep_follows_stacks_to_modules_and_symbols)
{
	struct tables t;
	char abs[PATH_MAX];
	uint32_t kept_mod, gone_mod, new_mod, kept_stack, gone_stack;
	uint64_t kept_frames[2], gone_frames[1];
	const struct frame_sym *fs, *again;
	const char *kept_path, *kept_name;
	struct module *m;

	tables__init(&t);
	CHECK(realpath(SAMPLE, abs) != NULL);
	kept_mod = modules__add(t.modules, abs, 0, 0, 0);
	gone_mod = modules__add(t.modules, "/nonexistent/libgone.so", 0, 0, 0);
	CHECK(kept_mod != MODULE_NONE && gone_mod != MODULE_NONE && kept_mod != gone_mod);
	kept_path = modules__get(t.modules, kept_mod)->path;
	/* saves_registers, then with_frame_pointer's call site (cfi_test) */
	kept_frames[0] = FRAME_MAKE(kept_mod, 0x1180);
	kept_frames[1] = FRAME_MAKE(kept_mod, 0x1290);
	gone_frames[0] = FRAME_MAKE(gone_mod, 0x10);
	kept_stack = stacks__intern(t.stacks, kept_frames, 2, STACK_LEAF_EXACT);
	gone_stack = stacks__intern(t.stacks, gone_frames, 1, 0);
	fs = symbolizer__frame(t.symbols, kept_frames[0], false);
	CHECK(fs->func != NULL);
	if (fs->func)
		CHECK_EQ_S(fs->func, "saves_registers");
	kept_name = fs->name;
	symbolizer__frame(t.symbols, kept_frames[1], true);
	symbolizer__frame(t.symbols, gone_frames[0], true);
	CHECK_EQ_U(symbolizer__count(t.symbols), 3);
	strtab__intern(t.strings, "/tmp/a-closed-file");

	tables__mark_stack(&t, kept_stack);
	tables__sweep(&t);

	CHECK(stacks__live(t.stacks, kept_stack));
	CHECK(!stacks__live(t.stacks, gone_stack));
	m = modules__get(t.modules, kept_mod);
	CHECK(m && m->path == kept_path);
	CHECK(modules__get(t.modules, gone_mod) == NULL);
	CHECK_EQ_U(modules__count(t.modules), 1);
	CHECK_EQ_U(symbolizer__count(t.symbols), 2);
	CHECK_EQ_U(t.freed[TABLE_STACKS], 1);
	CHECK_EQ_U(t.freed[TABLE_MODULES], 1);
	CHECK_EQ_U(t.freed[TABLE_SYMBOLS], 1);
	/* the kept frame is the same entry, its strings the same */
	again = symbolizer__frame(t.symbols, kept_frames[0], false);
	CHECK(again == fs);
	CHECK(again->name == kept_name);
	CHECK_EQ_S(again->name, "saves_registers");
	CHECK_EQ_U(symbolizer__count(t.symbols), 2);
	/* the closed file's path went; the module path stayed */
	CHECK(strtab__intern(t.strings, kept_path) == kept_path);
	/* a new module takes the freed id and is its own */
	new_mod = modules__add(t.modules, "/nonexistent/libnew.so", 0, 0, 0);
	CHECK_EQ_U(new_mod, gone_mod);
	CHECK_EQ_S(modules__get(t.modules, new_mod)->path, "/nonexistent/libnew.so");
	fs = symbolizer__frame(t.symbols, FRAME_MAKE(new_mod, 0x10), true);
	CHECK_EQ_S(fs->name, "libnew.so+0x10");
	/* nothing marked: everything goes */
	tables__sweep(&t);
	CHECK_EQ_U(tables__entries(&t), 0);
	tables__free(&t);
}

/* Collector level: a sweep frees the paths and stacks of what a process
 * released and changes nothing in its report. */
static uint8_t rec[sizeof(struct ls_syscall_event) + 64];

static void feed_open(struct collector *c, int pid, int fd, const char *path,
		      uint64_t ip)
{
	struct ls_syscall_event *e = (void *)rec;

	memset(rec, 0, sizeof(rec));
	e->hdr.type = LS_EV_SYSCALL;
	e->hdr.pid = e->hdr.tid = pid;
	e->hdr.ts_ns = 1000;
	e->sc.nr = SYS_openat;
	e->sc.ret = fd;
	e->sc.args[0] = (uint64_t)AT_FDCWD;
	e->sc.path_bytes = strlen(path) + 1;
	e->stack.nr_frames = 1;
	e->stack.ips[0] = ip;
	memcpy(e->path, path, strlen(path) + 1);
	CHECK_EQ_I(collector__on_record(c, rec, sizeof(rec)), 0);
}

static void feed_close(struct collector *c, int pid, int fd)
{
	struct ls_release_event r = { 0 };

	r.hdr.type = LS_EV_RELEASE;
	r.hdr.pid = r.hdr.tid = pid;
	r.sc.nr = SYS_close;
	r.sc.args[0] = fd;
	CHECK_EQ_I(collector__on_record(c, &r, sizeof(r)), 0);
}

/* The report of c as JSON; its table sizes read back from that JSON
 * must be the tables' own. They are left out of the text returned: a
 * sweep changes them, and nothing else. */
static char *report_json(struct collector *c)
{
	struct report_options ro = { .min_age_s = 0, .now_ns = 5000000000ULL };
	struct report *r = report__build(c, &ro), *back = NULL;
	char *text = NULL, err[256];
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	struct table_size sz;

	CHECK(f && report_json__write(f, r) == 0);
	fclose(f);
	CHECK_EQ_I(report_read__buffer(text, len, "report", &back, err, sizeof(err)), 0);
	for (int k = 0; back && k < TABLE_MAX; k++) {
		tables__size(&c->tables, k, &sz);
		CHECK_EQ_U(back->stats.tables[k].entries, sz.entries);
		CHECK_EQ_U(back->stats.tables[k].bytes, sz.bytes);
	}
	report__free(back);
	free(text);
	memset(r->stats.tables, 0, sizeof(r->stats.tables));
	text = NULL;
	f = open_memstream(&text, &len);
	CHECK(f && report_json__write(f, r) == 0);
	fclose(f);
	report__free(r);
	return text;
}

TEST(collector_sweep_frees_released_and_keeps_reports_identical)
{
	struct collector c;
	int pid = 999999;	/* not running: raw frames, nothing from /proc */
	size_t strings, stacks;
	char *before, *after;

	collector__init(&c);
	collector__add(&c, pid, NULL);
	for (int i = 0; i < 100; i++) {
		char path[64];

		snprintf(path, sizeof(path), "/tmp/churn-%d", i);
		feed_open(&c, pid, 10 + i, path, 0x1000 + i);
		if (i >= 2)
			feed_close(&c, pid, 10 + i);
	}
	stacks = stacks__count(c.tables.stacks);
	CHECK_EQ_U(stacks, 100);
	before = report_json(&c);	/* symbolizes the two open files' stacks */
	strings = strtab__count(c.tables.strings);
	CHECK(strings >= 100);
	collector__sweep(&c);
	/* two files are open: their paths and stacks stay, the 98 go */
	CHECK_EQ_U(stacks__count(c.tables.stacks), 2);
	CHECK_EQ_U(strtab__count(c.tables.strings), strings - 98);
	after = report_json(&c);
	CHECK(before && after);
	if (before && after)
		CHECK_EQ_S(after, before);
	/* the process goes on: a closed file opened again is tracked anew */
	feed_open(&c, pid, 50, "/tmp/churn-50", 0x1000 + 50);
	CHECK_EQ_U(stacks__count(c.tables.stacks), 3);
	free(before);
	free(after);
	collector__free(&c);
}

/* A malloc-family record whose stack the kernel walked (frame pointers):
 * ips, innermost first. */
static void feed_malloc(struct collector *c, int pid, uint64_t addr, uint64_t size,
			const uint64_t *ips, uint32_t n)
{
	static uint8_t m[sizeof(struct ls_malloc_event) + 8 * 4];
	struct ls_malloc_event *e = (void *)m;

	memset(m, 0, sizeof(m));
	e->hdr.type = LS_EV_MALLOC;
	e->hdr.pid = e->hdr.tid = pid;
	e->hdr.ts_ns = 1000;
	e->call_ns = 900;
	e->addr = addr;
	e->size = size;
	e->flags = LS_MALLOC_FP_STACK;
	e->nr_ips = n;
	memcpy(e->data, ips, 8 * n);
	CHECK_EQ_I(collector__on_record(c, m, sizeof(*e) + 8 * n), 0);
}

static void feed_free(struct collector *c, int pid, uint64_t addr)
{
	struct ls_free_event f = { 0 };

	f.hdr.type = LS_EV_FREE;
	f.hdr.pid = f.hdr.tid = pid;
	f.hdr.ts_ns = 2000;
	f.addr = addr;
	CHECK_EQ_I(collector__on_record(c, &f, sizeof(f)), 0);
}

/* The heap ledger's stacks are roots: the blocks still held, and the
 * tallies of what each stack allocated (a stack whose blocks were all
 * freed keeps its tally, which must not pass to a stack that takes its
 * id later); and the allocator's name the report shows. */
TEST(collector_sweep_keeps_heap_block_stacks)
{
	struct malloc_options mo = { .mode = MALLOC_ALL };
	struct mallocprobes *mp = mallocprobes__new(NULL, &mo);
	struct collector c;
	int pid = 999998;	/* not running: raw frames, nothing from /proc */
	uint64_t held[] = { 0x2000, 0x3000 }, freed[] = { 0x2100, 0x3100 }, other[] = { 0x2200 };
	char *before, *after;
	struct process *p;

	collector__init(&c);
	c.malloc = mp;
	p = collector__add(&c, pid, NULL);
	p->heap.allocator = strtab__intern(c.tables.strings, "glibc malloc (libc.so.6)");
	feed_malloc(&c, pid, 0x10000, 100, held, 2);
	feed_malloc(&c, pid, 0x20000, 200, held, 2);
	feed_malloc(&c, pid, 0x30000, 300, freed, 2);
	feed_free(&c, pid, 0x30000);
	CHECK_EQ_U(p->heap.n, 2);
	CHECK_EQ_U(stacks__count(c.tables.stacks), 2);
	before = report_json(&c);
	collector__sweep(&c);
	/* both stacks stay: one holds blocks, the other its tally */
	CHECK_EQ_U(stacks__count(c.tables.stacks), 2);
	CHECK_EQ_S(p->heap.allocator, "glibc malloc (libc.so.6)");
	CHECK(strtab__intern(c.tables.strings, "glibc malloc (libc.so.6)") == p->heap.allocator);
	after = report_json(&c);
	CHECK(before && after);
	if (before && after) {
		CHECK(strstr(before, "\"malloc\"") != NULL);
		CHECK_EQ_S(after, before);
	}
	/* a new stack gets an id of its own, not the freed blocks' stack's */
	feed_malloc(&c, pid, 0x40000, 400, other, 1);
	CHECK_EQ_U(stacks__count(c.tables.stacks), 3);
	CHECK_EQ_U(p->heap.nt, 3);
	for (size_t i = 0; i < p->heap.nt; i++) {
		const struct heap_tally *t = &p->heap.t[i];

		/* held: 2 blocks, 300 bytes; freed: 1, 300; new: 1, 400 */
		CHECK((t->count == 2 && t->bytes == 300) || (t->count == 1 && t->bytes == 300) ||
		      (t->count == 1 && t->bytes == 400));
	}
	free(before);
	free(after);
	collector__free(&c);
	mallocprobes__free(mp);
}
