/* SPDX-License-Identifier: MIT */
/*
 * Options of `leakscope agent`, from the command line and an optional
 * config file (--config FILE, same names: see config_file.h). One table
 * defines both, so a name cannot mean one thing on the command line and
 * another in the file; flags given on the command line override the
 * file (a list option given as a flag replaces the file's list).
 */
#ifndef LS_AGENT_OPTIONS_H
#define LS_AGENT_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "trace/trace_options.h"

#define AGENT_DEFAULT_PORT 9465
#define AGENT_DEFAULT_LISTEN "127.0.0.1:9465"

struct str_list {
	char **v;
	size_t n;
};

struct agent_options {
	const char *config_path;
	/* which processes (empty lists: every process) */
	struct str_list comms;		/* glob patterns on comm */
	struct str_list exes;		/* glob patterns on the executable path */
	struct str_list cgroups;	/* cgroup paths (subtrees) */
	int *pids;
	size_t npids;
	/* fleet sampling */
	double threshold;		/* percent, 0-100 */
	double sampling_interval_s;
	uint64_t sampling_seed;
	bool seed_set;
	/* exports */
	char *listen;			/* ADDR:PORT, or NULL = no endpoint */
	char *service;			/* service label / push name, NULL = comm */
	char *host;			/* host label, NULL = hostname */
	char *push_url;
	struct str_list push_headers;	/* "Name: value" */
	double push_interval_s;
	size_t push_queue;		/* profiles waiting, at most */
	double push_timeout_s;
	double push_backoff_max_s;
	char *output_dir;
	uint64_t output_max_bytes;
	bool serve_pprof;		/* /debug/pprof/<kind> */
	/* bounded cost */
	size_t max_processes;
	size_t max_items_per_process;
	size_t max_items;
	double overhead_budget_pct;	/* of one CPU; 0 = no check */
	double overhead_window_s;
	double overhead_backoff_s;
	double overhead_backoff_max_s;
	/* verdicts and tracing details */
	double verdict_interval_s;
	struct trace_options trace;	/* shared with the tracer; go-alloc
					 * and malloc: sampled or off */
	double shutdown_timeout_s;
	int log_level;			/* enum log_level */
	int verbose;
};

void agent_options__defaults(struct agent_options *o);
/* argv[0] is "agent". Usage errors print one line on stderr and return
 * 2; --help prints the usage and returns 1 (exit 0); 0 on success. */
int agent_options__parse(struct agent_options *o, int argc, char **argv);
/* Set one option by its long name ("push-url") from text. 0 or -EINVAL
 * with err saying why. Used for flags and config lines alike. */
int agent_options__set(struct agent_options *o, const char *name, const char *value,
		       char *err, size_t errlen);
void agent_options__free(struct agent_options *o);
void agent_options__usage(FILE *f);

#endif
