/* SPDX-License-Identifier: MIT */
/*
 * The agent's state, shared by its parts: agent.c (lifecycle, picking
 * processes, the loop), metrics.c (/metrics), endpoints.c
 * (routes, /debug/pprof) and push_profiles.c (profiles out). Userspace only.
 */
#ifndef LS_AGENT_INT_H
#define LS_AGENT_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "base/logfmt.h"
#include "agent/filter.h"
#include "agent/options.h"
#include "agent/profiles.h"
#include "agent/limits.h"
#include "trace/collector.h"
#include "agent/outdir.h"
#include "trace/probes.h"
#include "agent/pusher.h"
#include "agent/sampling.h"
#include "agent/selfcheck.h"
#include "trace/session.h"
#include "report/verdict.h"

struct http_server;
struct report;
struct u64map;

struct agent {
	struct agent_options o;
	struct logger log;		/* logfmt: every line the agent says */
	struct agent_filter filter;
	struct collector coll;
	struct probes probes;
	bool loaded;			/* BPF objects loaded and attached */
	bool tracing;			/* probes enabled now */
	struct go_hook hook;
	struct sampler sampler;
	struct selfcheck sc;
	struct caps caps;
	struct verdicts verdicts;
	struct report *verdict_report;	/* the last sampled, verdicts applied */
	struct http_server *http;
	struct pusher pusher;
	bool pushing;
	struct outdir out;
	bool writing;
	struct alloc_deltas deltas;
	struct u64map *last_push_s;	/* pid -> unix second of its last push */
	char host[256];
	uint64_t start_unix_s;

	/* counters */
	uint64_t execs_seen, execs_matched;
	uint64_t procs_traced;		/* tracing started (exec, scan) */
	uint64_t procs_refused;		/* --max-processes reached */
	uint64_t procs_forgotten;
	uint64_t procs_forgotten_at_sweep;	/* tables swept since */
	uint64_t push_rounds, profiles_built, profile_errors;
	uint64_t trace_errors;		/* could not add to the traced map */
};

/* /metrics in the text exposition format. */
void agent_metrics__write(struct agent *a, FILE *f);
/* The HTTP handler (http_handler_fn) of --listen. */
struct http_request;
struct http_response;
void agent_http__handle(void *ctx, const struct http_request *req,
			struct http_response *resp);
/* One push/write round: a profile per process and kind. */
void agent_push__round(struct agent *a);
/* The service name of p: --service, else its comm. */
struct process;
const char *agent__service(const struct agent *a, const struct process *p);

#endif
