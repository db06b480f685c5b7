// SPDX-License-Identifier: MIT
#include "trace/launch.h"
#include "base/util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static bool is_executable_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
	       access(path, X_OK) == 0;
}

int launch__check(char *const argv[], char *resolved, size_t size)
{
	const char *name = argv[0], *path;
	char buf[PATH_MAX];

	if (!name || !name[0]) {
		fprintf(stderr, "leakscope: empty command\n");
		return -EINVAL;
	}
	if (strchr(name, '/')) {
		if (is_executable_file(name)) {
			if (!realpath(name, resolved))
				snprintf(resolved, size, "%s", name);
			return 0;
		}
		fprintf(stderr, "leakscope: cannot run '%s': %s\n", name,
			access(name, F_OK) ? "no such file" :
					     "not an executable file (check its permissions)");
		return access(name, F_OK) ? -ENOENT : -EACCES;
	}
	path = getenv("PATH");
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	while (*path) {
		size_t len = strcspn(path, ":");

		snprintf(buf, sizeof(buf), "%.*s/%s", (int)len,
			 len ? path : ".", name);
		if (is_executable_file(buf)) {
			if (!realpath(buf, resolved))
				snprintf(resolved, size, "%s", buf);
			return 0;
		}
		path += len + (path[len] == ':');
	}
	fprintf(stderr, "leakscope: cannot run '%s': command not found in PATH "
		"(give its path, e.g. ./%s)\n", name, name);
	return -ENOENT;
}

int launch__start(struct launch *l, char *const argv[])
{
	pid_t tracer = getpid();
	int go[2], err[2];

	memset(l, 0, sizeof(*l));
	if (pipe2(go, O_CLOEXEC) || pipe2(err, O_CLOEXEC))
		return -errno;
	l->pid = fork();
	if (l->pid < 0)
		return -errno;
	if (l->pid == 0) {
		char c;
		int e;

		close(go[1]);
		close(err[0]);
		/* If the tracer dies, even by SIGKILL, the command gets the
		 * SIGTERM leakscope would have sent it when stopping first,
		 * instead of running on untraced where nobody looks. */
		if (prctl(PR_SET_PDEATHSIG, SIGTERM) || getppid() != tracer)
			_exit(127);
		/* Wait for the tracer; if it dies first, read gets EOF. */
		if (read(go[0], &c, 1) != 1)
			_exit(127);
		execvp(argv[0], argv);
		e = errno;
		if (write(err[1], &e, sizeof(e)) < 0)
			_exit(127);
		_exit(127);
	}
	close(go[0]);
	close(err[1]);
	l->release_fd = go[1];
	l->error_fd = err[0];
	return 0;
}

int launch__release(struct launch *l, const char *name)
{
	ssize_t n;
	int e = 0;

	if (write(l->release_fd, "g", 1) != 1)
		return -errno;
	close(l->release_fd);
	l->release_fd = -1;
	/* The error pipe closes on a successful exec (O_CLOEXEC). */
	do
		n = read(l->error_fd, &e, sizeof(e));
	while (n < 0 && errno == EINTR);
	close(l->error_fd);
	l->error_fd = -1;
	if (n == sizeof(e)) {
		fprintf(stderr, "leakscope: cannot run '%s': %s\n", name, strerror(e));
		return -e;
	}
	return 0;
}

bool launch__poll(struct launch *l)
{
	int status;

	if (l->reaped || l->pid <= 0)
		return l->reaped;
	if (waitpid(l->pid, &status, WNOHANG) == l->pid) {
		l->reaped = true;
		l->status = status;
	}
	return l->reaped;
}

void launch__kill(struct launch *l, int sig)
{
	if (l->pid > 0 && !l->reaped)
		kill(l->pid, sig);
}

int launch__exit_code(const struct launch *l)
{
	if (!l->reaped)
		return 1;
	if (WIFSIGNALED(l->status))
		return 128 + WTERMSIG(l->status);
	return WEXITSTATUS(l->status);
}
