// SPDX-License-Identifier: MIT
/*
 * Benchmark workload: N iterations of one kind of syscall pair, timed,
 * after SIGUSR1 (so a tracer can attach first). Prints ns per iteration.
 *   syscall_loop KIND N [--wait]
 * KIND: open (open+close), mmap (mmap+munmap), socket (socket+close),
 *       getppid (a syscall no probe watches), brk (grow+shrink)
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t go;

static void on_usr1(int sig)
{
	(void)sig;
	go = 1;
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

__attribute__((noinline)) static void one(const char *kind)
{
	if (!strcmp(kind, "open")) {
		close(open("/dev/null", O_RDONLY));
	} else if (!strcmp(kind, "mmap")) {
		munmap(mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), 4096);
	} else if (!strcmp(kind, "socket")) {
		close(socket(AF_UNIX, SOCK_DGRAM, 0));
	} else if (!strcmp(kind, "brk")) {
		sbrk(4096);
		sbrk(-4096);
	} else {
		syscall(SYS_getppid);
	}
}

int main(int argc, char **argv)
{
	long n;
	double t;

	if (argc < 3) {
		fprintf(stderr, "usage: %s open|mmap|socket|brk|getppid N [--wait]\n", argv[0]);
		return 2;
	}
	n = atol(argv[2]);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 3 && !strcmp(argv[3], "--wait")) {
		sigset_t block, none;

		signal(SIGUSR1, on_usr1);
		sigemptyset(&block);
		sigaddset(&block, SIGUSR1);
		sigprocmask(SIG_BLOCK, &block, NULL);
		sigemptyset(&none);
		printf("ready %d\n", getpid());
		while (!go)
			sigsuspend(&none);
	}
	for (long i = 0; i < n / 10; i++)	/* warm up */
		one(argv[1]);
	t = now();
	for (long i = 0; i < n; i++)
		one(argv[1]);
	t = now() - t;
	printf("ns_per_iter %.1f\n", t / n * 1e9);
	return 0;
}
