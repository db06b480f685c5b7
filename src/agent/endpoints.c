// SPDX-License-Identifier: MIT
/*
 * Routes of the agent's endpoint:
 *   /metrics                      Prometheus text format (metrics.c)
 *   /debug/pprof/                 the kinds below, as links
 *   /debug/pprof/KIND[?pid=N]     a gzip pprof of what is outstanding now,
 *                                 one process or all (samples carry pid and
 *                                 comm labels); KIND is a leakscope kind or
 *                                 Go's name for it: heap (go_heap), allocs
 *                                 (go_alloc, cumulative), goroutine
 */
#include "agent/agent_int.h"
#include "agent/http_server.h"
#include "agent/prom_text.h"
#include "report/build.h"
#include "report/report.h"
#include "base/util.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void text(struct http_response *resp, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void text(struct http_response *resp, int status, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	resp->status = status;
	resp->content_type = "text/plain; charset=utf-8";
	resp->body = s ? s : xstrdup("");
	resp->len = strlen(resp->body);
}

static int kind_of(const char *name)
{
	if (!strcmp(name, "heap"))
		return KIND_GO_HEAP;
	if (!strcmp(name, "allocs"))
		return KIND_GO_ALLOC;
	return kind_from_name(name);
}

static void serve_metrics(struct agent *a, struct http_response *resp)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f) {
		text(resp, 500, "out of memory\n");
		return;
	}
	agent_metrics__write(a, f);
	fclose(f);
	resp->status = 200;
	resp->content_type = METRICS_CONTENT_TYPE;
	resp->body = buf;
	resp->len = len;
}

static void serve_pprof(struct agent *a, const struct http_request *req, const char *name,
			struct http_response *resp)
{
	const char *pid_arg = http_request__arg(req, "pid");
	int kind = kind_of(name), pid = -1;
	struct report *r, *v;
	uint8_t *buf;
	size_t len;
	int err;

	if (kind < 0 || kind == KIND_MALLOC) {
		text(resp, 404, "unknown profile \"%s\": one of mmap, brk, fd, goroutine, "
		     "go_heap (heap), go_alloc (allocs)\n", name);
		return;
	}
	if (pid_arg) {
		char *end;
		long n;

		/* The whole argument, in range: pid + 2^32 must not land on
		 * pid once cut to an int. */
		errno = 0;
		n = strtol(pid_arg, &end, 10);
		if (errno || end == pid_arg || *end || n <= 0 || n > INT_MAX ||
		    !collector__find(&a->coll, (int)n)) {
			text(resp, 404, "pid %s is not traced\n", pid_arg);
			return;
		}
		pid = (int)n;
	}
	if (!a->loaded) {
		text(resp, 503, "nothing is traced (probabilistic threshold 0)\n");
		return;
	}
	r = report__build_traced(&a->coll, &a->probes, 0, false);
	v = profile__view(r, pid);
	err = profile__pprof(v, kind, &buf, &len);
	profile__view_free(v);
	report__free(r);
	if (err) {
		text(resp, 500, "cannot encode the profile: %s\n", strerror(-err));
		return;
	}
	resp->status = 200;
	resp->content_type = "application/octet-stream";
	resp->body = (char *)buf;
	resp->len = len;
}

void agent_http__handle(void *ctx, const struct http_request *req,
			struct http_response *resp)
{
	struct agent *a = ctx;
	const char *path = req->path;

	if (!strcmp(path, "/metrics")) {
		serve_metrics(a, resp);
	} else if (a->o.serve_pprof && (!strcmp(path, "/debug/pprof/") ||
					!strcmp(path, "/debug/pprof"))) {
		text(resp, 200, "leakscope profiles (gzip pprof; ?pid=N for one process):\n"
		     "/debug/pprof/mmap\n/debug/pprof/brk\n/debug/pprof/fd\n"
		     "/debug/pprof/goroutine\n/debug/pprof/heap (go_heap)\n"
		     "/debug/pprof/allocs (go_alloc, since tracing began)\n");
	} else if (a->o.serve_pprof && !strncmp(path, "/debug/pprof/", 13)) {
		serve_pprof(a, req, path + 13, resp);
	} else if (!strcmp(path, "/")) {
		text(resp, 200, "leakscope agent: /metrics%s\n",
		     a->o.serve_pprof ? ", /debug/pprof/" : "");
	} else {
		text(resp, 404, "not found: %s (try /metrics)\n", path);
	}
}
