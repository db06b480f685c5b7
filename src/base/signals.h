/* SPDX-License-Identifier: MIT */
/*
 * Stop requests by signal, shared by the tracer and the agent: SIGINT,
 * SIGTERM (and SIGHUP for the tracer, whose terminal may go away) only
 * set a flag the main loop reads; SIGPIPE is ignored (a closed stdout is
 * an error from write, not a death); SIGCHLD, when asked for, only
 * interrupts the poll so a launched child is reaped promptly.
 */
#ifndef LS_SIGNALS_H
#define LS_SIGNALS_H

#include <stdbool.h>

void signals__install(bool hangup_stops, bool wake_on_child);
/* The signal that asked us to stop, or 0. */
int signals__stop_requested(void);

#endif
