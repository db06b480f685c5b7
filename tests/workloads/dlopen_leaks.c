// SPDX-License-Identifier: MIT
/*
 * Loads libplugin.so (next to this binary) with dlopen only after
 * SIGUSR1, so a tracer attached before that has never seen the library,
 * then lets it leak 3 fds and 3 mappings in plugin_leak_site.
 */
#include <dlfcn.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t go, term;

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		go = 1;
	else
		term = 1;
}

__attribute__((noinline)) void load_plugin_site(const char *dir)
{
	char path[PATH_MAX];
	void (*entry)(int);
	void *h;

	snprintf(path, sizeof(path), "%s/libplugin.so", dir);
	h = dlopen(path, RTLD_NOW);
	if (!h) {
		fprintf(stderr, "dlopen: %s\n", dlerror());
		exit(2);
	}
	entry = (void (*)(int))dlsym(h, "plugin_entry");
	entry(3);
}

int main(int argc, char **argv)
{
	char self[PATH_MAX];
	struct sigaction sa = { 0 };
	sigset_t block, none;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n <= 0)
		return 1;
	self[n] = '\0';
	setvbuf(stdout, NULL, _IOLBF, 0);
	sa.sa_handler = on_signal;
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, NULL);
	sigemptyset(&none);
	printf("ready %d\n", getpid());
	while (!go)
		sigsuspend(&none);
	load_plugin_site(dirname(self));
	printf("leaked\n");
	while (!term)
		sigsuspend(&none);
	return 0;
}
