/* SPDX-License-Identifier: MIT */
/*
 * Launching a command under tracing: the child is forked first and held
 * on a pipe until every probe is attached, so nothing it does is missed,
 * then released to exec the command.
 */
#ifndef LS_LAUNCH_H
#define LS_LAUNCH_H

#include <stdbool.h>
#include <sys/types.h>

struct launch {
	pid_t pid;
	int release_fd;		/* write end: one byte releases the child */
	int error_fd;		/* read end: errno from a failed exec */
	bool reaped;
	int status;		/* wait status once reaped */
};

/* Resolve argv[0] in PATH (as execvp will) into resolved (an absolute
 * path): 0, or -ENOENT/-EACCES with
 * the reason printed. */
int launch__check(char *const argv[], char *resolved, size_t size);
/* Fork the held child: 0 or -errno. */
int launch__start(struct launch *l, char *const argv[]);
/* Let it exec; 0, or -errno when exec failed (message printed). */
int launch__release(struct launch *l, const char *name);
/* Reap it if it ended: true once reaped (status in l->status). */
bool launch__poll(struct launch *l);
/* Stop a child that has not been released or has outlived us. */
void launch__kill(struct launch *l, int sig);
/* Exit status for leakscope: the child's, 128 + signal when killed. */
int launch__exit_code(const struct launch *l);

#endif
