// SPDX-License-Identifier: MIT
/*
 * lifecycle: process lifecycles that are hard on a tracer, each with an
 * exactly known account on stdout ("expect SITE KIND COUNT" lines).
 *
 *   lifecycle exec PROG ARGS...   leaks one fd in exec_leak_site (it
 *                                 survives exec: no O_CLOEXEC), prints
 *                                 "ready PID", waits for SIGUSR1, then
 *                                 execs PROG (a Go program, say)
 *   lifecycle fork-exec PROG ARGS... the same in a forked child; the
 *                                 parent waits for it
 *   lifecycle pid-reuse           child A leaks 2 fds and exits; child B
 *                                 is forked until it gets A's pid (the
 *                                 pid is set through ns_last_pid: root),
 *                                 leaks 3 fds and exits; prints
 *                                 "reused PID", waits for SIGTERM
 *   lifecycle fork-storm N        N children, forked as fast as it can,
 *                                 each leaking one fd in storm_child_site;
 *                                 every 10th also forks a grandchild that
 *                                 does the same (and holds its parent's
 *                                 fd too); then "storm done"
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))

/* Stored after each open so that no site ends in a tail call to open()
 * (a jmp that would take the site's frame off the stack). */
static volatile int last_fd;

NOINLINE void exec_leak_site(void)
{
	last_fd = open("/etc/hostname", O_RDONLY);
	if (last_fd < 0)
		exit(90);
}

NOINLINE void reuse_a_site(void)
{
	for (int i = 0; i < 2; i++)
		last_fd = open("/etc/hostname", O_RDONLY);
}

NOINLINE void reuse_b_site(void)
{
	for (int i = 0; i < 3; i++)
		last_fd = open("/etc/passwd", O_RDONLY);
}

NOINLINE void storm_child_site(void)
{
	last_fd = open("/etc/hostname", O_RDONLY);
}

/* Blocked from the start (main), so a signal sent as soon as "ready" is
 * read waits for sigwait instead of killing us. */
static void wait_signal(int which)
{
	sigset_t set;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, which);
	sigwait(&set, &sig);
}

static int run_exec(char **argv, int fork_first)
{
	pid_t pid = 0;
	int status;

	printf("ready %d\nexpect exec_leak_site fd 1 0\n", getpid());
	fflush(stdout);
	wait_signal(SIGUSR1);
	if (fork_first)
		pid = fork();
	if (pid == 0) {
		sigset_t none;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		exec_leak_site();
		execv(argv[0], argv);
		_exit(127);
	}
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Fork until the child gets pid `want` (ns_last_pid makes it next). */
static pid_t fork_as(pid_t want, void (*site)(void))
{
	for (int tries = 0; tries < 200; tries++) {
		FILE *f = fopen("/proc/sys/kernel/ns_last_pid", "w");
		pid_t pid;

		if (!f || fprintf(f, "%d", want - 1) < 0 || fclose(f))
			return -1;
		pid = fork();
		if (pid == 0) {
			if (getpid() != want)
				_exit(0);	/* someone else took it: retry */
			site();
			_exit(0);
		}
		waitpid(pid, NULL, 0);
		if (pid == want)
			return pid;
	}
	return -1;
}

static int run_pid_reuse(void)
{
	pid_t a = fork(), b;

	if (a == 0) {
		reuse_a_site();
		_exit(0);
	}
	waitpid(a, NULL, 0);
	b = fork_as(a, reuse_b_site);
	if (b != a)
		return 91;
	printf("reused %d\nexpect reuse_a_site fd 2 0\nexpect reuse_b_site fd 3 0\n", a);
	fflush(stdout);
	wait_signal(SIGTERM);
	return 0;
}

static int run_fork_storm(int n)
{
	for (int i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid == 0) {
			storm_child_site();
			if (i % 10 == 0 && fork() == 0) {
				storm_child_site();
				_exit(0);
			}
			while (wait(NULL) > 0)
				;
			_exit(0);
		}
	}
	while (wait(NULL) > 0)
		;
	/* a grandchild holds its own fd and the copy of its parent's */
	printf("storm done\nexpect storm_child_site fd %d 0\nstorm processes %d\n",
	       n + 2 * ((n + 9) / 10), 1 + n + (n + 9) / 10);
	return 0;
}

int main(int argc, char **argv)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 2 && !strcmp(argv[1], "exec"))
		return run_exec(argv + 2, 0);
	if (argc > 2 && !strcmp(argv[1], "fork-exec"))
		return run_exec(argv + 2, 1);
	if (argc > 1 && !strcmp(argv[1], "pid-reuse"))
		return run_pid_reuse();
	if (argc > 2 && !strcmp(argv[1], "fork-storm"))
		return run_fork_storm(atoi(argv[2]));
	fprintf(stderr, "usage: lifecycle exec|fork-exec PROG ARGS... | pid-reuse | "
		"fork-storm N\n");
	return 2;
}
