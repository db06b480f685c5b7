// SPDX-License-Identifier: MIT
/*
 * A program that leaks exactly known amounts from functions with
 * recognizable names, through Debian's libc (built -O2
 * -fomit-frame-pointer by the test runner, so complete stacks need CFI).
 *
 * Usage: native_leaks [--wait] [--hold] [--exit N] [--fork] [--thread]
 *                     [--exec] [--after-exec]
 *   --wait        print "ready PID" and wait for SIGUSR1 before leaking
 *   --hold        after leaking print "leaked" and wait for SIGTERM;
 *                 SIGUSR2 meanwhile closes 6 fds (prints "closed 6")
 *   --exit N      exit status when not holding (default 0)
 *   --fork        also fork a child that leaks in child_leak_site
 *   --thread      also leak from a second thread (thread_leak_site)
 *   --exec        open fds with and without O_CLOEXEC, then exec
 *                 ourselves with --after-exec
 *   --deep N      also leak an fd N recursion levels (1 KiB each) deep
 *
 * What it leaks is printed as "expect SITE KIND COUNT BYTES" lines on
 * stdout, and every leaked address as "addr START LEN", so the tests
 * have ground truth from the program itself.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))
#define PAGE 4096

static volatile int last_fd;	/* keeps calls from becoming tail calls */

static void expect(const char *site, const char *kind, long count, long bytes)
{
	printf("expect %s %s %ld %ld\n", site, kind, count, bytes);
}

static void note_addr(void *p, size_t len)
{
	printf("addr %p %zu\n", p, len);
}

static void *map_anon(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		perror("mmap");
		exit(10);
	}
	return p;
}

NOINLINE void leak_mmap_site(void)
{
	for (int i = 0; i < 5; i++)
		note_addr(map_anon(64 * 1024), 64 * 1024); /* LINE:leak_mmap_site:map_anon */
	expect("leak_mmap_site", "mmap", 5, 5 * 64 * 1024);
}

NOINLINE void leak_mmap_partial_site(void)
{
	char *p = map_anon(8 * PAGE);

	munmap(p + 2 * PAGE, 3 * PAGE);	/* a hole in the middle */
	note_addr(p, 2 * PAGE);
	note_addr(p + 5 * PAGE, 3 * PAGE);
	expect("leak_mmap_partial_site", "mmap", 1, 5 * PAGE);
}

NOINLINE void mremap_grow_site(void)
{
	char *p = map_anon(2 * PAGE);
	char *q = mremap(p, 2 * PAGE, 6 * PAGE, MREMAP_MAYMOVE);

	if (q == MAP_FAILED)
		exit(11);
	note_addr(q, 6 * PAGE);
	/* the first two pages from the mmap, the growth from the mremap:
	 * two allocations, both made here */
	expect("mremap_grow_site", "mmap", 2, 6 * PAGE);
}

NOINLINE void freed_mmap_site(void)
{
	for (int i = 0; i < 10; i++)
		munmap(map_anon(3 * PAGE), 3 * PAGE);
	expect("freed_mmap_site", "mmap", 0, 0);
}

NOINLINE void leak_brk_site(void)
{
	/* align the break to a page first, so each growth is whole pages */
	void *cur = sbrk(0);
	long pad = (PAGE - (long)cur % PAGE) % PAGE;

	if (pad)
		sbrk(pad);
	for (int i = 0; i < 4; i++)
		sbrk(3 * PAGE); /* LINE:leak_brk_site */
	expect("leak_brk_site", "brk", pad ? 5 : 4, 4 * 3 * PAGE + (pad ? PAGE : 0));
}

static int open_site_fds[4], pipe_site_fds[4];

NOINLINE void leak_open_site(void)
{
	for (int i = 0; i < 4; i++)
		if ((open_site_fds[i] = open("/etc/hostname", O_RDONLY)) < 0) /* LINE:leak_open_site */
			exit(12);
	expect("leak_open_site", "fd", 4, 0);
}

NOINLINE void leak_socket_site(void)
{
	for (int i = 0; i < 3; i++)
		socket(AF_INET, SOCK_STREAM, 0); /* LINE:leak_socket_site */
	expect("leak_socket_site", "fd", 3, 0);
}

NOINLINE void leak_pipe_site(void)
{
	int fds[2];

	for (int i = 0; i < 2; i++) {
		if (pipe(fds)) /* LINE:leak_pipe_site */
			exit(13);
		pipe_site_fds[2 * i] = fds[0];
		pipe_site_fds[2 * i + 1] = fds[1];
	}
	expect("leak_pipe_site", "fd", 4, 0);
}

NOINLINE void leak_misc_fd_site(void)
{
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGUSR2);
	eventfd(0, 0); /* LINE:leak_misc_fd_site:eventfd */
	eventfd(0, EFD_CLOEXEC);
	epoll_create1(0);
	syscall(SYS_memfd_create, "leakscope-test", 0);
	timerfd_create(CLOCK_MONOTONIC, 0);
	signalfd(-1, &mask, 0);
	inotify_init1(0);
	expect("leak_misc_fd_site", "fd", 7, 0);
}

NOINLINE void leak_dup_site(void)
{
	int fd = open("/etc/passwd", O_RDONLY);

	dup(fd); /* LINE:leak_dup_site:dup */
	dup(fd);
	dup2(fd, 100);
	fcntl(fd, F_DUPFD, 200);
	close(fd);
	expect("leak_dup_site", "fd", 4, 0);
}

NOINLINE void leak_accept_site(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int l = socket(AF_INET, SOCK_STREAM, 0), c;

	if (bind(l, (void *)&a, sizeof(a)) || listen(l, 1) ||
	    getsockname(l, (void *)&a, &len))
		exit(14);
	c = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(c, (void *)&a, sizeof(a)) || accept(l, NULL, NULL) < 0)
		exit(15);
	expect("leak_accept_site", "fd", 3, 0);
}

NOINLINE void closed_fd_site(void)
{
	int fds[2];

	for (int i = 0; i < 10; i++)
		close(open("/etc/hostname", O_RDONLY));
	close(socket(AF_INET, SOCK_DGRAM, 0));
	if (pipe(fds) == 0) {
		close(fds[0]);
		close(fds[1]);
	}
	expect("closed_fd_site", "fd", 0, 0);
}

NOINLINE void close_range_site(void)
{
	for (int i = 0; i < 5; i++)
		dup2(0, 400 + i);
	syscall(SYS_close_range, 400, 404, 0);
	expect("close_range_site", "fd", 0, 0);
}

static void *thread_main(void *arg)
{
	(void)arg;
	return NULL;
}

NOINLINE void *thread_leak_site(void *arg)
{
	for (int i = 0; i < 3; i++)
		note_addr(map_anon(16 * PAGE), 16 * PAGE);
	open("/etc/hostname", O_RDONLY);
	return arg;
}

static void leak_from_thread(void)
{
	pthread_t t;

	pthread_create(&t, NULL, thread_leak_site, NULL);
	pthread_join(t, NULL);
	pthread_create(&t, NULL, thread_main, NULL);
	pthread_join(t, NULL);
	expect("thread_leak_site", "mmap", 3, 3 * 16 * PAGE);
	expect("thread_leak_site", "fd", 1, 0);
}


NOINLINE void child_leak_site(void)
{
	for (int i = 0; i < 2; i++)
		map_anon(32 * PAGE);
	last_fd = socket(AF_UNIX, SOCK_STREAM, 0);
}

/* Recursion with 1 KiB frames, then one fd: a stack deeper (in bytes)
 * than a small snapshot holds. */
NOINLINE int deep_site(int levels)
{
	volatile char frame[1024];

	frame[0] = (char)levels;
	if (levels > 1)
		return deep_site(levels - 1) + frame[0];
	last_fd = open("/etc/hostname", O_RDONLY);
	return frame[0];
}

static volatile sig_atomic_t got_usr1, got_usr2, got_term;

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		got_usr1 = 1;
	else if (sig == SIGUSR2)
		got_usr2 = 1;
	else
		got_term = 1;
}

/* --hold: wait for SIGTERM; on SIGUSR2 first close what leak_open_site
 * and the first pipe of leak_pipe_site made, and say so. */
static void hold(void)
{
	sigset_t none;

	sigemptyset(&none);
	while (!got_term) {
		sigsuspend(&none);
		if (got_usr2) {
			got_usr2 = 0;
			for (int i = 0; i < 4; i++)
				close(open_site_fds[i]);
			close(pipe_site_fds[0]);
			close(pipe_site_fds[1]);
			printf("closed 6\n");
		}
	}
}

static void wait_for(volatile sig_atomic_t *flag)
{
	sigset_t none;

	sigemptyset(&none);
	while (!*flag)
		sigsuspend(&none);
}

NOINLINE void exec_site(char **argv)
{
	int keep = open("/etc/hostname", O_RDONLY);
	int drop = open("/etc/passwd", O_RDONLY | O_CLOEXEC);
	char *args[] = { argv[0], "--after-exec", "--hold", NULL };

	(void)keep;
	(void)drop;
	dup2(keep, 50);
	fcntl(50, F_SETFD, FD_CLOEXEC);	/* cloexec set after the fact */
	map_anon(4 * PAGE);	/* gone after exec */
	fflush(stdout);
	execv("/proc/self/exe", args);
	exit(16);
}

int main(int argc, char **argv)
{
	int wait_go = 0, do_hold = 0, code = 0, do_fork = 0, do_thread = 0;
	int do_exec = 0, after_exec = 0, deep = 0;
	struct sigaction sa = { 0 };
	sigset_t block;
	pid_t child = -1;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--wait"))
			wait_go = 1;
		else if (!strcmp(argv[i], "--hold"))
			do_hold = 1;
		else if (!strcmp(argv[i], "--exit") && i + 1 < argc)
			code = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--fork"))
			do_fork = 1;
		else if (!strcmp(argv[i], "--thread"))
			do_thread = 1;
		else if (!strcmp(argv[i], "--exec"))
			do_exec = 1;
		else if (!strcmp(argv[i], "--after-exec"))
			after_exec = 1;
		else if (!strcmp(argv[i], "--deep") && i + 1 < argc)
			deep = atoi(argv[++i]);
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	sa.sa_handler = on_signal;
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigaddset(&block, SIGUSR2);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, NULL);	/* delivered in sigsuspend */

	if (after_exec) {
		printf("after-exec %d\n", getpid());
	} else {
		printf("ready %d\n", getpid());
		if (wait_go)
			wait_for(&got_usr1);
		if (do_exec)
			exec_site(argv);
		leak_mmap_site();
		leak_mmap_partial_site();
		mremap_grow_site();
		freed_mmap_site();
		leak_brk_site();
		leak_open_site();
		leak_socket_site();
		leak_pipe_site();
		leak_misc_fd_site();
		leak_dup_site();
		leak_accept_site();
		closed_fd_site();
		close_range_site();
		if (do_thread)
			leak_from_thread();
		if (deep) {
			deep_site(deep);
			expect("deep_site", "fd", 1, 0);
		}
		if (do_fork) {
			child = fork();
			if (child == 0) {
				child_leak_site();
				printf("child %d\n", getpid());
				if (do_hold)
					wait_for(&got_term);
				_exit(0);
			}
		}
	}
	printf("leaked\n");
	if (do_hold)
		hold();
	if (child > 0) {
		kill(child, SIGTERM);
		waitpid(child, NULL, 0);
	}
	return code;
}
