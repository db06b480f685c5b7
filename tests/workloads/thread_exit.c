// SPDX-License-Identifier: MIT
/*
 * thread_exit: threads that die inside syscalls leakscope traces, for the
 * target-safety soak (tests/soak). Each round forks a child whose threads
 * block in accept() and in open() of a FIFO nobody writes, or loop on
 * mmap/munmap and open/close; one blocked in accept() is cancelled (it
 * leaves from inside the syscall), then the child's main thread ends the
 * whole group with _exit() while the others are still inside theirs.
 * The parent prints one line per round from what it can know for sure
 * (exit status, cancellation), so traced and untraced runs print the
 * same bytes.
 * Usage: thread_exit ROUNDS
 */
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define LOOPERS 4

static int listener;
static char fifo[64];

static void *block_in_accept(void *arg)
{
	(void)arg;
	for (;;)
		accept(listener, NULL, NULL);	/* nobody connects */
	return NULL;
}

static void *block_in_open(void *arg)
{
	(void)arg;
	open(fifo, O_RDONLY);	/* blocks: no writer ever comes */
	return NULL;
}

static void *loop_syscalls(void *arg)
{
	long i = (long)arg;

	for (;;) {
		void *p = mmap(NULL, 4096 * (1 + i % 4), PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		int fd = open("/dev/null", O_RDONLY);

		if (p != MAP_FAILED)
			munmap(p, 4096 * (1 + i % 4));
		if (fd >= 0)
			close(fd);
	}
	return NULL;
}

static int child(int round)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	pthread_t t, cancelled;
	void *res;

	listener = socket(AF_INET, SOCK_STREAM, 0);
	if (listener < 0 || bind(listener, (struct sockaddr *)&a, sizeof(a)) || listen(listener, 1))
		return 90;
	snprintf(fifo, sizeof(fifo), "/tmp/thread_exit.%d", getpid());
	if (mkfifo(fifo, 0600))
		return 91;
	pthread_create(&t, NULL, block_in_accept, NULL);
	pthread_create(&t, NULL, block_in_open, NULL);
	for (long i = 0; i < LOOPERS; i++)
		pthread_create(&t, NULL, loop_syscalls, (void *)i);
	pthread_create(&cancelled, NULL, block_in_accept, NULL);
	usleep(20000);	/* let them all reach their syscalls */
	pthread_cancel(cancelled);	/* accept() is a cancellation point */
	pthread_join(cancelled, &res);
	unlink(fifo);
	_exit(res == PTHREAD_CANCELED ? round % 100 : 92);
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 10;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int r = 0; r < rounds; r++) {
		int status = 0;
		pid_t pid = fork();

		if (pid == 0)
			child(r);
		waitpid(pid, &status, 0);
		printf("round %d: %s %d\n", r, WIFEXITED(status) ? "exited" : "killed by signal",
		       WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
	}
	return 0;
}
