// SPDX-License-Identifier: MIT
/* The hash map, stack interning and /proc/PID/maps parsing. */
#include "check.h"
#include <errno.h>
#include "symbols/addrspace.h"
#include "base/hashmap.h"
#include "symbols/modules.h"
#include "base/procmaps.h"
#include "symbols/stacks.h"
#include "base/util.h"

TEST(hashmap_insert_delete_churn)
{
	struct u64map *m = u64map__new(0);
	uint64_t v;

	for (uint64_t i = 0; i < 100000; i++)
		CHECK(u64map__put(m, i * 7919, i));
	CHECK_EQ_U(u64map__len(m), 100000);
	for (uint64_t i = 0; i < 100000; i += 2)
		CHECK(u64map__del(m, i * 7919, NULL));
	CHECK_EQ_U(u64map__len(m), 50000);
	for (uint64_t i = 0; i < 100000; i++) {
		bool found = u64map__get(m, i * 7919, &v);

		if (found != (i % 2 == 1) || (found && v != i)) {
			CHECK(!"lookup after deletes wrong");
			break;
		}
	}
	CHECK(!u64map__put(m, 1 * 7919, 42));	/* replace, not new */
	CHECK(u64map__get(m, 7919, &v) && v == 42);
	for (uint64_t i = 1; i < 100000; i += 2)
		u64map__del(m, i * 7919, NULL);
	CHECK_EQ_U(u64map__len(m), 0);
	CHECK(u64map__bytes(m) < 64 * 1024);	/* shrank after churn */
	u64map__free(m);
}

TEST(hashmap_iterates_every_entry_once)
{
	struct u64map *m = u64map__new(0);
	uint64_t k, v, sum = 0, n = 0;
	size_t it = 0;

	for (uint64_t i = 1; i <= 1000; i++)
		u64map__put(m, i, i);
	while (u64map__next(m, &it, &k, &v)) {
		sum += v;
		n++;
	}
	CHECK_EQ_U(n, 1000);
	CHECK_EQ_U(sum, 500500);
	u64map__free(m);
}

TEST(stacks_intern_dedups_and_keeps_flags_apart)
{
	struct stacks *st = stacks__new();
	uint64_t a[] = { 1, 2, 3 }, b[] = { 1, 2, 4 };
	uint32_t n, fl;
	uint32_t ia = stacks__intern(st, a, 3, 0);
	uint32_t ia2 = stacks__intern(st, a, 3, 0);
	uint32_t ib = stacks__intern(st, b, 3, 0);
	uint32_t iat = stacks__intern(st, a, 3, STACK_TRUNCATED);
	const uint64_t *f;

	CHECK(ia != STACK_NONE);
	CHECK_EQ_U(ia, ia2);
	CHECK(ia != ib);
	CHECK(ia != iat);
	f = stacks__frames(st, ib, &n, &fl);
	CHECK_EQ_U(n, 3);
	CHECK_EQ_U(f[2], 4);
	CHECK_EQ_U(stacks__intern(st, a, 0, 0), STACK_NONE);
	stacks__free(st);
}

TEST(procmaps_parses_real_lines)
{
	const char *text =
		"55d1c8a00000-55d1c8a02000 r--p 00000000 fe:01 1312                       /usr/bin/cat\n"
		"55d1c8a02000-55d1c8a07000 r-xp 00002000 fe:01 1312                       /usr/bin/cat\n"
		"7ffd5a1f0000-7ffd5a211000 rw-p 00000000 00:00 0                          [stack]\n"
		"7f0000000000-7f0000001000 rw-p 00000000 00:00 0 \n"
		"7ffd5a3f2000-7ffd5a3f4000 r-xp 00000000 00:00 0                          [vdso]\n";
	struct procmap *m;
	size_t n, bad = 0;

	CHECK_EQ_I(procmaps__parse(text, &m, &n, &bad), 0);
	CHECK_EQ_U(n, 5);
	CHECK_EQ_U(m[1].start, 0x55d1c8a02000ULL);
	CHECK_EQ_U(m[1].pgoff, 0x2000);
	CHECK_EQ_U(m[1].dev_major, 0xfe);
	CHECK_EQ_U(m[1].inode, 1312);
	CHECK_EQ_S(m[1].perms, "r-xp");
	CHECK_EQ_S(m[1].path, "/usr/bin/cat");
	CHECK_EQ_S(m[2].path, "[stack]");
	CHECK_EQ_S(m[3].path, "");
	procmaps__free(m, n);
}

TEST(procmaps_rejects_garbage_with_line)
{
	struct procmap *m = NULL;
	size_t n, bad = 0;

	CHECK_EQ_I(procmaps__parse("00400000-00401000 r-xp 0 08:01 1 /a\nnot a line\n",
				   &m, &n, &bad), -EINVAL);
	CHECK_EQ_U(bad, 2);
	CHECK_EQ_I(procmaps__parse("00401000-00400000 r-xp 0 08:01 1 /a\n", &m, &n, &bad),
		   -EINVAL);
}

TEST(addrspace_resolves_and_replaces_overlaps)
{
	struct addrspace as;
	uint32_t mod;
	uint64_t off;

	addrspace__init(&as, NULL);	/* ids only: no registry needed */
	addrspace__add(&as, 0x1000, 0x5000, 0x0, 7);
	addrspace__add(&as, 0x8000, 0x9000, 0x2000, 8);
	CHECK(addrspace__resolve(&as, 0x1234, &mod, &off));
	CHECK_EQ_U(mod, 7);
	CHECK_EQ_U(off, 0x234);
	CHECK(!addrspace__resolve(&as, 0x6000, &mod, &off));
	CHECK(addrspace__resolve(&as, 0x8010, &mod, &off));
	CHECK_EQ_U(off, 0x2010);
	/* a new mapping in the middle of the first splits it */
	addrspace__add(&as, 0x2000, 0x3000, 0x100000, 9);
	CHECK(addrspace__resolve(&as, 0x2800, &mod, &off));
	CHECK_EQ_U(mod, 9);
	CHECK_EQ_U(off, 0x100800);
	CHECK(addrspace__resolve(&as, 0x3800, &mod, &off));
	CHECK_EQ_U(mod, 7);
	CHECK_EQ_U(off, 0x2800);
	CHECK(addrspace__resolve(&as, 0x1800, &mod, &off));
	CHECK_EQ_U(mod, 7);
	CHECK_EQ_U(as.n, 4);
	addrspace__clear(&as);
}
