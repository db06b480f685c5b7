// SPDX-License-Identifier: MIT
/*
 * C++ heap leaks with exactly known blocks, for the malloc kind: operator
 * new/delete (plain, array, sized, aligned, nothrow), std::vector growth
 * (every reallocation frees the old buffer: only the last one stays), a
 * leaked std::string, and an operator new that fails (std::bad_alloc
 * thrown out of the allocator and caught). Built three times by tests/e2e/run.py: with glibc's
 * malloc (libstdc++'s operator new calls malloc), and linked against
 * jemalloc and tcmalloc (their own operator new and delete).
 *
 *   cxx_heap [--wait]   --wait: print "ready PID", leak on SIGUSR1
 *
 * Prints "expect SITE malloc COUNT BYTES" per site, then "leaked", and
 * stays until SIGTERM (with --wait) or exits.
 */
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <unistd.h>
#include <vector>

namespace leaky {

struct Node {
	long payload[5];	// 40 bytes
	Node *next;		// 48 bytes in all
};

static void *volatile sink;	// keeps every call from being optimized out

/* new and delete: 6 nodes made, 2 deleted (sized delete, C++14+) */
__attribute__((noinline)) void new_site()
{
	Node *kept[6];

	for (int i = 0; i < 6; i++) {
		kept[i] = new Node();
		sink = kept[i];
	}
	delete kept[0];
	delete kept[1];
}

/* new[]: 3 arrays of 25 ints, 1 deleted with delete[] */
__attribute__((noinline)) void array_site()
{
	int *a[3];

	for (int i = 0; i < 3; i++) {
		a[i] = new int[25];
		sink = a[i];
	}
	delete[] a[2];
}

/* aligned new (alignas above the default) and nothrow new */
struct alignas(64) Line {
	char bytes[64];
};

__attribute__((noinline)) void aligned_site()
{
	for (int i = 0; i < 2; i++)
		sink = new Line();
}

__attribute__((noinline)) void nothrow_site()
{
	for (int i = 0; i < 3; i++)
		sink = new (std::nothrow) Node();
}

/* A vector that grows by doubling from 1 to 16 ints (capacities 1, 2,
 * 4, 8, 16): each growth frees the old buffer, so its buffer of 16 ints
 * and the vector object itself stay. */
__attribute__((noinline)) void vector_site()
{
	auto *v = new std::vector<int>();

	for (int i = 0; i < 16; i++)
		v->push_back(i);
	sink = v;
}

/* A heap string longer than the small-string buffer: the string object
 * and its buffer of 100 characters plus the terminator. */
__attribute__((noinline)) void string_site()
{
	sink = new std::string(100, 'x');
}

/* operator new that fails: std::bad_alloc is thrown out of the
 * allocator (through its probed frame) and caught here. */
__attribute__((noinline)) bool bad_alloc_site()
{
	try {
		sink = ::operator new(size_t(1) << 62);
	} catch (const std::bad_alloc &) {
		return true;
	}
	return false;
}

} // namespace leaky

static volatile sig_atomic_t go;

static void on_signal(int sig)
{
	go = sig;
}

int main(int argc, char **argv)
{
	bool wait = argc > 1 && !strcmp(argv[1], "--wait");

	setvbuf(stdout, nullptr, _IOLBF, 0);
	if (wait) {
		signal(SIGUSR1, on_signal);
		std::printf("ready %d\n", (int)getpid());
		while (!go)
			pause();
	}
	leaky::new_site();
	leaky::array_site();
	leaky::aligned_site();
	leaky::nothrow_site();
	leaky::vector_site();
	leaky::string_site();
	if (!leaky::bad_alloc_site())
		return 1;
	std::printf("expect leaky::new_site() malloc 4 %zu\n", 4 * sizeof(leaky::Node));
	std::printf("expect leaky::array_site() malloc 2 %zu\n", 2 * 25 * sizeof(int));
	std::printf("expect leaky::aligned_site() malloc 2 %zu\n", 2 * sizeof(leaky::Line));
	std::printf("expect leaky::nothrow_site() malloc 3 %zu\n", 3 * sizeof(leaky::Node));
	std::printf("expect leaky::vector_site() malloc 2 %zu\n",
		    sizeof(std::vector<int>) + 16 * sizeof(int));
	std::printf("expect leaky::string_site() malloc 2 %zu\n", sizeof(std::string) + 101);
	std::printf("leaked\n");
	if (wait) {
		signal(SIGTERM, on_signal);
		go = 0;
		while (!go)
			pause();
	}
	return 0;
}
