// SPDX-License-Identifier: MIT
/*
 * Memory whose use and whose growth over time are known, from functions
 * with recognizable names (built -O2 -fomit-frame-pointer by the tests).
 *
 * Usage: memory_shapes split     print "ready PID", wait for SIGUSR1, map:
 *          reserve_site        64 MiB PROT_NONE (reserved, never usable)
 *          untouched_site       8 MiB read-write, never touched
 *          touched_site         4 MiB read-write, 1 MiB of it written
 *          noreserve_site       4 MiB read-write MAP_NORESERVE, 64 KiB written
 *          left_half_site,      two 1 MiB read-write mappings side by side:
 *          right_half_site      the kernel merges them into one mapping;
 *                               400 and 200 KiB written
 *          file_site            this program's own file, mapped read-only,
 *                               its first page read
 *        printing "site NAME START LEN" for each, then "leaked"; waits
 *        for SIGTERM.
 *        memory_shapes shapes SECONDS
 *        for SECONDS, four call sites whose mapped bytes take the shapes
 *        a leak verdict must tell apart (64 KiB mappings, every 250 ms):
 *          steady_site     one more every tick: a leak
 *          plateau_site    one more every tick for the first 1.5 s, then
 *                          none: a cache that filled
 *          step_site       one mapping at start, one of 4 MiB a second
 *                          before the end, nothing else: one step
 *          sawtooth_site   one more every tick, all unmapped every 2.5 s
 *        then exits.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>

/* noipa: no merging of identical sites, no renamed clones */
#define NOINLINE __attribute__((noinline, noipa))
#define KIB 1024UL
#define MIB (1024 * KIB)

static void *must(void *p, const char *what)
{
	if (p == MAP_FAILED) {
		perror(what);
		exit(1);
	}
	return p;
}

static void site(const char *name, void *p, size_t len)
{
	printf("site %s %p %zu\n", name, p, len);
}

static void touch(char *p, size_t len)
{
	for (size_t i = 0; i < len; i += 4096)
		p[i] = 1;
}

NOINLINE static void reserve_site(void)
{
	void *p = must(mmap(NULL, 64 * MIB, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
		       "reserve");

	site("reserve_site", p, 64 * MIB);
}

NOINLINE static void untouched_site(void)
{
	void *p = must(mmap(NULL, 8 * MIB, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), "untouched");

	site("untouched_site", p, 8 * MIB);
}

NOINLINE static void touched_site(void)
{
	char *p = must(mmap(NULL, 4 * MIB, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), "touched");

	touch(p, 1 * MIB);
	site("touched_site", p, 4 * MIB);
}

NOINLINE static void noreserve_site(void)
{
	char *p = must(mmap(NULL, 4 * MIB, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0), "noreserve");

	touch(p, 64 * KIB);
	site("noreserve_site", p, 4 * MIB);
}

/* Into a hole kept free by a reservation, so the two halves are
 * neighbours with the same protection: one kernel mapping. */
NOINLINE static void left_half_site(char *at)
{
	char *p = must(mmap(at, 1 * MIB, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0), "left");

	touch(p, 400 * KIB);
	site("left_half_site", p, 1 * MIB);
}

NOINLINE static void right_half_site(char *at)
{
	char *p = must(mmap(at, 1 * MIB, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0), "right");

	touch(p, 200 * KIB);
	site("right_half_site", p, 1 * MIB);
}

NOINLINE static void file_site(const char *self)
{
	int fd = open(self, O_RDONLY);
	off_t len = lseek(fd, 0, SEEK_END);
	void *p = must(mmap(NULL, (size_t)len, PROT_READ, MAP_PRIVATE, fd, 0), "file");

	close(fd);
	(void)*(volatile char *)p;	/* one page read in */
	site("file_site", p, ((size_t)len + 4095) & ~4095UL);
}

static void wait_for(int sig)
{
	sigset_t set;
	int got;

	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_BLOCK, &set, NULL);
	sigwait(&set, &got);
}

static int split(void)
{
	char *hole;

	printf("ready %d\n", getpid());
	fflush(stdout);
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	wait_for(SIGUSR1);
	reserve_site();
	untouched_site();
	touched_site();
	noreserve_site();
	/* a hole with guard pages around it: PROT_NONE on either side */
	hole = must(mmap(NULL, 4 * MIB, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), "hole");
	left_half_site(hole + MIB);
	right_half_site(hole + 2 * MIB);
	file_site("/proc/self/exe");
	printf("leaked\n");
	fflush(stdout);
	wait_for(SIGTERM);
	return 0;
}

#define TICK_MS 250
#define MAX_TICKS 4096

static void *map64(void)
{
	return must(mmap(NULL, 64 * KIB, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), "map");
}

NOINLINE static void steady_site(void)
{
	map64();
}

NOINLINE static void plateau_site(void)
{
	map64();
}

NOINLINE static void *step_site(size_t len)
{
	return must(mmap(NULL, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), "step");
}

static void *saw[MAX_TICKS];
static int nsaw;

NOINLINE static void sawtooth_site(void)
{
	saw[nsaw++] = map64();
}

static void sawtooth_drop(void)
{
	while (nsaw)
		munmap(saw[--nsaw], 64 * KIB);
}

static int shapes(double seconds)
{
	int ticks = (int)(seconds * 1000 / TICK_MS);
	struct timespec tick = { 0, TICK_MS * 1000000L };

	if (ticks > MAX_TICKS)
		ticks = MAX_TICKS;
	for (int t = 0; t < ticks; t++) {
		steady_site();
		if (t * TICK_MS < 1500)
			plateau_site();
		/* one call site for both: the same stack */
		if (t == 0 || t == ticks - 1000 / TICK_MS)
			step_site(t ? 4 * MIB : 64 * KIB);
		if (t && t % (2500 / TICK_MS) == 0)
			sawtooth_drop();
		sawtooth_site();
		nanosleep(&tick, NULL);
	}
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 2 && !strcmp(argv[1], "split"))
		return split();
	if (argc >= 3 && !strcmp(argv[1], "shapes"))
		return shapes(atof(argv[2]));
	fprintf(stderr, "usage: memory_shapes split | shapes SECONDS\n");
	return 2;
}
