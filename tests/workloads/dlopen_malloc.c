// SPDX-License-Identifier: MIT
/*
 * An allocator loaded with dlopen after leakscope attached: mimalloc
 * (Debian's libmimalloc2.0), called through its standard names and its
 * own (mi_malloc, with --malloc-prefix mi_), from sites of our own.
 *
 *   dlopen_malloc   prints "ready PID"; on SIGUSR1 dlopens mimalloc and
 *                   prints "loaded"; on SIGUSR2 allocates, prints
 *                   "expect SITE malloc COUNT BYTES" lines and "leaked",
 *                   then stays until SIGTERM
 */
#include <dlfcn.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))

static volatile sig_atomic_t sig;
static void *volatile sink;
static void *(*mi_std_malloc)(size_t);
static void (*mi_std_free)(void *);
static void *(*mi_own_malloc)(size_t);
static void *(*mi_own_calloc)(size_t, size_t);

static void on_signal(int s)
{
	sig = s;
}

static void wait_for(int s)
{
	while (sig != s)
		pause();
	sig = 0;
}

static void *use(void *p)
{
	if (p)
		memset(p, 0x5a, 1);
	sink = p;
	return p;
}

NOINLINE void *mimalloc_site(size_t n) { return use(mi_std_malloc(n)); }
NOINLINE void *mi_prefix_site(size_t n) { return use(mi_own_malloc(n)); }
NOINLINE void *mi_calloc_site(size_t n, size_t size) { return use(mi_own_calloc(n, size)); }

int main(void)
{
	void *h, *p[4];

	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGUSR1, on_signal);
	signal(SIGUSR2, on_signal);
	signal(SIGTERM, on_signal);
	printf("ready %d\n", (int)getpid());
	wait_for(SIGUSR1);
	h = dlopen("libmimalloc.so.2", RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		printf("error %s\n", dlerror());
		return 1;
	}
	mi_std_malloc = (void *(*)(size_t))dlsym(h, "malloc");
	mi_std_free = (void (*)(void *))dlsym(h, "free");
	mi_own_malloc = (void *(*)(size_t))dlsym(h, "mi_malloc");
	mi_own_calloc = (void *(*)(size_t, size_t))dlsym(h, "mi_calloc");
	if (!mi_std_malloc || !mi_std_free || !mi_own_malloc || !mi_own_calloc) {
		printf("error missing symbols\n");
		return 1;
	}
	printf("loaded\n");
	wait_for(SIGUSR2);
	for (int i = 0; i < 4; i++)
		p[i] = mimalloc_site(300);
	mi_std_free(p[0]);
	for (int i = 0; i < 2; i++)
		mi_prefix_site(40);
	mi_calloc_site(6, 8);
	printf("expect mimalloc_site malloc 3 900\n");
	printf("expect mi_prefix_site malloc 2 80\n");
	printf("expect mi_calloc_site malloc 1 48\n");
	printf("leaked\n");
	wait_for(SIGTERM);
	return 0;
}
