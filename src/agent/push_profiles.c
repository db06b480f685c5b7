// SPDX-License-Identifier: MIT
/*
 * One round of profiles out, every --push-interval (and once more at
 * shutdown): a report of everything outstanding now, cut per process and
 * kind, each profile queued for --push-url and/or written to
 * --output-dir. from/until of a push are the previous push of that
 * process (or when its tracing began) and now, in Unix seconds.
 */
#include "agent/agent_int.h"
#include "base/hashmap.h"
#include "base/logfmt.h"
#include "ledgers/process.h"
#include "report/build.h"
#include "report/report.h"
#include "base/util.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *agent__service(const struct agent *a, const struct process *p)
{
	if (a->o.service)
		return a->o.service;
	return p->comm[0] ? p->comm : "unknown";
}

/* A file name part: no '/', no spaces, nothing a shell would mind. */
static void file_safe(char *out, size_t size, const char *s)
{
	size_t o = 0;

	for (; *s && o + 1 < size; s++) {
		char c = *s;

		out[o++] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
				   (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ?
			   c : '_';
	}
	out[o] = '\0';
}

static uint64_t tracing_began_s(const struct agent *a, const struct process *p)
{
	uint64_t mono = now_ns(), real = realtime_ns();
	uint64_t ago = mono > p->seen_ns ? mono - p->seen_ns : 0;

	return (real > ago ? real - ago : 0) / NS_PER_S;
}

static void push_process(struct agent *a, const struct report *r, struct process *p,
			 uint64_t until_s, uint64_t until_ms, size_t *made)
{
	struct report *v = profile__view(r, p->pid);
	const char *service = agent__service(a, p);
	uint64_t from_s, val;
	char pid[16], svc[128];
	unsigned kinds;

	alloc_deltas__apply(&a->deltas, v, p->pid);
	kinds = profile__kinds(v);
	from_s = u64map__get(a->last_push_s, (uint64_t)p->pid, &val) ? val :
									 tracing_began_s(a, p);
	if (from_s >= until_s)
		from_s = until_s - 1;	/* a range, however short */
	snprintf(pid, sizeof(pid), "%d", p->pid);
	file_safe(svc, sizeof(svc), service);
	for (int k = 0; k < KIND_MAX; k++) {
		uint8_t *buf;
		size_t len;
		int err;

		if (!(kinds & (1u << k)))
			continue;
		err = profile__pprof(v, k, &buf, &len);
		if (err) {
			a->profile_errors++;
			LOG_W("cannot encode a profile", "pid=%d kind=%s err=%s", p->pid,
			      kind_name(k), logfmt__q(strerror(-err)));
			continue;
		}
		a->profiles_built++;
		(*made)++;
		if (a->writing) {
			char name[256];

			snprintf(name, sizeof(name), "%s-%d-%s-%" PRIu64 ".pb.gz", svc, p->pid,
				 kind_name(k), until_ms);
			outdir__write(&a->out, name, buf, len);
		}
		if (a->pushing) {
			const char *labels[] = { "host", a->host, "pid", pid, "kind", kind_name(k),
						 "comm", p->comm, NULL };
			char *url = push__ingest_url(a->o.push_url, service, labels, from_s, until_s);

			pusher__enqueue(&a->pusher, url, buf, len);
		} else {
			free(buf);
		}
	}
	u64map__put(a->last_push_s, (uint64_t)p->pid, until_s);
	profile__view_free(v);
}

void agent_push__round(struct agent *a)
{
	uint64_t real = realtime_ns();
	struct report *r;
	size_t made = 0;

	if ((!a->pushing && !a->writing) || !a->loaded || !a->coll.nprocs)
		return;
	r = report__build_traced(&a->coll, &a->probes, 0, false);
	verdicts__apply(&a->verdicts, r);	/* suspects labelled in samples */
	for (size_t i = 0; i < a->coll.nprocs; i++)
		push_process(a, r, a->coll.procs[i], real / NS_PER_S, real / NS_PER_MS, &made);
	report__free(r);
	a->push_rounds++;
	LOG_D("profiles out", "round=%" PRIu64 " profiles=%zu processes=%zu", a->push_rounds,
	      made, a->coll.nprocs);
}
