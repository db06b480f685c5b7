// SPDX-License-Identifier: MIT
/* The malloc kind's pieces without root: the byte sampler against libm,
 * probe placement on real allocator code (bytes as objdump shows them in
 * Debian's libc.so.6 and libmimalloc.so.2), and the heap ledger. */
#include "check.h"
#include "base/strtab.h"
#include "leakscope.h"
#include "ledgers/heapblocks.h"
#include "ledgers/process.h"
#include "sampler.h"
#include "symbols/modules.h"
#include "symbols/tables.h"
#include "trace/mallocprobes.h"
#include "trace/probe_site.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <sys/stat.h>

/* -ln(u / 2^32) * mean from the integer log2 agrees with libm's to
 * within 0.01% of the mean over the whole range of draws. */
TEST(sampler_gap_matches_libm)
{
	const double mean = 512 * 1024;
	double worst = 0;

	for (uint64_t u = 1; u < (1ULL << 32); u += 4093 * 2 + 1) {
		double want = -log((double)(u | 1) / 4294967296.0) * mean;
		double got = (double)ls_sample_gap((uint32_t)u, (uint64_t)mean);
		double err = fabs(got - want) / mean;

		if (err > worst)
			worst = err;
	}
	CHECK(worst < 1e-4);
	if (worst >= 1e-4)
		fprintf(stderr, "  worst error %g of the mean\n", worst);
}

/* Uniform draws give gaps whose mean is the sampling mean (an exponential
 * distribution's): within 0.5% over a million evenly spread draws. */
TEST(sampler_mean_is_the_rate)
{
	const uint64_t mean = 512 * 1024, n = 1 << 20;
	double sum = 0;

	for (uint64_t i = 0; i < n; i++)
		sum += (double)ls_sample_gap((uint32_t)((i << 12) + 2048), mean);
	CHECK(fabs(sum / n - (double)mean) < mean * 0.005);
}

/* glibc's free: `test %rdi,%rdi` (single-stepped) then `je` (emulated):
 * the probe goes on the je, the pointer still in rdi. */
TEST(probe_site_glibc_free_je)
{
	static const uint8_t code[] = { 0x48, 0x85, 0xff, 0x0f, 0x84, 0xbf, 0x00, 0x00, 0x00,
					0x55, 0xc3 };
	struct probe_site s;

	CHECK_EQ_I(probe_site__find(code, sizeof(code), 0x98ef0, 1, &s), PROBE_SITE_OK);
	CHECK_EQ_U(s.vaddr, 0x98ef3);
	CHECK_EQ_I(s.arg_reg[0], LS_REG_DI);
	CHECK_EQ_U(s.sp_words, 0);
	CHECK(!s.thunk);
}

/* glibc's malloc starts with `push %r12`: the first instruction. */
TEST(probe_site_push_first)
{
	static const uint8_t code[] = { 0x41, 0x54, 0x55, 0x53, 0xc3 };
	struct probe_site s;

	CHECK_EQ_I(probe_site__find(code, sizeof(code), 0x98930, 1, &s), PROBE_SITE_OK);
	CHECK_EQ_U(s.vaddr, 0x98930);
	CHECK_EQ_I(s.arg_reg[0], LS_REG_DI);
}

/* mimalloc's malloc copies its size to rsi and reuses rdi before its
 * first branch (ja): the size is read from rsi there. */
TEST(probe_site_follows_a_register_copy)
{
	static const uint8_t code[] = { 0x48, 0x8b, 0x05, 0x49, 0xb4, 0x00, 0x00,
					0x48, 0x89, 0xfe,
					0x64, 0x48, 0x8b, 0x38,
					0x48, 0x81, 0xfe, 0x00, 0x04, 0x00, 0x00,
					0x77, 0x29, 0xc3 };
	struct probe_site s;

	CHECK_EQ_I(probe_site__find(code, sizeof(code), 0x10b70, 1, &s), PROBE_SITE_OK);
	CHECK_EQ_U(s.vaddr, 0x10b85);
	CHECK_EQ_I(s.arg_reg[0], LS_REG_SI);
}

/* A stack adjustment before the first branch: the return address is
 * 3 words up from the stack pointer at the probe. */
TEST(probe_site_counts_stack_words)
{
	static const uint8_t code[] = { 0x48, 0x83, 0xec, 0x18, 0x74, 0x02, 0xc3, 0xc3 };
	struct probe_site s;

	CHECK_EQ_I(probe_site__find(code, sizeof(code), 0x1000, 1, &s), PROBE_SITE_OK);
	CHECK_EQ_U(s.vaddr, 0x1004);
	CHECK_EQ_U(s.sp_words, 3);
}

TEST(probe_site_refuses_what_it_cannot_read)
{
	/* xor %edi,%edi; je: the argument is gone */
	static const uint8_t lost[] = { 0x31, 0xff, 0x74, 0x00, 0xc3 };
	/* mov %rdi,%rax; ret: nothing emulated before the return */
	static const uint8_t none[] = { 0x48, 0x89, 0xf8, 0xc3 };
	/* test; je (the site); jmp back to the je: not once per call */
	static const uint8_t again[] = { 0x48, 0x85, 0xff, 0x74, 0x02, 0xeb, 0xfc, 0xc3 };
	struct probe_site s;

	CHECK_EQ_I(probe_site__find(lost, sizeof(lost), 0x1000, 1, &s), PROBE_SITE_ARG_LOST);
	CHECK_EQ_I(probe_site__find(none, sizeof(none), 0x1000, 1, &s), PROBE_SITE_NO_EMULATED);
	CHECK_EQ_I(probe_site__find(again, sizeof(again), 0x1000, 1, &s), PROBE_SITE_REENTERED);
}

/* A function that is only a jump, and a PLT stub's GOT slot. */
TEST(probe_site_thunk_and_plt_slot)
{
	static const uint8_t thunk[] = { 0xe9, 0x10, 0x00, 0x00, 0x00 };
	static const uint8_t stub[] = { 0xf3, 0x0f, 0x1e, 0xfa, 0xff, 0x25, 0x00, 0x10, 0x00, 0x00 };
	struct probe_site s;

	CHECK_EQ_I(probe_site__find(thunk, sizeof(thunk), 0x2000, 1, &s), PROBE_SITE_OK);
	CHECK(s.thunk);
	CHECK_EQ_U(s.target, 0x2015);
	CHECK_EQ_U(probe_site__plt_slot(stub, sizeof(stub), 0x3000), 0x3000 + 10 + 0x1000);
}

/* glibc's reallocarray: its arguments are multiplied away before the
 * first branch, but it ends in `jmp realloc@plt`: seen there. */
TEST(probe_site_tail_jump_of_reallocarray)
{
	static const uint8_t code[] = { 0x48, 0x89, 0xf0, 0x48, 0xf7, 0xe2, 0x48, 0x89, 0xc6,
					0x70, 0x05, 0xe9, 0x40, 0xb8, 0xf8, 0xff };
	struct probe_site s;

	CHECK_EQ_I(probe_site__find(code, sizeof(code), 0x9a7e0, 3, &s), PROBE_SITE_ARG_LOST);
	CHECK_EQ_U(probe_site__tail_jump(code, sizeof(code), 0x9a7e0), 0x26030);
}

TEST(heapblocks_alloc_free_unknown_never_negative)
{
	struct heapblocks h;

	heapblocks__init(&h);
	heapblocks__alloc(&h, 0x1000, 100, 7, 10);
	heapblocks__alloc(&h, 0x2000, 50, 7, 11);
	heapblocks__alloc(&h, 0x3000, 30, 8, 12);
	CHECK_EQ_U(h.n, 3);
	CHECK_EQ_U(h.bytes, 180);
	CHECK(heapblocks__free(&h, 0x2000));
	CHECK(!heapblocks__free(&h, 0x2000));	/* twice: the second is unknown */
	CHECK(!heapblocks__free(&h, 0x9000));	/* from before attach */
	CHECK_EQ_U(h.unknown_frees, 2);
	CHECK_EQ_U(h.n, 2);
	CHECK_EQ_U(h.bytes, 130);
	CHECK(heapblocks__get(&h, 0x3000) && heapblocks__get(&h, 0x3000)->stack == 8);
	/* an address given out again without its free seen: replaced */
	heapblocks__alloc(&h, 0x1000, 10, 9, 20);
	CHECK_EQ_U(h.replaced, 1);
	CHECK_EQ_U(h.bytes, 40);
	/* allocated while traced, per stack (frees do not undo it) */
	CHECK_EQ_U(h.nt, 3);
	CHECK_EQ_U(h.t[0].count, 2);
	CHECK_EQ_U(h.t[0].bytes, 150);
	heapblocks__clear(&h);
}

/* realloc retires its old block only if it is still the one the call
 * was given: another thread may have got the address since. */
TEST(heapblocks_realloc_retires_only_its_block)
{
	struct heapblocks h, child;

	heapblocks__init(&h);
	heapblocks__alloc(&h, 0x1000, 100, 1, 10);
	CHECK(heapblocks__retire(&h, 0x1000, 15, true));	/* born 10 < call 15 */
	heapblocks__alloc(&h, 0x1000, 64, 2, 30);		/* another thread, later */
	CHECK(!heapblocks__retire(&h, 0x1000, 25, false));	/* a realloc that began at 25 */
	CHECK_EQ_U(h.n, 1);
	CHECK_EQ_U(h.unknown_frees, 0);
	CHECK(!heapblocks__retire(&h, 0x5000, 40, true));	/* realloc of a block from before */
	CHECK_EQ_U(h.unknown_frees, 1);
	/* a forked child starts with the same blocks */
	heapblocks__init(&child);
	heapblocks__copy(&child, &h);
	CHECK_EQ_U(child.n, 1);
	CHECK_EQ_U(child.bytes, 64);
	CHECK(heapblocks__free(&child, 0x1000));
	CHECK_EQ_U(h.n, 1);
	heapblocks__clear(&child);
	heapblocks__clear(&h);
}

static uint32_t add_module(struct tables *t, const char *path)
{
	struct stat st;

	CHECK_EQ_I(stat(path, &st), 0);
	return modules__add(t->modules, path, st.st_dev, st.st_ino, 0);
}

static size_t probes_placed(const struct mallocprobes *m)
{
	size_t n = 0;

	while (mallocprobes__fn(m, (uint32_t)n))
		n++;
	return n;
}

/*
 * The malloc probes keep what they learned of each module by its file,
 * never by the collector's module id: a sweep of the collector's tables
 * frees ids and paths without touching the probes' names. Their own
 * sweep forgets the modules with nothing to probe, keeps Debian's libc
 * (its probe ids are in the cookies) and its strings.
 */
TEST(mallocprobes_outlive_the_tables_and_sweep_their_own)
{
	static const char libc[] = "/lib/x86_64-linux-gnu/libc.so.6";
	struct malloc_options mo = { .mode = MALLOC_ALL };
	struct mallocprobes *m = mallocprobes__new(NULL, &mo);
	struct tables t;
	struct process *p;
	char sample[PATH_MAX];
	const struct malloc_fn *fn;
	size_t placed;

	tables__init(&t);
	p = process__new(999997, 4096, &t);
	CHECK(realpath("data/cfi_sample.so", sample) != NULL);
	mallocprobes__attach_module(m, p, add_module(&t, libc));
	mallocprobes__attach_module(m, p, add_module(&t, sample));
	CHECK_EQ_U(mallocprobes__count(m), 2);
	placed = probes_placed(m);
	CHECK(placed >= 5);	/* malloc, calloc, realloc, free, memalign... */
	CHECK(p->heap.allocator && strstr(p->heap.allocator, "glibc malloc (libc.so.6)"));
	/* the process's record is in its tables, marked with its ledgers */
	CHECK(strtab__intern(t.strings, p->heap.allocator) == p->heap.allocator);
	process__free(p);

	tables__sweep(&t);	/* nothing marked: every module and path goes */
	CHECK_EQ_U(modules__count(t.modules), 0);
	fn = mallocprobes__fn(m, 0);
	CHECK(fn && fn->path && !strcmp(fn->path, libc));

	CHECK_EQ_U(mallocprobes__sweep(m), 1);	/* cfi_sample.so: no allocator */
	CHECK_EQ_U(mallocprobes__count(m), 1);
	CHECK_EQ_U(probes_placed(m), placed);
	CHECK(fn == mallocprobes__fn(m, 0) && !strcmp(fn->path, libc));

	/* libc under a new id of a new table: the same module, no probe more */
	p = process__new(999997, 4096, &t);
	mallocprobes__attach_module(m, p, add_module(&t, libc));
	CHECK_EQ_U(mallocprobes__count(m), 1);
	CHECK_EQ_U(probes_placed(m), placed);
	CHECK(p->heap.allocator && strstr(p->heap.allocator, "glibc malloc"));
	process__free(p);
	tables__free(&t);
	mallocprobes__free(m);
}
