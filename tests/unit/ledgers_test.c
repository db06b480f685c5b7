// SPDX-License-Identifier: MIT
/* Range accounting (mmap ledger), brk growth and the fd table. */
#include "check.h"
#include "ledgers/brkheap.h"
#include "ledgers/fdtable.h"
#include "ledgers/mappings.h"
#include "base/ranges.h"

#define PG 4096ULL

struct tally {
	uint64_t allocs, bytes;
	uint32_t stacks[16];
	uint64_t stack_bytes[16];
};

static void tally_alloc(void *ctx, const struct mapping_alloc *a)
{
	struct tally *t = ctx;

	t->allocs++;
	t->bytes += a->bytes;
	if (a->stack < 16)
		t->stack_bytes[a->stack] += a->bytes;
}

static struct tally tally(const struct mappings *m)
{
	struct tally t = { 0 };

	mappings__visit_allocs(m, tally_alloc, &t);
	return t;
}

TEST(mmap_then_munmap_all)
{
	struct mappings m;

	mappings__init(&m, PG);
	mappings__map(&m, 0x10000, 3 * PG, 1, 100, 0, NULL);
	CHECK_EQ_U(m.bytes, 3 * PG);
	CHECK_EQ_U(m.allocs, 1);
	mappings__unmap(&m, 0x10000, 3 * PG);
	CHECK_EQ_U(m.bytes, 0);
	CHECK_EQ_U(m.allocs, 0);
	CHECK_EQ_U(m.ranges.count, 0);
	mappings__clear(&m);
}

TEST(partial_munmap_middle_splits_one_allocation)
{
	struct mappings m;
	struct tally t;

	mappings__init(&m, PG);
	mappings__map(&m, 0x10000, 4 * PG, 3, 100, 0, NULL);
	mappings__unmap(&m, 0x10000 + PG, PG);	/* hole in the middle */
	CHECK_EQ_U(m.bytes, 3 * PG);
	CHECK_EQ_U(m.allocs, 1);	/* still one allocation, two pieces */
	CHECK_EQ_U(m.ranges.count, 2);
	t = tally(&m);
	CHECK_EQ_U(t.allocs, 1);
	CHECK_EQ_U(t.stack_bytes[3], 3 * PG);
	mappings__unmap(&m, 0x10000, PG);
	mappings__unmap(&m, 0x10000 + 2 * PG, 2 * PG);
	CHECK_EQ_U(m.allocs, 0);
	CHECK_EQ_U(m.bytes, 0);
	mappings__clear(&m);
}

TEST(munmap_across_several_mappings)
{
	struct mappings m;
	struct tally t;

	mappings__init(&m, PG);
	mappings__map(&m, 0x10000, 2 * PG, 1, 1, 0, NULL);
	mappings__map(&m, 0x12000, 2 * PG, 2, 2, 0, NULL);
	mappings__map(&m, 0x14000, 2 * PG, 3, 3, 0, NULL);
	/* from the middle of the first to the middle of the third */
	mappings__unmap(&m, 0x11000, 4 * PG);
	t = tally(&m);
	CHECK_EQ_U(t.allocs, 2);
	CHECK_EQ_U(t.stack_bytes[1], PG);
	CHECK_EQ_U(t.stack_bytes[2], 0);
	CHECK_EQ_U(t.stack_bytes[3], PG);
	CHECK_EQ_U(m.bytes, 2 * PG);
	mappings__clear(&m);
}

TEST(unaligned_lengths_round_to_pages)
{
	struct mappings m;

	mappings__init(&m, PG);
	mappings__map(&m, 0x10000, 100, 1, 1, 0, NULL);
	CHECK_EQ_U(m.bytes, PG);
	mappings__unmap(&m, 0x10000, 1);
	CHECK_EQ_U(m.bytes, 0);
	mappings__clear(&m);
}

TEST(map_fixed_over_existing_replaces)
{
	struct mappings m;
	struct tally t;

	mappings__init(&m, PG);
	mappings__map(&m, 0x10000, 4 * PG, 1, 1, 0, NULL);
	mappings__map(&m, 0x11000, 2 * PG, 2, 2, 0, NULL);	/* MAP_FIXED */
	t = tally(&m);
	CHECK_EQ_U(t.allocs, 2);
	CHECK_EQ_U(t.stack_bytes[1], 2 * PG);
	CHECK_EQ_U(t.stack_bytes[2], 2 * PG);
	CHECK_EQ_U(m.bytes, 4 * PG);
	mappings__clear(&m);
}

TEST(mremap_grow_in_place_is_new_allocation_of_grower)
{
	struct mappings m;
	struct tally t;

	mappings__init(&m, PG);
	mappings__map(&m, 0x10000, 2 * PG, 1, 1, 0, NULL);
	mappings__remap(&m, 0x10000, 2 * PG, 0x10000, 5 * PG, 0, 2, 2, 0);
	t = tally(&m);
	CHECK_EQ_U(t.stack_bytes[1], 2 * PG);
	CHECK_EQ_U(t.stack_bytes[2], 3 * PG);
	CHECK_EQ_U(m.bytes, 5 * PG);
	mappings__clear(&m);
}

TEST(mremap_shrink_releases_tail)
{
	struct mappings m;

	mappings__init(&m, PG);
	mappings__map(&m, 0x10000, 4 * PG, 1, 1, 0, NULL);
	mappings__remap(&m, 0x10000, 4 * PG, 0x10000, PG, 0, 2, 2, 0);
	CHECK_EQ_U(m.bytes, PG);
	CHECK_EQ_U(m.allocs, 1);
	mappings__unmap(&m, 0x11000, 3 * PG);	/* already gone: no change */
	CHECK_EQ_U(m.bytes, PG);
	mappings__clear(&m);
}

TEST(mremap_move_keeps_owner_and_frees_old_range)
{
	struct mappings m;
	struct tally t;

	mappings__init(&m, PG);
	mappings__map(&m, 0x10000, 2 * PG, 1, 1, 0, NULL);
	mappings__map(&m, 0x80000, 2 * PG, 3, 3, 0, NULL);	/* at destination */
	mappings__remap(&m, 0x10000, 2 * PG, 0x80000, 3 * PG, 0, 2, 2, 0);
	t = tally(&m);
	CHECK_EQ_U(t.allocs, 2);	/* moved one + growth; stack 3 replaced */
	CHECK_EQ_U(t.stack_bytes[1], 2 * PG);
	CHECK_EQ_U(t.stack_bytes[2], PG);
	CHECK_EQ_U(t.stack_bytes[3], 0);
	mappings__unmap(&m, 0x10000, 2 * PG);	/* old place is empty */
	CHECK_EQ_U(m.bytes, 3 * PG);
	mappings__unmap(&m, 0x80000, PG);	/* part of the moved one */
	t = tally(&m);
	CHECK_EQ_U(t.stack_bytes[1], PG);
	mappings__clear(&m);
}

TEST(mremap_dontunmap_keeps_old)
{
	struct mappings m;

	mappings__init(&m, PG);
	mappings__map(&m, 0x10000, 2 * PG, 1, 1, 0, NULL);
	mappings__remap(&m, 0x10000, 2 * PG, 0x40000, 2 * PG, 1, 2, 2, 0);
	CHECK_EQ_U(m.bytes, 4 * PG);
	CHECK_EQ_U(m.allocs, 2);
	mappings__clear(&m);
}

TEST(fork_copy_is_independent)
{
	struct mappings a, b;

	mappings__init(&a, PG);
	mappings__init(&b, PG);
	mappings__map(&a, 0x10000, 4 * PG, 1, 1, 0, NULL);
	mappings__unmap(&a, 0x11000, PG);
	mappings__copy(&b, &a);
	CHECK_EQ_U(b.bytes, 3 * PG);
	CHECK_EQ_U(b.allocs, 1);
	mappings__unmap(&b, 0x10000, 4 * PG);
	CHECK_EQ_U(b.bytes, 0);
	CHECK_EQ_U(a.bytes, 3 * PG);
	mappings__clear(&a);
	mappings__clear(&b);
}

TEST(many_ranges_stay_consistent)
{
	struct mappings m;
	uint64_t expect = 0;

	mappings__init(&m, PG);
	for (int i = 0; i < 20000; i++)
		mappings__map(&m, 0x100000 + (uint64_t)i * 2 * PG, PG, i % 7, i, 0, NULL);
	expect = 20000 * PG;
	CHECK_EQ_U(m.bytes, expect);
	/* remove every other one with one big munmap per pair window */
	for (int i = 0; i < 20000; i += 2)
		mappings__unmap(&m, 0x100000 + (uint64_t)i * 2 * PG, 2 * PG);
	CHECK_EQ_U(m.bytes, 10000 * PG);
	CHECK_EQ_U(m.allocs, 10000);
	mappings__unmap(&m, 0, 1ULL << 46);
	CHECK_EQ_U(m.bytes, 0);
	CHECK_EQ_U(m.ranges.count, 0);
	mappings__clear(&m);
}

TEST(brk_grow_and_shrink_latest_first)
{
	struct brkheap h;

	brkheap__init(&h, PG);
	brkheap__moved(&h, 0x500000, 0x502000, 1, 1);	/* +2 pages by 1 */
	brkheap__moved(&h, 0x502000, 0x505000, 2, 2);	/* +3 pages by 2 */
	CHECK_EQ_U(h.bytes, 5 * PG);
	CHECK_EQ_U(h.n, 2);
	brkheap__moved(&h, 0x505000, 0x503000, 3, 3);	/* shrink 2 pages */
	CHECK_EQ_U(h.bytes, 3 * PG);
	CHECK_EQ_U(h.n, 2);
	CHECK_EQ_U(h.segs[1].end - h.segs[1].start, PG);
	CHECK_EQ_U(h.segs[1].stack, 2);
	brkheap__moved(&h, 0x503000, 0x501000, 3, 3);	/* below segment 2 */
	CHECK_EQ_U(h.bytes, PG);
	CHECK_EQ_U(h.n, 1);
	CHECK_EQ_U(h.segs[0].stack, 1);
	brkheap__moved(&h, 0x501000, 0x400000, 4, 4);	/* below first seen */
	CHECK_EQ_U(h.bytes, 0);
	CHECK_EQ_U(h.n, 0);
	brkheap__clear(&h);
}

TEST(brk_counts_whole_pages)
{
	struct brkheap h;

	brkheap__init(&h, PG);
	brkheap__moved(&h, 0x500010, 0x500020, 1, 1);	/* same page */
	CHECK_EQ_U(h.bytes, 0);
	brkheap__moved(&h, 0x500020, 0x501001, 1, 1);	/* into next page */
	CHECK_EQ_U(h.bytes, PG);
	brkheap__moved(&h, 0, 0x503000, 2, 2);	/* unknown old: last seen */
	CHECK_EQ_U(h.bytes, 2 * PG);	/* heap end 0x501000 -> 0x503000 */
	brkheap__clear(&h);
}

TEST(brk_missed_shrink_is_corrected)
{
	struct brkheap h;

	brkheap__init(&h, PG);
	brkheap__moved(&h, 0x500000, 0x510000, 1, 1);
	/* an event lost: the kernel says the break was at 0x504000 */
	brkheap__moved(&h, 0x504000, 0x506000, 2, 2);
	CHECK_EQ_U(h.bytes, 6 * PG);
	CHECK_EQ_U(h.n, 2);
	brkheap__clear(&h);
}

TEST(fd_open_close_and_replace)
{
	struct fdtable t;

	fdtable__init(&t);
	fdtable__open(&t, 3, FD_FILE, "/etc/passwd", 1, 10);
	fdtable__open(&t, 100, FD_SOCKET, NULL, 2, 11);
	CHECK_EQ_U(t.count, 2);
	CHECK_EQ_I(fdtable__close(&t, 3), 1);
	CHECK_EQ_I(fdtable__close(&t, 3), 0);	/* double close: unknown */
	CHECK_EQ_I(fdtable__close(&t, 5000), 0);
	fdtable__open(&t, 100, FD_PIPE, NULL, 3, 12);	/* lost close */
	CHECK_EQ_U(t.count, 1);
	CHECK_EQ_U(fdtable__get(&t, 100)->kind, FD_PIPE);
	fdtable__clear(&t);
}

TEST(fd_close_range)
{
	struct fdtable t, u;

	fdtable__init(&t);
	fdtable__init(&u);
	for (int fd = 0; fd < 20; fd++)
		fdtable__open(&t, fd, FD_FILE, NULL, 1, 1);
	CHECK_EQ_U(fdtable__close_range(&t, 5, 9), 5);
	CHECK_EQ_U(fdtable__close_range(&t, 18, ~0U), 2);
	CHECK_EQ_U(t.count, 13);
	fdtable__copy(&u, &t);
	CHECK_EQ_U(u.count, 13);
	CHECK(fdtable__get(&u, 4) != NULL);
	CHECK(fdtable__get(&u, 5) == NULL);
	fdtable__clear(&t);
	fdtable__clear(&u);
}

TEST(fd_kinds_from_proc_links)
{
	CHECK_EQ_U(fd_kind_from_link("socket:[123]", 0), FD_SOCKET);
	CHECK_EQ_U(fd_kind_from_link("pipe:[9]", 0), FD_PIPE);
	CHECK_EQ_U(fd_kind_from_link("anon_inode:[eventfd]", 0), FD_EVENTFD);
	CHECK_EQ_U(fd_kind_from_link("anon_inode:[eventpoll]", 0), FD_EPOLL);
	CHECK_EQ_U(fd_kind_from_link("/memfd:x (deleted)", 0100000), FD_MEMFD);
	CHECK_EQ_U(fd_kind_from_link("/etc/passwd", 0100000), FD_FILE);
	CHECK_EQ_U(fd_kind_from_link("/tmp", 0040000), FD_DIR);
	CHECK_EQ_S(fd_kind_name(FD_EPOLL), "epoll");
}

TEST(adopt_fills_only_untracked_gaps)
{
	struct mappings m;
	struct tally t;

	mappings__init(&m, PG);
	mappings__map(&m, 0x11000, PG, 1, 1, 0, NULL);	/* seen since attach */
	mappings__map(&m, 0x13000, PG, 2, 1, 0, NULL);
	mappings__adopt(&m, 0x10000, 5 * PG, 9, 0, "[anonymous]");
	t = tally(&m);
	CHECK_EQ_U(m.bytes, 5 * PG);
	CHECK_EQ_U(t.allocs, 5);	/* 2 tracked + 3 gaps */
	CHECK_EQ_U(t.stack_bytes[1], PG);
	CHECK_EQ_U(t.stack_bytes[0], 3 * PG);	/* pre-existing: no stack */
	mappings__unmap(&m, 0x10000, 5 * PG);	/* never negative */
	CHECK_EQ_U(m.bytes, 0);
	CHECK_EQ_U(m.allocs, 0);
	mappings__clear(&m);
}

struct seen {
	uint64_t v[16][2];
	int n;
};

static void note_piece(void *ctx, void *owner, uint64_t start, uint64_t end)
{
	struct seen *s = ctx;

	(void)owner;
	if (s->n < 16) {
		s->v[s->n][0] = start;
		s->v[s->n][1] = end;
	}
	s->n++;
}

TEST(ranges_visit_span_sees_overlaps_only)
{
	struct mappings m;
	struct seen s = { .n = 0 };

	mappings__init(&m, PG);
	/* pages at 0, 2, 4, ... 14 (x PG) from 0x100000 */
	for (int i = 0; i < 8; i++)
		mappings__map(&m, 0x100000 + i * 2 * PG, PG, 1, 1, 0, NULL);
	ranges__visit_span(&m.ranges, 0x100000 + PG - 1, 0x100000 + 6 * PG + 1, note_piece, &s);
	CHECK_EQ_I(s.n, 4);	/* pages 0, 2, 4 and 6 */
	CHECK_EQ_U(s.v[0][0], 0x100000);
	CHECK_EQ_U(s.v[3][0], 0x100000 + 6 * PG);
	s.n = 0;
	ranges__visit_span(&m.ranges, 0x100000 + PG, 0x100000 + 2 * PG, note_piece, &s);
	CHECK_EQ_I(s.n, 0);	/* the gap between pages 0 and 2 */
	mappings__clear(&m);
}
