// SPDX-License-Identifier: MIT
/*
 * The collector and report aggregation without BPF: hand-made ring-buffer
 * records in, report model out.
 */
#include "check.h"
#include "trace/collector.h"
#include "base/hashmap.h"
#include "leakscope.h"
#include "ledgers/process.h"
#include "report/build.h"
#include "report/report.h"

#include <sys/syscall.h>
#include <sys/mman.h>
#include <unistd.h>

static uint8_t buf[sizeof(struct ls_syscall_event) + 64];

static struct ls_syscall_event *acquire(int pid, long nr, long ret, uint64_t ts,
					const uint64_t *ips, uint32_t nips)
{
	struct ls_syscall_event *e = (void *)buf;

	memset(buf, 0, sizeof(buf));
	e->hdr.type = LS_EV_SYSCALL;
	e->hdr.pid = e->hdr.tid = pid;
	e->hdr.ts_ns = ts;
	e->sc.nr = nr;
	e->sc.ret = ret;
	e->stack.nr_frames = nips;
	for (uint32_t i = 0; i < nips; i++)
		e->stack.ips[i] = ips[i];
	return e;
}

static void feed(struct collector *c, void *rec, size_t size)
{
	CHECK_EQ_I(collector__on_record(c, rec, size), 0);
}

static void release(struct collector *c, int pid, long nr, uint64_t a0, uint64_t a1)
{
	struct ls_release_event r = { 0 };

	r.hdr.type = LS_EV_RELEASE;
	r.hdr.pid = r.hdr.tid = pid;
	r.sc.nr = nr;
	r.sc.args[0] = a0;
	r.sc.args[1] = a1;
	feed(c, &r, sizeof(r));
}

static const struct report_stack *find(const struct report *r, enum ls_kind kind,
				       const char *fd_kind, size_t nth)
{
	for (size_t i = 0; i < r->nstacks; i++)
		if (r->stacks[i].kind == kind &&
		    (!fd_kind || (r->stacks[i].fd_kind && !strcmp(r->stacks[i].fd_kind, fd_kind))) &&
		    nth-- == 0)
			return &r->stacks[i];
	return NULL;
}

TEST(records_to_report_aggregates_per_stack)
{
	struct collector c;
	struct report_options ro = { .min_age_s = 0 };
	const uint64_t stack_a[] = { 0x1111, 0x2222 }, stack_b[] = { 0x3333 };
	int pid = getpid();
	struct ls_syscall_event *e;
	struct report *r;
	const struct report_stack *s;

	collector__init(&c);
	collector__add(&c, pid, NULL);
	/* two 8-page mmaps from stack A, one later cut in half */
	for (int i = 0; i < 2; i++) {
		e = acquire(pid, SYS_mmap, 0x10000000 + i * 0x100000, 1000, stack_a, 2);
		e->sc.args[1] = 8 * 4096;
		e->sc.args[3] = MAP_PRIVATE | MAP_ANONYMOUS;
		e->sc.args[4] = (uint64_t)-1;
		feed(&c, e, sizeof(buf));
	}
	release(&c, pid, SYS_munmap, 0x10100000, 4 * 4096);
	/* three sockets from stack B, one closed; a pipe pair from A */
	for (int fd = 10; fd < 13; fd++)
		feed(&c, acquire(pid, SYS_socket, fd, 2000, stack_b, 1), sizeof(buf));
	release(&c, pid, SYS_close, 11, 0);
	e = acquire(pid, SYS_pipe2, 0, 3000, stack_a, 2);
	e->sc.aux[LS_AUX_PIPE_FDS] = 20 | (uint64_t)21 << 32;
	feed(&c, e, sizeof(buf));
	/* dup2 onto an open socket replaces it with a copy of the pipe */
	e = acquire(pid, SYS_dup2, 12, 4000, stack_b, 1);
	e->sc.args[0] = 20;
	e->sc.args[1] = 12;
	feed(&c, e, sizeof(buf));
	/* a close of an fd never seen changes nothing */
	release(&c, pid, SYS_close, 99, 0);

	ro.now_ns = 10 * 1000000000ULL;
	r = report__build(&c, &ro);
	CHECK_EQ_U(r->totals[KIND_MMAP].count, 2);
	CHECK_EQ_U(r->totals[KIND_MMAP].bytes, 12 * 4096);
	s = find(r, KIND_MMAP, NULL, 0);
	CHECK(s != NULL);
	if (s) {
		CHECK_EQ_U(s->count, 2);	/* both allocations: one stack */
		CHECK_EQ_U(s->bytes, 12 * 4096);
		CHECK_EQ_U(s->nframes, 2);
	}
	CHECK_EQ_U(r->totals[KIND_FD].count, 4);	/* 10, 12 (pipe), 20, 21 */
	s = find(r, KIND_FD, "socket", 0);
	CHECK(s && s->count == 1);
	s = find(r, KIND_FD, "pipe", 0);
	CHECK(s && s->count == 2);	/* pipe2's two fds */
	s = find(r, KIND_FD, "pipe", 1);
	CHECK(s && s->count == 1);	/* the dup2 copy, from stack B */
	CHECK_EQ_U(r->lost_events, 0);
	report__free(r);
	collector__free(&c);
}

TEST(exec_closes_what_the_bitmap_says_and_forgets_memory)
{
	struct collector c;
	struct report_options ro = { .min_age_s = 0 };
	struct ls_exec_event x = { 0 };
	const uint64_t st[] = { 0x4444 };
	int pid = getpid();
	struct ls_syscall_event *e;
	struct report *r;

	collector__init(&c);
	collector__add(&c, pid, NULL);
	for (int fd = 3; fd < 7; fd++)
		feed(&c, acquire(pid, SYS_eventfd2, fd, 1, st, 1), sizeof(buf));
	e = acquire(pid, SYS_mmap, 0x20000000, 1, st, 1);
	e->sc.args[1] = 4096;
	e->sc.args[4] = (uint64_t)-1;
	e->sc.args[3] = MAP_PRIVATE | MAP_ANONYMOUS;
	feed(&c, e, sizeof(buf));
	x.hdr.type = LS_EV_EXEC;
	x.hdr.pid = x.hdr.tid = pid;
	x.fd_words = 1;
	x.max_fds = 64;
	x.open_fds[0] = 0x7 | 1 << 4 | 1 << 6;	/* stdio, 4 and 6 survive */
	strcpy(x.comm, "after");
	strcpy(x.filename, "/bin/true");
	feed(&c, &x, sizeof(x));
	ro.now_ns = 1000000000ULL;
	r = report__build(&c, &ro);
	CHECK_EQ_U(r->totals[KIND_FD].count, 2);
	CHECK_EQ_U(r->totals[KIND_MMAP].count, 0);
	CHECK_EQ_S(r->targets[0].comm, "after");
	report__free(r);
	collector__free(&c);
}

TEST(fork_copies_exit_freezes_and_min_age_hides)
{
	struct collector c;
	struct report_options ro = { .min_age_s = 2.0 };
	struct ls_fork_event f = { 0 };
	struct ls_exit_event x = { 0 };
	const uint64_t st[] = { 0x5555 };
	int pid = getpid(), child = 999999;
	struct report *r;

	collector__init(&c);
	collector__add(&c, pid, NULL);
	feed(&c, acquire(pid, SYS_socket, 5, 1000000000ULL, st, 1), sizeof(buf));
	f.hdr.type = LS_EV_FORK;
	f.hdr.pid = pid;
	f.child_pid = child;
	strcpy(f.comm, "kid");
	feed(&c, &f, sizeof(f));
	CHECK_EQ_U(c.live, 2);
	/* the child opens one more, then exits at t = 2 s */
	feed(&c, acquire(child, SYS_socket, 6, 1500000000ULL, st, 1), sizeof(buf));
	x.hdr.type = LS_EV_EXIT;
	x.hdr.pid = child;
	x.hdr.ts_ns = 2000000000ULL;
	feed(&c, &x, sizeof(x));
	CHECK_EQ_U(c.live, 1);
	/* at t = 2.5 s: the parent's fd (1.5 s old) is hidden by min age 2;
	 * the exited child shows both fds it held at exit */
	ro.now_ns = 2500000000ULL;
	r = report__build(&c, &ro);
	CHECK_EQ_U(r->totals[KIND_FD].count, 3);
	CHECK_EQ_U(r->totals[KIND_FD].hidden_count, 1);
	CHECK_EQ_U(r->nstacks, 1);
	if (r->nstacks) {
		CHECK_EQ_I(r->stacks[0].pid, child);
		CHECK_EQ_U(r->stacks[0].count, 2);
	}
	CHECK_EQ_U(r->ntargets, 2);
	CHECK(r->targets[1].exited);
	report__free(r);
	collector__free(&c);
}

TEST(malformed_records_are_counted_not_trusted)
{
	struct collector c;
	struct ls_event_header h = { .type = 77, .pid = 1 };
	uint8_t tiny[4] = { 1, 0, 0, 0 };

	collector__init(&c);
	feed(&c, &h, sizeof(h));
	feed(&c, tiny, sizeof(tiny));
	h.type = LS_EV_EXEC;	/* shorter than an exec record */
	feed(&c, &h, sizeof(h));
	CHECK_EQ_U(c.bad_records, 3);
	collector__free(&c);
}
