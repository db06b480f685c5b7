// SPDX-License-Identifier: MIT
/*
 * The goroutine ledger (src/ledgers/goroutines.c): exited creators kept
 * while something they created lives, and dropped with their last
 * descendant; walks of the runtime's list marking what they saw. The
 * batched reads of one field of many objects (base/procmem.c), in this
 * very process. And the
 * report's rule for "standard library or runtime" (report/
 * goroutine_groups.c), against Go's own convention for import paths: a
 * standard-library path has no dot in its first element.
 */
#include "check.h"
#include "base/procmem.h"
#include "ledgers/goroutines.h"

#include <sys/mman.h>
#include <unistd.h>
#include "report/goroutine_groups.h"

static struct goroutine *add(struct goroutines *g, uint64_t goid, uint64_t parent)
{
	struct goroutine *gr = goroutines__add(g, goid, 0x1000 * goid, (uint32_t)goid, goid);

	if (gr)
		goroutines__set_parent(g, gr, parent);
	return gr;
}

TEST(exited_creators_stay_while_descendants_live)
{
	struct goroutines g;
	const struct goroutine *p;

	goroutines__init(&g);
	add(&g, 1, 0);
	add(&g, 2, 1);		/* main made 2, 2 made 3, 3 made 4 and 5 */
	add(&g, 3, 2);
	add(&g, 4, 3);
	add(&g, 5, 3);
	CHECK_EQ_I(goroutines__exit(&g, 2), 1);
	CHECK_EQ_I(goroutines__exit(&g, 3), 1);
	CHECK_EQ_U(goroutines__count(&g), 3);
	CHECK_EQ_U(goroutines__ancestors(&g), 2);	/* 2 and 3, gone */
	p = goroutines__parent(&g, goroutines__get(&g, 4));
	CHECK(p && p->goid == 3 && p->gone);
	p = p ? goroutines__parent(&g, p) : NULL;
	CHECK(p && p->goid == 2 && p->gone && p->stack == 2);
	p = p ? goroutines__parent(&g, p) : NULL;
	CHECK(p && p->goid == 1 && !p->gone);
	CHECK_EQ_I(goroutines__exit(&g, 4), 1);
	CHECK_EQ_U(goroutines__ancestors(&g), 2);	/* 5 still needs them */
	CHECK_EQ_I(goroutines__exit(&g, 5), 1);
	CHECK_EQ_U(goroutines__ancestors(&g), 0);	/* the chain goes with 5 */
	CHECK_EQ_U(goroutines__count(&g), 1);
	CHECK_EQ_U(g.exited, 4);
	CHECK_EQ_I(goroutines__exit(&g, 2), 0);	/* gone for good */
	CHECK_EQ_U(g.unknown_exits, 1);
	goroutines__clear(&g);
}

TEST(unknown_parent_keeps_nothing)
{
	struct goroutines g;
	struct goroutine *gr;

	goroutines__init(&g);
	gr = add(&g, 7, 6);	/* 6 was never seen */
	CHECK(gr && gr->parent_goid == 0);
	CHECK(gr && goroutines__parent(&g, gr) == NULL);
	CHECK_EQ_I(goroutines__exit(&g, 7), 1);
	CHECK_EQ_U(goroutines__ancestors(&g), 0);
	goroutines__clear(&g);
}

TEST(lost_exit_replaced_record_keeps_its_children)
{
	struct goroutines g;
	struct goroutine *gr;

	goroutines__init(&g);
	add(&g, 1, 0);
	add(&g, 2, 1);
	add(&g, 3, 2);
	gr = goroutines__add(&g, 2, 0x9000, 22, 99);	/* 2's record again */
	CHECK(gr && gr->children == 1 && gr->parent_goid == 0 && gr->stack == 22);
	CHECK_EQ_I(goroutines__exit(&g, 2), 1);
	CHECK_EQ_U(goroutines__ancestors(&g), 1);	/* 3 still lives */
	CHECK_EQ_I(goroutines__exit(&g, 3), 1);
	CHECK_EQ_U(goroutines__ancestors(&g), 0);
	CHECK_EQ_I(goroutines__get(&g, 1)->children, 0);	/* 2 let go of 1 */
	goroutines__clear(&g);
}

TEST(sweep_exits_what_a_walk_did_not_see)
{
	struct goroutines g;

	goroutines__init(&g);
	for (uint64_t id = 1; id <= 10; id++)
		add(&g, id, id > 1 ? 1 : 0)->seen = id % 2 ? 7 : 6;
	CHECK_EQ_U(goroutines__sweep(&g, 7), 5);	/* 2, 4, 6, 8, 10 */
	CHECK_EQ_U(goroutines__count(&g), 5);
	CHECK(goroutines__get(&g, 3) && !goroutines__get(&g, 4));
	CHECK_EQ_U(g.exited, 5);
	goroutines__clear(&g);
}

TEST(std_functions_by_import_path)
{
	static const struct { const char *name; bool std; } cases[] = {
		{ "runtime.gopark", true },
		{ "net/http.(*persistConn).readLoop", true },
		{ "net/http.(*Transport).dialConn.func5", true },
		{ "internal/poll.(*FD).Read", true },
		{ "vendor/golang.org/x/net/http2/hpack.(*Decoder).Write", true },
		{ "sync.(*Mutex).Lock", true },
		{ "crypto/tls.(*Conn).Read", true },
		{ "main.main", false },
		{ "main.leakA", false },
		{ "main.(*server).run.func1", false },
		{ "github.com/prometheus/prometheus/web.(*Handler).Run", false },
		{ "golang.org/x/net/http2.(*ClientConn).readLoop", false },
		{ "go.opencensus.io/stats/view.(*worker).start", false },
		{ "example.com/m.F[...]", false },
		{ "sort.Slice[go.shape.string]", true },
		{ "/usr/bin/app+0x1234", false },
		{ "[unknown 0x1234]", false },
		{ "__libc_start_main", false },
		{ NULL, false },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (goroutine_groups__std_function(cases[i].name) != cases[i].std) {
			fprintf(stderr, "  %s: expected %s\n", cases[i].name ? cases[i].name : "NULL",
				cases[i].std ? "std" : "not std");
			CHECK(!"classified as Go's import paths say");
		}
}

/* Objects 416 bytes apart (a Go 1.19 g), others far away, one unmapped:
 * each field read is the object's own, and the unmapped one fails alone. */
TEST(read_fields_of_neighbours_and_strangers)
{
	enum { N = 2000, SIZE = 416 };
	uint8_t *arena = malloc((size_t)N * SIZE);
	uint8_t *far = mmap(NULL, 3 * 65536, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t addrs[N + 3], out[N + 3];
	uint8_t ok[N + 3];

	for (size_t i = 0; i < N; i++) {
		uint64_t v = i * 7 + 1;

		memcpy(arena + i * SIZE + 152, &v, 8);
		addrs[i] = (uint64_t)(uintptr_t)(arena + i * SIZE);
	}
	for (int k = 0; k < 3; k++) {
		uint64_t v = 1000000 + k;

		memcpy(far + k * 65536 + 152, &v, 8);
		addrs[N + k] = (uint64_t)(uintptr_t)(far + k * 65536);
	}
	munmap(far + 65536, 65536);	/* the middle one is gone */
	/* out of order at the end: a range never runs backwards */
	addrs[N - 1] = (uint64_t)(uintptr_t)arena;
	CHECK_EQ_U(procmem__read_fields(getpid(), addrs, N + 3, 152, 8, (uint8_t *)out, ok),
		   N + 2);
	for (size_t i = 0; i < N - 1; i++)
		if (!ok[i] || out[i] != i * 7 + 1) {
			fprintf(stderr, "  object %zu: ok %d, %" PRIu64 "\n", i, ok[i], out[i]);
			CHECK(!"field of a neighbour");
			break;
		}
	CHECK(ok[N - 1] && out[N - 1] == 1);
	CHECK(ok[N] && out[N] == 1000000);
	CHECK(!ok[N + 1]);
	CHECK(ok[N + 2] && out[N + 2] == 1000002);
	munmap(far, 65536);
	munmap(far + 2 * 65536, 65536);
	free(arena);
}
