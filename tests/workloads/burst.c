// SPDX-License-Identifier: MIT
/*
 * burst: far more records than a small ring buffer holds, for the
 * overflow tests. One thread per CPU, created at start and parked; on
 * each SIGUSR1 all of them open and close /dev/null and map and unmap a
 * page, ITERATIONS times each, then the program prints "burst done".
 * Every 1000th iteration keeps what it opened and mapped, so what stays
 * outstanding is known exactly (and /proc shows it). Between the signal
 * and "burst done" it makes no other syscall leakscope traces, so it can
 * say exactly how many records leakscope must have seen or counted lost:
 *   expect records N
 * SIGTERM ends it; with "once", one burst at start, then it exits.
 * Usage: burst ITERATIONS [once]
 */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define KEEP_EVERY 1000

static long iterations;
static pthread_barrier_t start, done;

static void *churn(void *arg)
{
	(void)arg;
	for (;;) {
		pthread_barrier_wait(&start);
		for (long i = 0; i < iterations; i++) {
			int fd = open("/dev/null", O_RDONLY);
			void *p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

			if (i % KEEP_EVERY == KEEP_EVERY - 1)
				continue;	/* kept: outstanding */
			if (fd >= 0)
				close(fd);
			if (p != MAP_FAILED)
				munmap(p, 4096);
		}
		pthread_barrier_wait(&done);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int threads = cpus < 1 ? 1 : cpus > 256 ? 256 : (int)cpus;
	long kept;
	sigset_t set;
	pthread_t t;
	int sig;

	iterations = argc > 1 ? atol(argv[1]) : 1000000;
	kept = iterations / KEEP_EVERY;
	setvbuf(stdout, NULL, _IOLBF, 0);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	pthread_barrier_init(&start, NULL, threads + 1);
	pthread_barrier_init(&done, NULL, threads + 1);
	for (int i = 0; i < threads; i++)
		pthread_create(&t, NULL, churn, NULL);
	/* open + mmap every iteration, close + munmap all but the kept */
	printf("ready %d threads\nexpect records %ld\nexpect kept %ld\n", threads,
	       threads * (2 * iterations + 2 * (iterations - kept)), threads * kept);
	if (argc > 2 && !strcmp(argv[2], "once"))
		raise(SIGUSR1);	/* blocked: pending for the first sigwait */
	while (!sigwait(&set, &sig) && sig == SIGUSR1) {
		pthread_barrier_wait(&start);
		pthread_barrier_wait(&done);
		printf("burst done\n");
		if (argc > 2 && !strcmp(argv[2], "once"))
			break;
	}
	return 0;
}
