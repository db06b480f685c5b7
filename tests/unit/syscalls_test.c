// SPDX-License-Identifier: MIT
/*
 * What the collector makes of each syscall, one table row per case: a
 * hand-made sequence of ring-buffer records, as the BPF side sends them
 * for a successful call (bpf/native.bpf.c), and the ledgers the kernel's
 * own semantics say the process holds afterwards (man 2 of each call).
 * No root, no BPF. The process is one that does not exist, so nothing
 * is read from /proc behind the records' back.
 *
 * Ledgers are written out as text to compare:
 *   fds   "3=file/A 4=pipe/B": fd, kind, the step that made it
 *   maps  "[10000,12000)A [12000,14000)B = 0x4000 in 2": pieces, owners,
 *         then the total bytes and allocations
 *   brk   "[600000,621000)A = 0x21000"
 * A step is named by its letter: its stack is the one frame 0x1000 + the
 * letter, so an owner says which call made it.
 */
#include "check.h"
#include "trace/collector.h"
#include "ledgers/fdtable.h"
#include "ledgers/process.h"
#include "symbols/stacks.h"
#include "symbols/tables.h"
#include "base/util.h"
#include "leakscope.h"

#include <fcntl.h>
#include <stdarg.h>
#include <linux/close_range.h>
#include <linux/mman.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#define PID 2147483646		/* no such process */
#define MAX_STEPS 8
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)

enum step_kind { END = 0, ACQUIRE, RELEASE, EXEC };

struct step {
	enum step_kind what;
	char who;		/* ACQUIRE: names its stack ('A'...) */
	long nr;
	int64_t ret;
	uint64_t a[6];		/* the syscall's arguments; EXEC: auxv[0..5] */
	uint64_t aux[2];	/* what the BPF side adds (LS_AUX_*) */
	uint32_t fd_words;	/* EXEC: words of the bitmap sent */
	uint64_t open_fds;	/* EXEC: fds 0-63 open after close-on-exec */
};

struct row {
	const char *name;
	struct step steps[MAX_STEPS];
	const char *fds, *maps, *brk;	/* expected; "" = none */
};

/* Shorthands for the records each call makes. */
#define OPEN(w, fd) { ACQUIRE, w, SYS_openat, fd, { (uint64_t)AT_FDCWD }, { S_IFREG } }
#define SOCKET(w, fd) { ACQUIRE, w, SYS_socket, fd, { 0 }, { S_IFSOCK } }
#define CLOSE(fd) { RELEASE, 0, SYS_close, 0, { fd } }
#define PAIR(a, b) ((uint64_t)(a) | (uint64_t)(b) << 32)
#define MMAP(w, addr, len) { ACQUIRE, w, SYS_mmap, addr, { 0, len, 3, ANON, (uint64_t)-1 } }
#define MREMAP(w, old, oldlen, newaddr, newlen, flags) \
	{ ACQUIRE, w, SYS_mremap, newaddr, { old, oldlen, newlen, flags } }
#define MUNMAP(addr, len) { RELEASE, 0, SYS_munmap, 0, { addr, len } }
#define BRK(w, old, new) { ACQUIRE, w, SYS_brk, new, { new }, { old } }

static const struct row fd_rows[] = {
	{ "dup2 onto an open fd closes it and copies the old one",
	  { OPEN('A', 3), SOCKET('B', 4),
	    { ACQUIRE, 'C', SYS_dup2, 4, { 3, 4 }, { S_IFREG } } },
	  "3=file/A 4=file/C", "", "" },
	{ "dup2 of an fd onto itself changes nothing",
	  { OPEN('A', 3), { ACQUIRE, 'B', SYS_dup2, 3, { 3, 3 }, { S_IFREG } } },
	  "3=file/A", "", "" },
	{ "dup3 onto a closed fd, O_CLOEXEC",
	  { SOCKET('A', 5), { ACQUIRE, 'B', SYS_dup3, 9, { 5, 9, O_CLOEXEC }, { S_IFSOCK } } },
	  "5=socket/A 9=socket/B", "", "" },
	{ "dup takes the copied fd's kind",
	  { { ACQUIRE, 'A', SYS_eventfd2, 3, { 0 } }, { ACQUIRE, 'B', SYS_dup, 4, { 3 } } },
	  "3=eventfd/A 4=eventfd/B", "", "" },
	{ "fcntl F_DUPFD and F_DUPFD_CLOEXEC copy an fd",
	  { OPEN('A', 3), { ACQUIRE, 'B', SYS_fcntl, 10, { 3, F_DUPFD, 10 }, { S_IFREG } },
	    { ACQUIRE, 'C', SYS_fcntl, 11, { 3, F_DUPFD_CLOEXEC, 10 }, { S_IFREG } }, CLOSE(3) },
	  "10=file/B 11=file/C", "", "" },
	{ "pipe and pipe2 make two fds",
	  { { ACQUIRE, 'A', SYS_pipe, 0, { 0x7000 }, { 0, PAIR(3, 4) } },
	    { ACQUIRE, 'B', SYS_pipe2, 0, { 0x7000, O_CLOEXEC }, { 0, PAIR(5, 6) } }, CLOSE(4) },
	  "3=pipe/A 5=pipe/B 6=pipe/B", "", "" },
	{ "pipe whose fds could not be read back adds nothing",
	  { { ACQUIRE, 'A', SYS_pipe2, 0, { 0x7000 }, { 0, ~0ULL } } }, "", "", "" },
	{ "socketpair makes two sockets",
	  { { ACQUIRE, 'A', SYS_socketpair, 0, { 1, 1, 0, 0x7000 }, { 0, PAIR(7, 8) } } },
	  "7=socket/A 8=socket/A", "", "" },
	{ "pidfd_getfd: a copy of another process's fd, kind from its inode",
	  { { ACQUIRE, 'A', SYS_pidfd_open, 3, { 1234 } },
	    { ACQUIRE, 'B', SYS_pidfd_getfd, 4, { 3, 7, 0 }, { S_IFSOCK } } },
	  "3=pidfd/A 4=socket/B", "", "" },
	{ "close_range closes first to last",
	  { OPEN('A', 3), OPEN('B', 4), OPEN('C', 5), OPEN('D', 6),
	    { RELEASE, 0, SYS_close_range, 0, { 4, 5, 0 } } },
	  "3=file/A 6=file/D", "", "" },
	{ "close_range to ~0U closes all above first",
	  { OPEN('A', 3), OPEN('B', 40), OPEN('C', 700),
	    { RELEASE, 0, SYS_close_range, 0, { 4, 0xffffffffULL, CLOSE_RANGE_UNSHARE } } },
	  "3=file/A", "", "" },
};

static const struct row exec_rows[] = {
	{ "close_range CLOSE_RANGE_CLOEXEC closes nothing until exec",
	  { OPEN('A', 3), OPEN('B', 4),
	    { RELEASE, 0, SYS_close_range, 0, { 4, 0xffffffffULL, CLOSE_RANGE_CLOEXEC } } },
	  "3=file/A 4=file/B", "", "" },
	{ "...and the exec after it leaves what the bitmap says",
	  { OPEN('A', 3), OPEN('B', 4),
	    { RELEASE, 0, SYS_close_range, 0, { 4, 0xffffffffULL, CLOSE_RANGE_CLOEXEC } },
	    { EXEC, .fd_words = 1, .open_fds = 0xf } },
	  "3=file/A", "", "" },
	{ "exec: close-on-exec fds go, memory is the new image's",
	  { OPEN('A', 3), SOCKET('B', 4), OPEN('C', 5), MMAP('D', 0x10000, 0x2000),
	    BRK('E', 0x600000, 0x621000),
	    { EXEC, .fd_words = 1, .open_fds = 0x7 | 1 << 4 } },
	  "4=socket/B", "", "" },
	{ "exec: an fd beyond the bitmap is asked of /proc (gone here)",
	  { OPEN('A', 3), OPEN('B', 70), { EXEC, .fd_words = 1, .open_fds = 0xf } },
	  "3=file/A", "", "" },
	/* fd 1030 is bit 6 of the word after the bitmap: auxv[0] */
	{ "exec: a bitmap longer than the record holds is cut to it",
	  { OPEN('A', 3), OPEN('B', 1030),
	    { EXEC, .fd_words = 4096, .open_fds = 0xf, .a = { 1 << 6 } } },
	  "3=file/A", "", "" },
};

static const struct row memory_rows[] = {
	{ "mmap of a length that is not whole pages takes whole pages",
	  { MMAP('A', 0x10000, 0x1001) }, "", "[10000,12000)A = 0x2000 in 1", "" },
	{ "MAP_FIXED over an existing range replaces the part it covers",
	  { MMAP('A', 0x10000, 0x4000),
	    { ACQUIRE, 'B', SYS_mmap, 0x11000, { 0x11000, 0x1000, 3, ANON | MAP_FIXED,
						 (uint64_t)-1 } } },
	  "", "[10000,11000)A [11000,12000)B [12000,14000)A = 0x4000 in 2", "" },
	{ "munmap of a middle part splits the mapping, one allocation",
	  { MMAP('A', 0x10000, 0x4000), MUNMAP(0x11000, 0x1000) },
	  "", "[10000,11000)A [12000,14000)A = 0x3000 in 1", "" },
	{ "munmap rounds its length up to pages",
	  { MMAP('A', 0x10000, 0x4000), MUNMAP(0x13000, 1) },
	  "", "[10000,13000)A = 0x3000 in 1", "" },
	{ "munmap of all of it ends the allocation",
	  { MMAP('A', 0x10000, 0x2000), MMAP('B', 0x20000, 0x1000), MUNMAP(0x10000, 0x2000) },
	  "", "[20000,21000)B = 0x1000 in 1", "" },
	{ "mremap grows in place: the growth is the grower's",
	  { MMAP('A', 0x10000, 0x2000), MREMAP('B', 0x10000, 0x2000, 0x10000, 0x4000, 0) },
	  "", "[10000,12000)A [12000,14000)B = 0x4000 in 2", "" },
	{ "mremap shrinks: the tail goes",
	  { MMAP('A', 0x10000, 0x4000), MREMAP('B', 0x10000, 0x4000, 0x10000, 0x1000, 0) },
	  "", "[10000,11000)A = 0x1000 in 1", "" },
	{ "mremap moves: the allocation follows, still its maker's",
	  { MMAP('A', 0x10000, 0x2000),
	    MREMAP('B', 0x10000, 0x2000, 0x50000, 0x2000, MREMAP_MAYMOVE) },
	  "", "[50000,52000)A = 0x2000 in 1", "" },
	{ "mremap moves and grows",
	  { MMAP('A', 0x10000, 0x2000),
	    MREMAP('B', 0x10000, 0x2000, 0x50000, 0x3000, MREMAP_MAYMOVE) },
	  "", "[50000,52000)A [52000,53000)B = 0x3000 in 2", "" },
	{ "mremap moves and shrinks",
	  { MMAP('A', 0x10000, 0x4000),
	    MREMAP('B', 0x10000, 0x4000, 0x50000, 0x1000, MREMAP_MAYMOVE | MREMAP_FIXED) },
	  "", "[50000,51000)A = 0x1000 in 1", "" },
	{ "mremap MREMAP_DONTUNMAP leaves the old range mapped",
	  { MMAP('A', 0x10000, 0x2000),
	    MREMAP('B', 0x10000, 0x2000, 0x50000, 0x2000, MREMAP_MAYMOVE | MREMAP_DONTUNMAP) },
	  "", "[10000,12000)A [50000,52000)B = 0x4000 in 2", "" },
};

static const struct row brk_rows[] = {
	{ "brk grows: each growth is its caller's, in whole pages",
	  { BRK('A', 0x600000, 0x621000), BRK('B', 0x621000, 0x630010) },
	  "", "", "[600000,621000)A [621000,631000)B = 0x31000" },
	{ "brk shrinks: the newest growth goes first",
	  { BRK('A', 0x600000, 0x621000), BRK('B', 0x621000, 0x642000),
	    BRK('C', 0x642000, 0x630000) },
	  "", "", "[600000,621000)A [621000,630000)B = 0x30000" },
	{ "brk shrinks below several growths",
	  { BRK('A', 0x600000, 0x610000), BRK('B', 0x610000, 0x620000),
	    BRK('C', 0x620000, 0x630000), BRK('D', 0x630000, 0x608000) },
	  "", "", "[600000,608000)A = 0x8000" },
};

/* big enough for any record a row makes (an exec record is the largest) */
static uint8_t rec[MAX(sizeof(struct ls_syscall_event), sizeof(struct ls_exec_event)) + 64];

/* The stacks of the row being checked (its collector's tables). */
static const struct stacks *row_stacks;

/* The letter of the step whose stack this is, '-' for none. */
static char owner(uint32_t stack)
{
	uint32_t n = 0, flags;
	const uint64_t *f = stack ? stacks__frames(row_stacks, stack, &n, &flags) : NULL;

	return f && n == 1 && FRAME_MODULE(f[0]) == 0 ? (char)(FRAME_OFFSET(f[0]) - 0x1000) : '-';
}

static void feed(struct collector *c, const struct step *s)
{
	memset(rec, 0, sizeof(rec));
	if (s->what == ACQUIRE) {
		struct ls_syscall_event *e = (void *)rec;

		e->hdr.type = LS_EV_SYSCALL;
		e->sc.nr = s->nr;
		e->sc.ret = s->ret;
		memcpy(e->sc.args, s->a, sizeof(s->a));
		memcpy(e->sc.aux, s->aux, sizeof(s->aux));
		e->stack.nr_frames = 1;
		e->stack.ips[0] = 0x1000 + (uint64_t)s->who;
	} else if (s->what == RELEASE) {
		struct ls_release_event *e = (void *)rec;

		e->hdr.type = LS_EV_RELEASE;
		e->sc.nr = s->nr;
		memcpy(e->sc.args, s->a, sizeof(s->a));
	} else {
		struct ls_exec_event *e = (void *)rec;

		e->hdr.type = LS_EV_EXEC;
		e->fd_words = s->fd_words;
		e->max_fds = 64 * s->fd_words;
		e->open_fds[0] = s->open_fds;
		memcpy(e->auxv, s->a, sizeof(s->a));
		strcpy(e->comm, "after");
		strcpy(e->filename, "/bin/true");
	}
	((struct ls_event_header *)rec)->pid = PID;
	((struct ls_event_header *)rec)->tid = PID;
	CHECK_EQ_I(collector__on_record(c, rec, sizeof(rec)), 0);
}

struct text {
	char s[512];
	size_t n;
};

static void add(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(struct text *t, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	t->n += vsnprintf(t->s + t->n, sizeof(t->s) - MIN(t->n, sizeof(t->s)), fmt, ap);
	va_end(ap);
	t->n = MIN(t->n, sizeof(t->s) - 1);
}

static void fds_text(const struct process *p, struct text *t)
{
	for (size_t fd = 0; fd < p->fds.cap; fd++) {
		const struct fd_item *it = p->fds.fds[fd];

		if (it)
			add(t, "%s%zu=%s/%c", t->n ? " " : "", fd, fd_kind_name(it->kind),
			    owner(it->stack));
	}
}

static void map_piece(void *ctx, void *o, uint64_t start, uint64_t end)
{
	const struct mapping_alloc *a = o;
	struct text *t = ctx;

	add(t, "%s[%llx,%llx)%c", t->n ? " " : "", (unsigned long long)start,
	    (unsigned long long)end, owner(a->stack));
}

static void maps_text(const struct process *p, struct text *t)
{
	ranges__visit(&p->maps.ranges, map_piece, t);
	if (t->n)
		add(t, " = %#llx in %llu", (unsigned long long)p->maps.bytes,
		    (unsigned long long)p->maps.allocs);
}

static void brk_text(const struct process *p, struct text *t)
{
	for (size_t i = 0; i < p->brk.n; i++)
		add(t, "%s[%llx,%llx)%c", i ? " " : "", (unsigned long long)p->brk.segs[i].start,
		    (unsigned long long)p->brk.segs[i].end, owner(p->brk.segs[i].stack));
	if (t->n)
		add(t, " = %#llx", (unsigned long long)p->brk.bytes);
}

static void check_row(const struct row *r)
{
	struct collector c;
	struct text fds = { "", 0 }, maps = { "", 0 }, brk = { "", 0 };
	struct process *p;
	int before = check_failures;

	collector__init(&c);
	row_stacks = c.tables.stacks;
	p = collector__add(&c, PID, NULL);
	for (const struct step *s = r->steps; s < r->steps + MAX_STEPS && s->what != END; s++)
		feed(&c, s);
	CHECK_EQ_U(c.bad_records + c.unknown_pid_records, 0);
	fds_text(p, &fds);
	maps_text(p, &maps);
	brk_text(p, &brk);
	CHECK_EQ_S(fds.s, r->fds);
	CHECK_EQ_S(maps.s, r->maps);
	CHECK_EQ_S(brk.s, r->brk);
	if (check_failures != before)
		fprintf(stderr, "  in row \"%s\"\n", r->name);
	collector__free(&c);
}

TEST(fd_syscalls)
{
	for (size_t i = 0; i < ARRAY_SIZE(fd_rows); i++)
		check_row(&fd_rows[i]);
}

TEST(exec_and_close_on_exec)
{
	for (size_t i = 0; i < ARRAY_SIZE(exec_rows); i++)
		check_row(&exec_rows[i]);
}

TEST(mmap_munmap_mremap)
{
	for (size_t i = 0; i < ARRAY_SIZE(memory_rows); i++)
		check_row(&memory_rows[i]);
}

TEST(brk_grow_and_shrink)
{
	for (size_t i = 0; i < ARRAY_SIZE(brk_rows); i++)
		check_row(&brk_rows[i]);
}
