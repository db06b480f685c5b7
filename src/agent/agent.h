/* SPDX-License-Identifier: MIT */
/*
 * `leakscope agent`: fleet mode. Traces every process on the host (or
 * those its filters pick), picks up new ones as they exec, and exports
 * per-process metrics (Prometheus) and profiles (Pyroscope-style push,
 * files, /debug/pprof). See agent.c for the lifecycle.
 */
#ifndef LS_AGENT_H
#define LS_AGENT_H

/* argv[0] is "agent". Returns the exit status: 0 after a clean stop
 * (SIGTERM/SIGINT), 1 when it could not start, 2 on a usage error. */
int agent__main(int argc, char **argv);

#endif
