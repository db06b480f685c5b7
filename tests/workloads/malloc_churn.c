// SPDX-License-Identifier: MIT
/*
 * Heap churn with a known leak, for sampling and cost measurements.
 *
 *   malloc_churn MIB BLOCK [--wait]
 *       leaks MIB MiB in BLOCK-byte blocks at leak_site, with ten
 *       malloc+free pairs at churn_site per leaked block; prints
 *       "calls N" (malloc and free calls made) and "leaked", exits; with
 *       --wait, prints "ready PID" first, starts on SIGUSR1 and stays
 *       after leaking until SIGTERM
 *   malloc_churn --rate BYTES_PER_S --seconds S
 *       leaks at that rate (4 KiB blocks, spread over each second) for S
 *       seconds, with churn beside; prints "leaked" at the end, then
 *       stays until SIGTERM
 *   malloc_churn --loop N [--size B] [--wait]
 *       N malloc(B)+free pairs (B default 64); with --wait prints
 *       "ready PID" and starts on SIGUSR1; prints "ns_per_iter X"
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))

static void *volatile sink;
static volatile sig_atomic_t sig;
static unsigned long calls;

static void on_signal(int s)
{
	sig = s;
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

NOINLINE void *leak_site(size_t n)
{
	void *p = malloc(n);

	calls++;
	if (p)
		memset(p, 1, 1);
	return sink = p;
}

NOINLINE void churn_site(size_t n)
{
	for (int i = 0; i < 10; i++) {
		void *p = malloc(n);

		sink = p;
		free(p);
		calls += 2;
	}
}

NOINLINE void loop_site(long n, size_t size)
{
	for (long i = 0; i < n; i++) {
		void *p = malloc(size);

		sink = p;
		free(p);
	}
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGUSR1, on_signal);
	signal(SIGTERM, on_signal);
	if (argc >= 3 && !strcmp(argv[1], "--loop")) {
		long n = atol(argv[2]);
		size_t size = 64;
		double t0;

		for (int i = 3; i < argc; i++) {
			if (!strcmp(argv[i], "--size") && i + 1 < argc)
				size = (size_t)atol(argv[++i]);
			else if (!strcmp(argv[i], "--wait")) {
				printf("ready %d\n", (int)getpid());
				while (sig != SIGUSR1)
					pause();
			}
		}
		loop_site(n / 10, size);	/* warm: the allocator's caches */
		t0 = now_s();
		loop_site(n, size);
		printf("ns_per_iter %.2f\n", (now_s() - t0) * 1e9 / n);
		return 0;
	}
	if (argc == 5 && !strcmp(argv[1], "--rate") && !strcmp(argv[3], "--seconds")) {
		double rate = atof(argv[2]), seconds = atof(argv[4]), t0 = now_s(), done = 0;

		while (now_s() - t0 < seconds) {
			while (done < rate * (now_s() - t0)) {
				leak_site(4096);
				churn_site(256);
				done += 4096;
			}
			usleep(10000);
		}
		printf("leaked\n");
		while (sig != SIGTERM)
			pause();
		return 0;
	}
	if (argc == 3 || (argc == 4 && !strcmp(argv[3], "--wait"))) {
		unsigned long total = strtoul(argv[1], NULL, 10) << 20;
		size_t block = strtoul(argv[2], NULL, 10);

		if (argc == 4) {
			printf("ready %d\n", (int)getpid());
			while (sig != SIGUSR1)
				pause();
		}
		for (unsigned long done = 0; block && done < total; done += block) {
			leak_site(block);
			churn_site(block);
		}
		printf("calls %lu\n", calls);
		printf("leaked\n");
		while (argc == 4 && sig != SIGTERM)
			pause();
		return 0;
	}
	fprintf(stderr, "usage: %s MIB BLOCK [--wait] | --rate BYTES_PER_S --seconds S | "
		"--loop N [--size B] [--wait]\n", argv[0]);
	return 2;
}
