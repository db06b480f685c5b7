// SPDX-License-Identifier: MIT
/*
 * Churn for the tests of leakscope's own memory: what a process that runs
 * for months sees (many paths, many short-lived processes, many new
 * binaries), in rounds, so a test can compare the tool's tables and RSS
 * after each round with the first.
 *
 *   churn ops N...
 *       print "ready PID"; then a round per N: wait for SIGUSR1, open and
 *       close the relative path "churn-rel.tmp" N times and memfd_create
 *       N/4 uniquely named memfds (closed at once), print "round R done".
 *       The very first fd of each kind stays open, so a tracer's view
 *       always holds (and symbolizes) these code paths from round 1 on.
 *       After the last round, sleep until killed.
 *   churn hold DIR
 *       print "ready PID", wait for SIGUSR1, then open a DIR-relative and
 *       an absolute file, map 3 pages, print "held" and sleep until
 *       killed: references that must survive every round.
 *   churn procs DIR ROUND COUNT COPIES
 *       print "ready PID", wait for SIGUSR1 (a tracer that picks this
 *       process up at its exec then sees every fork), then fork COUNT
 *       children, at most 8 at a time. Child i opens the
 *       unique files rROUND-i (relative to DIR) and DIR/aROUND-i and maps a
 *       page; every third closes them, the others hold them until they
 *       exit; every eighth first execs a copy of this program placed at
 *       COPIES/ROUND-(i/8)/churn (each a new inode: a new module). Prints
 *       "round ROUND done" once every child has exited.
 *   churn child DIR ROUND I      (what the exec'd copies run)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))

static volatile int last_fd;	/* keeps calls from becoming tail calls */

static void wait_usr1(void)
{
	sigset_t none;
	int sig;

	sigemptyset(&none);
	sigaddset(&none, SIGUSR1);
	sigwait(&none, &sig);
}

__attribute__((noreturn)) static void sleep_until_killed(void)
{
	for (;;)
		pause();
}

static void block_usr1(void)
{
	sigset_t block;

	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigprocmask(SIG_BLOCK, &block, NULL);
}

static int held_relative = -1, held_memfd = -1;

NOINLINE static void churn_relative_opens(long n)
{
	for (long i = 0; i < n; i++) {
		int fd = open("churn-rel.tmp", O_RDONLY | O_CREAT | O_CLOEXEC, 0600);

		if (fd < 0) {
			perror("churn-rel.tmp");
			exit(1);
		}
		last_fd = fd;
		if (held_relative < 0)
			held_relative = fd;
		else
			close(fd);
	}
}

NOINLINE static void churn_memfds(int round, long n)
{
	char name[64];

	for (long i = 0; i < n; i++) {
		int fd;

		snprintf(name, sizeof(name), "churn-%d-%ld", round, i);
		fd = memfd_create(name, MFD_CLOEXEC);
		if (fd < 0) {
			perror("memfd_create");
			exit(1);
		}
		last_fd = fd;
		if (held_memfd < 0)
			held_memfd = fd;
		else
			close(fd);
	}
}

static int run_ops(int rounds, char **counts)
{
	block_usr1();
	printf("ready %d\n", getpid());
	for (int r = 1; r <= rounds; r++) {
		long n = atol(counts[r - 1]);

		wait_usr1();
		churn_relative_opens(n);
		churn_memfds(r, n / 4);
		printf("round %d done\n", r);
	}
	sleep_until_killed();
}

NOINLINE static int open_relative(const char *name)
{
	int fd = open(name, O_RDONLY | O_CREAT, 0600);

	last_fd = fd;
	return fd;
}

NOINLINE static int open_absolute(const char *dir, const char *name)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDONLY | O_CREAT, 0600);
	last_fd = fd;
	return fd;
}

NOINLINE static void *map_page(void)
{
	return mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

static int run_hold(const char *dir)
{
	if (chdir(dir)) {
		perror(dir);
		return 1;
	}
	block_usr1();
	printf("ready %d\n", getpid());
	wait_usr1();
	if (open_relative("hold-rel") < 0 || open_absolute(dir, "hold-abs") < 0) {
		perror("hold");
		return 1;
	}
	for (int i = 0; i < 3; i++)
		if (map_page() == MAP_FAILED)
			return 1;
	printf("held\n");
	sleep_until_killed();
}

/* What every child does: two unique files and a page; held or not. */
static int run_child(const char *dir, int round, int i)
{
	char rel[64], abs_name[64];
	int a, b;

	if (chdir(dir))
		return 1;
	snprintf(rel, sizeof(rel), "r%d-%d", round, i);
	snprintf(abs_name, sizeof(abs_name), "a%d-%d", round, i);
	a = open_relative(rel);
	b = open_absolute(dir, abs_name);
	if (a < 0 || b < 0 || map_page() == MAP_FAILED)
		return 1;
	if (i % 3 == 0) {
		close(a);
		close(b);
	}
	return 0;
}

static int copy_self(const char *to)
{
	struct stat st;
	int in = open("/proc/self/exe", O_RDONLY | O_CLOEXEC), out;
	ssize_t n = 0;

	if (in < 0 || fstat(in, &st))
		return -1;
	out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	if (out < 0) {
		close(in);
		return -1;
	}
	for (off_t done = 0; done < st.st_size; done += n)
		if ((n = sendfile(out, in, NULL, st.st_size - done)) <= 0)
			break;
	close(in);
	close(out);
	return n < 0 ? -1 : 0;
}

/* COPIES/ROUND-K/churn: a fresh file (a new module) per group of 8. */
static int place_copy(const char *copies, int round, int k, char *path, size_t len)
{
	char dir[PATH_MAX - 16];

	snprintf(dir, sizeof(dir), "%s/%d-%d", copies, round, k);
	if (mkdir(dir, 0755) && errno != EEXIST)
		return -1;
	snprintf(path, len, "%s/churn", dir);
	return copy_self(path);
}

static int run_procs(const char *dir, int round, int count, const char *copies)
{
	int running = 0, failed = 0, status;

	block_usr1();
	printf("ready %d\n", getpid());
	wait_usr1();

	for (int i = 0; i < count; i++) {
		char copy[PATH_MAX] = "";
		pid_t pid;

		if (i % 8 == 0 && place_copy(copies, round, i / 8, copy, sizeof(copy))) {
			perror("copy");
			return 1;
		}
		if (running == 8) {
			wait(&status);
			failed += !WIFEXITED(status) || WEXITSTATUS(status);
			running--;
		}
		pid = fork();
		if (pid < 0) {
			perror("fork");
			return 1;
		}
		if (pid == 0) {
			char r[16], n[16];

			if (!copy[0])
				_exit(run_child(dir, round, i));
			snprintf(r, sizeof(r), "%d", round);
			snprintf(n, sizeof(n), "%d", i);
			execl(copy, "churn", "child", dir, r, n, (char *)NULL);
			_exit(127);
		}
		running++;
	}
	while (running-- > 0) {
		wait(&status);
		failed += !WIFEXITED(status) || WEXITSTATUS(status);
	}
	printf("round %d done failed %d\n", round, failed);
	return failed != 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 3 && !strcmp(argv[1], "ops"))
		return run_ops(argc - 2, argv + 2);
	if (argc == 3 && !strcmp(argv[1], "hold"))
		return run_hold(argv[2]);
	if (argc == 6 && !strcmp(argv[1], "procs"))
		return run_procs(argv[2], atoi(argv[3]), atoi(argv[4]), argv[5]);
	if (argc == 5 && !strcmp(argv[1], "child"))
		return run_child(argv[2], atoi(argv[3]), atoi(argv[4]));
	fprintf(stderr, "usage: churn ops N... | hold DIR | "
		"procs DIR ROUND COUNT COPIES | child DIR ROUND I\n");
	return 2;
}
