// SPDX-License-Identifier: MIT
/*
 * The malloc family with exactly known outcomes, for the malloc kind.
 * Each function of the family is kept or freed in known numbers from a
 * site of its own (noinline, and never a tail call: each site touches
 * what it got, so its frame is still there when the allocator returns),
 * including the cases BCC's memleak gets wrong: realloc that fails (the
 * old block stays), realloc(p, 0), realloc(NULL, n), free(NULL), a
 * failed malloc, a block glibc serves with mmap (one block under malloc,
 * its mapping the allocator's), a thread allocating and another freeing.
 * Built -O2 -fomit-frame-pointer by tests/e2e/run.py (and statically, as
 * malloc_leaks_static).
 *
 *   malloc_leaks [--wait] [--hold] [--pre N] [--fx] [--fork] [--exec]
 *
 *   --wait    print "ready PID", start on SIGUSR1
 *   --hold    after leaking, stay until SIGTERM
 *   --pre N   allocate N blocks of 48 bytes before "ready" and free them
 *             after SIGUSR1 (blocks from before an attach)
 *   --fx      also use the fixture's own allocator, fx_malloc/fx_free
 *             (--malloc-prefix fx_), from a thread that exits inside
 *             fx_malloc and from one that does not
 *   --fork    then fork: the child prints "child PID", waits for SIGUSR2,
 *             frees 2 of the parent's malloc_site blocks, allocates at
 *             child_site, prints "child-expect" lines and "child-leaked"
 *   --exec    then exec itself with --after-exec: the new image holds
 *             nothing of the old; it allocates at after_exec_site on
 *             SIGUSR2 and prints "exec-expect" lines and "exec-leaked"
 *   --no-pvalloc  leave pvalloc out (valgrind aborts the program on it)
 *
 * Prints "expect SITE malloc COUNT BYTES" for what each site still holds,
 * "failed N" (allocations that returned NULL), then "leaked".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))

/* The failing calls are meant: quiet gcc's warnings about them. */
#pragma GCC diagnostic ignored "-Walloc-size-larger-than="
#pragma GCC diagnostic ignored "-Warray-bounds"
#pragma GCC diagnostic ignored "-Wstringop-overflow"

static volatile sig_atomic_t sig;
static void *volatile sink;

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

/* Touch a block so the call that made it is not the site's last act. */
static void *use(void *p)
{
	if (p)
		memset(p, 0x5a, 1);
	sink = p;
	return p;
}

static void expect(const char *site, unsigned long count, unsigned long bytes)
{
	printf("expect %s malloc %lu %lu\n", site, count, bytes);
}

NOINLINE void *malloc_site(size_t n) { return use(malloc(n)); }
NOINLINE void *calloc_site(size_t n, size_t size) { return use(calloc(n, size)); }
NOINLINE void *realloc_site(void *p, size_t n) { return use(realloc(p, n)); }
NOINLINE void *realloc_null_site(size_t n) { return use(realloc(NULL, n)); }
NOINLINE void *realloc_zero_site(void *p) { return use(realloc(p, 0)); }
NOINLINE void *realloc_fail_site(void *p) { return use(realloc(p, SIZE_MAX / 2)); }
NOINLINE void *reallocarray_site(size_t n, size_t size) { return use(reallocarray(NULL, n, size)); }
NOINLINE void *aligned_alloc_site(size_t align, size_t n) { return use(aligned_alloc(align, n)); }
NOINLINE void *memalign_site(size_t align, size_t n) { return use(memalign(align, n)); }
NOINLINE void *valloc_site(size_t n) { return use(valloc(n)); }
NOINLINE void *pvalloc_site(size_t n) { return use(pvalloc(n)); }
NOINLINE void *failed_malloc_site(void) { return use(malloc(SIZE_MAX - 4096)); }
NOINLINE void *big_site(size_t n) { return use(malloc(n)); }
NOINLINE void *thread_alloc_site(size_t n) { return use(malloc(n)); }
NOINLINE void *child_site(size_t n) { return use(malloc(n)); }
NOINLINE void *after_exec_site(size_t n) { return use(malloc(n)); }
NOINLINE void *pre_site(size_t n) { return use(malloc(n)); }

NOINLINE void *posix_memalign_site(size_t align, size_t n)
{
	void *p = NULL;

	if (posix_memalign(&p, align, n))
		return NULL;
	return use(p);
}

NOINLINE void free_null_site(void)
{
	free(NULL);
	sink = NULL;
}

/*
 * The fixture's own allocator (--malloc-prefix fx_): a bump allocator
 * over a static arena, so it calls nothing of libc's family. Asked for
 * FX_EXIT bytes, the calling thread exits inside it.
 */
#define FX_EXIT 0xdead
static char fx_arena[1 << 16] __attribute__((aligned(16)));
static size_t fx_used;
static pthread_mutex_t fx_lock = PTHREAD_MUTEX_INITIALIZER;

NOINLINE void fx_exit_thread(void)
{
	pthread_exit(NULL);
}

NOINLINE void *fx_malloc(size_t n)
{
	void *p = NULL;

	if (n == FX_EXIT)
		fx_exit_thread();
	pthread_mutex_lock(&fx_lock);
	if (fx_used + n <= sizeof(fx_arena)) {
		p = fx_arena + fx_used;
		fx_used += (n + 15) & ~(size_t)15;
	}
	pthread_mutex_unlock(&fx_lock);
	return p;
}

NOINLINE void fx_free(void *p)
{
	if (p)
		sink = p;	/* a bump allocator frees nothing */
}

NOINLINE void *fx_site(size_t n) { return use(fx_malloc(n)); }

static void *fx_thread_exits(void *arg)
{
	fx_site(16);		/* counted: 1 block */
	fx_site(FX_EXIT);	/* never returns */
	return arg;
}

static void *fx_thread_lives(void *arg)
{
	void *a = fx_site(32), *b = fx_site(32);

	fx_free(a);
	(void)b;		/* 1 block of 32 kept */
	return arg;
}

/* One thread allocates, the main thread frees some of it. The thread
 * then stays (glibc would free its per-thread cache at its exit: a block
 * malloc made for itself, never handed out). */
#define THREAD_BLOCKS 8
static void *thread_blocks[THREAD_BLOCKS];
static sem_t thread_done;

static void *allocating_thread(void *arg)
{
	for (int i = 0; i < THREAD_BLOCKS; i++)
		thread_blocks[i] = thread_alloc_site(200);
	sem_post(&thread_done);
	for (;;)
		pause();
	return arg;
}

static int failed, no_pvalloc;
static void *kept[4];	/* malloc_site's blocks, for the forked child */

static void leak_phase(int fx)
{
	pthread_t t;

	/* malloc: 6 made, 2 freed */
	for (int i = 0; i < 6; i++) {
		void *b = malloc_site(100);

		if (i < 4)
			kept[i] = b;
		else
			free(b);
	}
	for (int i = 0; i < 3; i++)
		calloc_site(10, 24);
	expect("calloc_site", 3, 720);
	/* realloc grows a block: it moves to realloc_site */
	for (int i = 0; i < 2; i++)
		realloc_site(malloc_site(50), 5000);
	expect("realloc_site", 2, 10000);
	for (int i = 0; i < 2; i++)
		realloc_null_site(77);
	expect("realloc_null_site", 2, 154);
	/* realloc(p, 0) frees p: nothing stays at either site */
	for (int i = 0; i < 2; i++)
		realloc_zero_site(malloc_site(60));
	expect("realloc_zero_site", 0, 0);
	/* a failed realloc leaves the old block where it was: malloc_site */
	for (int i = 0; i < 2; i++) {
		void *old = malloc_site(70);

		if (!realloc_fail_site(old))
			failed++;
	}
	expect("realloc_fail_site", 0, 0);
	reallocarray_site(8, 16);
	expect("reallocarray_site", 1, 128);
	for (int i = 0; i < 3; i++)
		posix_memalign_site(64, 200);
	expect("posix_memalign_site", 3, 600);
	for (int i = 0; i < 2; i++)
		aligned_alloc_site(64, 256);
	expect("aligned_alloc_site", 2, 512);
	memalign_site(32, 96);
	expect("memalign_site", 1, 96);
	valloc_site(1000);
	expect("valloc_site", 1, 1000);
	if (!no_pvalloc) {
		pvalloc_site(5000);	/* pvalloc rounds up to whole pages */
		expect("pvalloc_site", 1, 8192);
	}
	for (int i = 0; i < 3; i++)
		free_null_site();
	if (!failed_malloc_site())
		failed++;
	expect("failed_malloc_site", 0, 0);
	/* above glibc's mmap threshold: one block each under malloc, their
	 * mappings the allocator's */
	for (int i = 0; i < 2; i++)
		big_site(1 << 20);
	expect("big_site", 2, 2 << 20);
	/* malloc_site: its 4 blocks of 100 and the 2 whose realloc failed */
	expect("malloc_site", 6, 400 + 140);
	sem_init(&thread_done, 0, 0);
	pthread_create(&t, NULL, allocating_thread, NULL);
	while (sem_wait(&thread_done))
		;
	for (int i = 0; i < 3; i++)
		free(thread_blocks[i]);
	expect("thread_alloc_site", THREAD_BLOCKS - 3, (THREAD_BLOCKS - 3) * 200);
	if (fx) {
		pthread_create(&t, NULL, fx_thread_exits, NULL);
		pthread_join(t, NULL);
		pthread_create(&t, NULL, fx_thread_lives, NULL);
		pthread_join(t, NULL);
		fx_site(64);
		expect("fx_site", 3, 16 + 32 + 64);
	}
	printf("failed %d\n", failed);
}

static void after_exec(void)
{
	signal(SIGUSR2, on_signal);
	printf("exec-ready %d\n", (int)getpid());
	wait_for(SIGUSR2);
	for (int i = 0; i < 3; i++)
		after_exec_site(333);
	printf("exec-expect after_exec_site malloc 3 999\n");
	printf("exec-leaked\n");
	signal(SIGTERM, on_signal);
	wait_for(SIGTERM);
}

static void child(void)
{
	printf("child %d\n", (int)getpid());
	wait_for(SIGUSR2);
	free(kept[0]);	/* the parent's, inherited */
	free(kept[1]);
	for (int i = 0; i < 2; i++)
		child_site(123);
	printf("child-expect malloc_site malloc 4 340\n");
	printf("child-expect child_site malloc 2 246\n");
	printf("child-leaked\n");
	signal(SIGTERM, on_signal);
	wait_for(SIGTERM);
	_exit(0);
}

int main(int argc, char **argv)
{
	int wait = 0, hold = 0, fx = 0, do_fork = 0, do_exec = 0, npre = 0;
	void **pre = NULL;

	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGUSR1, on_signal);
	signal(SIGUSR2, on_signal);
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--wait"))
			wait = 1;
		else if (!strcmp(argv[i], "--hold"))
			hold = 1;
		else if (!strcmp(argv[i], "--fx"))
			fx = 1;
		else if (!strcmp(argv[i], "--fork"))
			do_fork = 1;
		else if (!strcmp(argv[i], "--exec"))
			do_exec = 1;
		else if (!strcmp(argv[i], "--no-pvalloc"))
			no_pvalloc = 1;
		else if (!strcmp(argv[i], "--after-exec")) {
			after_exec();
			return 0;
		} else if (!strcmp(argv[i], "--pre") && i + 1 < argc)
			npre = atoi(argv[++i]);
		else {
			fprintf(stderr, "usage: %s [--wait] [--hold] [--pre N] [--fx] [--fork] "
				"[--exec] [--no-pvalloc]\n", argv[0]);
			return 2;
		}
	}
	if (npre) {
		pre = calloc(npre, sizeof(*pre));
		for (int i = 0; i < npre; i++)
			pre[i] = pre_site(48);
	}
	if (wait) {
		printf("ready %d\n", (int)getpid());
		wait_for(SIGUSR1);
	}
	for (int i = 0; i < npre; i++)
		free(pre[i]);
	leak_phase(fx);
	if (do_fork) {
		pid_t c;

		fflush(stdout);
		c = fork();
		if (c == 0)
			child();
	}
	printf("leaked\n");
	if (do_exec) {
		char self[64];

		snprintf(self, sizeof(self), "/proc/%d/exe", (int)getpid());
		execl(self, argv[0], "--after-exec", (char *)NULL);
		perror("exec");
		return 1;
	}
	if (hold) {
		signal(SIGTERM, on_signal);
		wait_for(SIGTERM);
	}
	return 0;
}
