// SPDX-License-Identifier: MIT
#include "base/signals.h"

#include <signal.h>
#include <stddef.h>

/* Signals are process-wide: so is this flag. */
static volatile sig_atomic_t stop_signal;

static void on_stop(int sig)
{
	stop_signal = sig;
}

static void on_child(int sig)
{
	(void)sig;
}

void signals__install(bool hangup_stops, bool wake_on_child)
{
	struct sigaction sa = { 0 };

	sa.sa_handler = on_stop;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (hangup_stops)
		sigaction(SIGHUP, &sa, NULL);
	if (wake_on_child) {
		sa.sa_handler = on_child;
		sa.sa_flags = SA_NOCLDSTOP;
		sigaction(SIGCHLD, &sa, NULL);
	}
	signal(SIGPIPE, SIG_IGN);
}

int signals__stop_requested(void)
{
	return stop_signal;
}
