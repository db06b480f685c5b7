// SPDX-License-Identifier: MIT
#include "agent/options.h"
#include "agent/config_file.h"
#include "trace/goprobes.h"
#include "trace/mallocprobes.h"
#include "base/logfmt.h"
#include "base/parse.h"
#include "base/util.h"

#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum opt_type {
	T_LIST,		/* repeatable, comma-separated */
	T_PIDS,
	T_STR,
	T_LISTEN,	/* ADDR:PORT, or "off" */
	T_DURATION,
	T_PERCENT,
	T_COUNT,	/* size_t > 0 */
	T_BYTES,
	T_FLAG,
	T_SEED,
	T_LOG_LEVEL,
	T_TRACE,	/* shared with the tracer: off is an enum trace_option */
	T_CONFIG,
	T_VERBOSE,
	T_HELP,
};

struct opt {
	const char *name;	/* NULL for T_TRACE: the shared table names it */
	char short_name;
	enum opt_type type;
	size_t off;
	const char *arg;
	const char *help;
};

#define OFF(f) offsetof(struct agent_options, f)

static const struct opt table[] = {
	{ "config", 'c', T_CONFIG, 0, "FILE",
	  "read options from FILE (`key = value` lines, these names); flags override it" },
	{ "comm", 0, T_LIST, OFF(comms), "PATTERN[,...]",
	  "trace processes whose comm matches (glob; repeatable)" },
	{ "exe", 0, T_LIST, OFF(exes), "PATTERN[,...]",
	  "trace processes whose executable path matches (glob; repeatable)" },
	{ "cgroup", 0, T_LIST, OFF(cgroups), "PATH[,...]",
	  "trace processes in this cgroup or below it (\"/system.slice/x.service\" or "
	  "a path under /sys/fs/cgroup; repeatable)" },
	{ "pid", 'p', T_PIDS, 0, "PID[,...]", "trace these processes (and their children)" },
	{ "probabilistic-threshold", 0, T_PERCENT, OFF(threshold), "P",
	  "trace during an interval only when this host's draw (0-100) is below P "
	  "(default 100: always; 0: never, nothing attached)" },
	{ "probabilistic-interval", 0, T_DURATION, OFF(sampling_interval_s), "DURATION",
	  "length of a sampling interval (default 1m)" },
	{ "sampling-seed", 0, T_SEED, OFF(sampling_seed), "N",
	  "seed of the sampling draws (default: random; for tests)" },
	{ "listen", 'l', T_LISTEN, OFF(listen), "ADDR:PORT|off",
	  "serve /metrics (and /debug/pprof) here (default " AGENT_DEFAULT_LISTEN ")" },
	{ "service", 0, T_STR, OFF(service), "NAME",
	  "service label of every process and push name (default: the process's comm)" },
	{ "host", 0, T_STR, OFF(host), "NAME", "host label of pushed profiles (default: hostname)" },
	{ "push-url", 0, T_STR, OFF(push_url), "URL",
	  "push profiles to this Pyroscope-compatible server (POST URL/ingest)" },
	{ "push-header", 0, T_LIST, OFF(push_headers), "'NAME: VALUE'",
	  "extra header on every push, e.g. 'X-Scope-OrgID: ops' (repeatable)" },
	{ "push-interval", 0, T_DURATION, OFF(push_interval_s), "DURATION",
	  "push (and write) profiles this often (default 60s)" },
	{ "push-queue", 0, T_COUNT, OFF(push_queue), "N",
	  "profiles waiting to be sent, at most; the oldest are dropped beyond (default 1024)" },
	{ "push-timeout", 0, T_DURATION, OFF(push_timeout_s), "DURATION",
	  "one push request's time limit (default 10s)" },
	{ "push-backoff-max", 0, T_DURATION, OFF(push_backoff_max_s), "DURATION",
	  "longest wait between retries of a failed push (default 30s)" },
	{ "output-dir", 0, T_STR, OFF(output_dir), "DIR",
	  "also write the profiles to DIR as SERVICE-PID-KIND-TIME.pb.gz" },
	{ "output-max-size", 0, T_BYTES, OFF(output_max_bytes), "SIZE",
	  "oldest files in --output-dir are removed beyond this total (default 256M)" },
	{ "pprof", 0, T_FLAG, OFF(serve_pprof), NULL,
	  "serve /debug/pprof/<kind>[?pid=N] on --listen (default on; `pprof = false` to turn off)" },
	{ "max-processes", 0, T_COUNT, OFF(max_processes), "N",
	  "processes traced at once, at most (default 4096)" },
	{ "max-items-per-process", 0, T_COUNT, OFF(max_items_per_process), "N",
	  "tracked items (mappings, heap growths, fds, goroutines) per process "
	  "(default 100000); the newest are evicted beyond, and counted" },
	{ "max-items", 0, T_COUNT, OFF(max_items), "N",
	  "tracked items over all processes (default 1000000): the biggest process "
	  "loses its newest items first" },
	{ "overhead-budget", 0, T_PERCENT, OFF(overhead_budget_pct), "PERCENT",
	  "pause the probes when the agent's CPU plus its BPF programs' run time "
	  "exceed this share of one CPU over a window (default 5; 0 = never)" },
	{ "overhead-window", 0, T_DURATION, OFF(overhead_window_s), "DURATION",
	  "window of the overhead check (default 10s)" },
	{ "overhead-backoff", 0, T_DURATION, OFF(overhead_backoff_s), "DURATION",
	  "first pause when over budget, doubled each time in a row (default 30s)" },
	{ "overhead-backoff-max", 0, T_DURATION, OFF(overhead_backoff_max_s), "DURATION",
	  "longest pause (default 10m)" },
	{ "verdict-interval", 0, T_DURATION, OFF(verdict_interval_s), "DURATION",
	  "sample every stack this often for growth rates and suspects (default 10s)" },
	{ NULL, 0, T_TRACE, TRACE_OPT_SUSPECT_AGE, NULL, NULL },
	{ NULL, 0, T_TRACE, TRACE_OPT_STACK_DEPTH, NULL, NULL },
	{ NULL, 0, T_TRACE, TRACE_OPT_STACK_SNAPSHOT, NULL, NULL },
	{ NULL, 0, T_TRACE, TRACE_OPT_RING_BUFFER, NULL, NULL },
	{ NULL, 0, T_TRACE, TRACE_OPT_GO_ALLOC, NULL, NULL },
	{ NULL, 0, T_TRACE, TRACE_OPT_GO_GOROUTINES, NULL, NULL },
	{ NULL, 0, T_TRACE, TRACE_OPT_MALLOC, NULL, NULL },
	{ NULL, 0, T_TRACE, TRACE_OPT_MALLOC_RATE, NULL, NULL },
	{ "shutdown-timeout", 0, T_DURATION, OFF(shutdown_timeout_s), "DURATION",
	  "on SIGTERM, how long the final push may take (default 10s)" },
	{ "log-level", 0, T_LOG_LEVEL, OFF(log_level), "debug|info|warn|error",
	  "least important log lines shown (default info)" },
	{ "verbose", 'v', T_VERBOSE, 0, NULL, "debug logs (twice: libbpf's too)" },
	{ "help", 'h', T_HELP, 0, NULL, "this text" },
};

void agent_options__defaults(struct agent_options *o)
{
	memset(o, 0, sizeof(*o));
	o->threshold = 100;
	o->sampling_interval_s = 60;
	o->listen = xstrdup(AGENT_DEFAULT_LISTEN);
	o->push_interval_s = 60;
	o->push_queue = 1024;
	o->push_timeout_s = 10;
	o->push_backoff_max_s = 30;
	o->output_max_bytes = 256ULL << 20;
	o->serve_pprof = true;
	o->max_processes = 4096;
	o->max_items_per_process = 100000;
	o->max_items = 1000000;
	o->overhead_budget_pct = 5;
	o->overhead_window_s = 10;
	o->overhead_backoff_s = 30;
	o->overhead_backoff_max_s = 600;
	o->verdict_interval_s = 10;
	o->trace.suspect_age_s = 30;
	o->trace.stack_depth = TRACE_STACK_DEPTH_MAX;
	o->trace.snapshot_kib = 16;
	o->trace.ringbuf_mib = 32;
	o->trace.go_alloc = GO_ALLOC_SAMPLED;
	/* every allocation, or both probes, is for a short session */
	o->trace.go_alloc_modes = 1u << GO_ALLOC_SAMPLED | 1u << GO_ALLOC_OFF;
	/* a fleet cannot pay two probe hits per goroutine */
	o->trace.go_goroutines = GO_GOROUTINES_SNAPSHOT;
	/* off unless asked: a probe hit per malloc and per free of every
	 * traced process; every block (a return probe more per allocation)
	 * is for a short session */
	o->trace.malloc = MALLOC_OFF;
	o->trace.malloc_modes = 1u << MALLOC_SAMPLED | 1u << MALLOC_OFF;
	o->trace.malloc_rate = MALLOC_SAMPLE_MEAN;
	o->shutdown_timeout_s = 10;
	o->log_level = LOG_INFO;
}

static void list_clear(struct str_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

void agent_options__free(struct agent_options *o)
{
	list_clear(&o->comms);
	list_clear(&o->exes);
	list_clear(&o->cgroups);
	list_clear(&o->push_headers);
	free(o->pids);
	free(o->listen);
	free(o->service);
	free(o->host);
	free(o->push_url);
	free(o->output_dir);
	memset(o, 0, sizeof(*o));
}

static int parse_bool(const char *s, bool *out)
{
	if (!s || !strcmp(s, "true") || !strcmp(s, "yes") || !strcmp(s, "on") || !strcmp(s, "1"))
		*out = true;
	else if (!strcmp(s, "false") || !strcmp(s, "no") || !strcmp(s, "off") || !strcmp(s, "0"))
		*out = false;
	else
		return -EINVAL;
	return 0;
}

/* Every comma-separated, non-empty piece of value appended. */
static int list_add(struct str_list *l, const char *value)
{
	char *copy = xstrdup(value), *rest = copy, *piece;
	size_t before = l->n;

	while ((piece = strsep(&rest, ","))) {
		while (*piece == ' ')
			piece++;
		for (char *e = piece + strlen(piece); e > piece && e[-1] == ' ';)
			*--e = '\0';
		if (!*piece)
			continue;
		l->v = xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
		l->v[l->n++] = xstrdup(piece);
	}
	free(copy);
	return l->n > before ? 0 : -EINVAL;
}

/* ADDR:PORT with ADDR an IPv4 address, a name, or [IPv6]. */
static int check_listen(const char *s)
{
	const char *colon = strrchr(s, ':');
	uint64_t port;

	if (!colon || colon == s || parse__uint(colon + 1, 0, 65535, &port))
		return -EINVAL;
	if (s[0] == '[' && colon[-1] != ']')
		return -EINVAL;
	return 0;
}

static const char *opt_name(const struct opt *t)
{
	return t->type == T_TRACE ? trace_option__name(t->off) : t->name;
}

/* What the value looks like, "" for flags; buf for the shared options. */
static const char *opt_arg(const struct opt *t, const struct agent_options *o,
			   char *buf, size_t size)
{
	if (t->type != T_TRACE)
		return t->arg ? t->arg : "";
	trace_option__arg(t->off, &o->trace, buf, size);
	return buf;
}

static const struct opt *find_opt(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(table); i++)
		if (!strcmp(opt_name(&table[i]), name))
			return &table[i];
	return NULL;
}

/* -p 12,34: every piece a PID. */
static int set_pids(struct agent_options *o, const char *v)
{
	char *copy = xstrdup(v), *rest = copy, *piece;
	int ret = 0, pid;

	while ((piece = strsep(&rest, ","))) {
		if (!*piece)
			continue;
		ret = parse__pid(piece, &pid);
		if (ret)
			break;
		o->pids = xrealloc(o->pids, (o->npids + 1) * sizeof(*o->pids));
		o->pids[o->npids++] = pid;
	}
	free(copy);
	return ret || !o->npids ? -EINVAL : 0;
}

/* A text option; --listen also takes "off" (no endpoint). */
static int set_text(char **field, enum opt_type type, const char *v)
{
	if (type == T_LISTEN && (!strcmp(v, "off") || !strcmp(v, "none") || !*v)) {
		free(*field);
		*field = NULL;
		return 0;
	}
	if (!*v || (type == T_LISTEN && check_listen(v)))
		return -EINVAL;
	free(*field);
	*field = xstrdup(v);
	return 0;
}

static int set_percent(double *field, const char *v)
{
	char *end;
	double d;

	errno = 0;
	d = strtod(v, &end);
	if (errno || end == v || (*end && strcmp(end, "%")) || !(d >= 0 && d <= 100))
		return -EINVAL;
	*field = d;
	return 0;
}

/* Durations, counts, sizes, the seed: numbers into their field. */
static int set_number(struct agent_options *o, enum opt_type type, void *field,
		      const char *v)
{
	uint64_t u;
	double d;

	switch (type) {
	case T_DURATION:
		if (parse__seconds(v, &d))
			return -EINVAL;
		*(double *)field = d;
		return 0;
	case T_PERCENT:
		return set_percent(field, v);
	case T_COUNT:
		if (parse__uint(v, 1, SIZE_MAX / 2, &u))
			return -EINVAL;
		*(size_t *)field = (size_t)u;
		return 0;
	case T_BYTES:
		if (parse__size(v, &u) || !u)
			return -EINVAL;
		*(uint64_t *)field = u;
		return 0;
	case T_SEED:
		if (parse__uint(v, 0, UINT64_MAX, &u))
			return -EINVAL;
		o->sampling_seed = u;
		o->seed_set = true;
		return 0;
	default:
		return -EINVAL;
	}
}

static int set_opt(struct agent_options *o, const struct opt *t, const char *v,
		   char *err, size_t errlen)
{
	void *field = (char *)o + t->off;
	enum log_level level;
	int ret;

	switch (t->type) {
	case T_TRACE:
		return trace_option__set(&o->trace, t->off, v, err, errlen);
	case T_LIST:
		ret = list_add(field, v);
		break;
	case T_PIDS:
		ret = set_pids(o, v);
		break;
	case T_STR:
	case T_LISTEN:
		ret = set_text(field, t->type, v);
		break;
	case T_DURATION:
	case T_PERCENT:
	case T_COUNT:
	case T_BYTES:
	case T_SEED:
		ret = set_number(o, t->type, field, v);
		break;
	case T_FLAG:
		ret = parse_bool(v, field);
		break;
	case T_LOG_LEVEL:
		ret = logfmt__parse_level(v, &level);
		if (!ret)
			o->log_level = level;
		break;
	case T_VERBOSE:
		o->verbose++;
		o->log_level = LOG_DEBUG;
		return 0;
	case T_CONFIG:
	case T_HELP:
	default:
		snprintf(err, errlen, "%s cannot be set in a config file", t->name);
		return -EINVAL;
	}
	if (ret) {
		snprintf(err, errlen, "invalid value for %s: \"%s\" (expected %s)", t->name, v,
			 t->arg ? t->arg : "true or false");
		return -EINVAL;
	}
	return 0;
}

int agent_options__set(struct agent_options *o, const char *name, const char *value,
		       char *err, size_t errlen)
{
	const struct opt *t = find_opt(name);

	if (!t) {
		snprintf(err, errlen, "unknown option \"%s\" (see leakscope agent --help)", name);
		return -EINVAL;
	}
	return set_opt(o, t, value, err, errlen);
}

static int config_set(void *ctx, const char *key, const char *value, char *err,
		      size_t errlen)
{
	return agent_options__set(ctx, key, value, err, errlen);
}

/* http(s)://HOST[:PORT][/PATH], parsed by libcurl (the client that will
 * use it): one line naming what is wrong. */
static int check_push_url(const char *url)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL;
	CURLUcode rc = u ? curl_url_set(u, CURLUPART_URL, url, 0) : CURLUE_OUT_OF_MEMORY;
	int bad = rc != CURLUE_OK;

	if (!bad) {
		bad = curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
		      (strcmp(scheme, "http") && strcmp(scheme, "https")) ||
		      curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || !*host;
	}
	if (bad)
		fprintf(stderr, "leakscope agent: invalid --push-url '%s': %s (give "
			"http://HOST[:PORT], e.g. http://pyroscope:4040)\n", url,
			rc != CURLUE_OK ? curl_url_strerror(rc) : "not an http(s) URL with a host");
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	return bad ? -EINVAL : 0;
}

/* "Name: value", the name an HTTP token, nothing in the value that could
 * end the header and start another (CR, LF, NUL). */
static int check_push_header(const char *h)
{
	const char *colon = strchr(h, ':');
	const char *why = NULL;

	if (!colon || colon == h)
		why = "no 'NAME:' before the value";
	for (const char *c = h; !why && c < colon; c++)
		if (!strchr("!#$%&'*+-.^_`|~", *c) && !isalnum((unsigned char)*c))
			why = "the name holds a character a header name cannot";
	for (const char *c = colon ? colon + 1 : h; !why && *c; c++)
		if ((unsigned char)*c < 0x20 && *c != '\t')
			why = "the value holds a control character (CR or LF would start "
			      "another header)";
	if (why) {
		char shown[256];
		size_t n = 0;

		/* shown escaped: the message stays one line */
		for (const char *c = h; *c && n + 5 < sizeof(shown); c++)
			n += (unsigned char)*c < 0x20 ?
				(size_t)snprintf(shown + n, sizeof(shown) - n, "\\x%02x",
						 (unsigned char)*c) :
				(size_t)snprintf(shown + n, sizeof(shown) - n, "%c", *c);
		shown[n] = '\0';
		fprintf(stderr, "leakscope agent: invalid --push-header '%s': %s (give "
			"'NAME: VALUE')\n", shown, why);
	}
	return why ? -EINVAL : 0;
}

void agent_options__usage(FILE *f)
{
	struct agent_options defaults;

	/* the shared options' help ends with this command's default */
	agent_options__defaults(&defaults);
	fprintf(f,
		"Usage: leakscope agent [OPTION...]\n"
		"Fleet mode: trace every process on this host (or those the filters pick),\n"
		"export per-process metrics for Prometheus and push profiles to a\n"
		"Pyroscope-compatible server. Runs in the foreground; SIGTERM flushes and stops.\n"
		"Filters of different kinds must all match; values of one kind are alternatives.\n\n");
	for (size_t i = 0; i < ARRAY_SIZE(table); i++) {
		const struct opt *t = &table[i];
		char head[80], arg[64], help[768];
		const char *a = opt_arg(t, &defaults, arg, sizeof(arg));

		snprintf(head, sizeof(head), "%c%c%s--%s%s%s", t->short_name ? '-' : ' ',
			 t->short_name ? t->short_name : ' ', t->short_name ? ", " : "  ",
			 opt_name(t), *a ? " " : "", a);
		if (t->type == T_TRACE) {
			trace_option__help(t->off, &defaults.trace, help, sizeof(help));
			help[0] = (char)tolower((unsigned char)help[0]);	/* as ours */
		}
		fprintf(f, "  %-40s %s\n", head, t->type == T_TRACE ? help : t->help);
	}
	agent_options__free(&defaults);
}

static const struct opt *find_short(char c)
{
	for (size_t i = 0; i < ARRAY_SIZE(table); i++)
		if (table[i].short_name == c)
			return &table[i];
	return NULL;
}

static bool takes_value(const struct opt *t)
{
	return t->type != T_FLAG && t->type != T_VERBOSE && t->type != T_HELP;
}

/* The option one argv word names ("--name", "--name=value", "--no-flag",
 * "-x"), with the value it carries; NULL if none. */
static const struct opt *recognize(const char *a, const char **value)
{
	const struct opt *t;
	const char *eq;
	char name[64];
	size_t n;

	*value = NULL;
	if (a[0] == '-' && a[1] && !a[2])
		return find_short(a[1]);
	if (a[0] != '-' || a[1] != '-' || !a[2])
		return NULL;
	eq = strchr(a + 2, '=');
	n = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
	snprintf(name, sizeof(name), "%.*s", (int)MIN(n, sizeof(name) - 1), a + 2);
	t = find_opt(name);
	if (eq)
		*value = eq + 1;
	if (!t && !strncmp(name, "no-", 3) && (t = find_opt(name + 3)) &&
	    t->type == T_FLAG && !eq)
		*value = "false";
	else if (t && t->type == T_FLAG && !eq)
		*value = "true";
	else if (t && t->type != T_FLAG && eq && !takes_value(t))
		t = NULL;	/* --help=x */
	return t;
}

/* A list given on the command line replaces the file's, the first time. */
static void forget_file_value(struct agent_options *o, const struct opt *t,
			      bool *from_flag)
{
	if (from_flag[t - table])
		return;
	from_flag[t - table] = true;
	if (t->type == T_LIST)
		list_clear((struct str_list *)((char *)o + t->off));
	if (t->type == T_PIDS) {
		free(o->pids);
		o->pids = NULL;
		o->npids = 0;
	}
}

/*
 * One walk of argv. pass 0 only looks for --config and --help; pass 1
 * sets everything else (after the file was read, so flags win).
 */
static int walk(struct agent_options *o, int argc, char **argv, int pass,
		bool *from_flag)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *value;
		const struct opt *t = recognize(a, &value);
		char err[512], arg[64];

		if (!t) {
			fprintf(stderr, "leakscope agent: unknown option \"%s\" "
				"(leakscope agent --help lists them)\n", a);
			return 2;
		}
		if (takes_value(t) && !value) {
			if (i + 1 >= argc) {
				fprintf(stderr, "leakscope agent: --%s needs a value (%s)\n",
					opt_name(t), opt_arg(t, o, arg, sizeof(arg)));
				return 2;
			}
			value = argv[++i];
		}
		if (t->type == T_HELP && pass == 0) {
			agent_options__usage(stdout);
			return 1;
		}
		if (t->type == T_CONFIG && pass == 0)
			o->config_path = value;
		if (t->type == T_HELP || t->type == T_CONFIG || pass == 0)
			continue;
		forget_file_value(o, t, from_flag);
		if (set_opt(o, t, value, err, sizeof(err))) {
			fprintf(stderr, "leakscope agent: %s\n", err);
			return 2;
		}
	}
	return 0;
}

int agent_options__parse(struct agent_options *o, int argc, char **argv)
{
	bool from_flag[ARRAY_SIZE(table)] = { 0 };
	char err[1024];
	int ret;

	agent_options__defaults(o);
	ret = walk(o, argc, argv, 0, from_flag);
	if (ret)
		return ret;
	if (o->config_path &&
	    agent_config__load(o->config_path, config_set, o, err, sizeof(err))) {
		fprintf(stderr, "leakscope agent: %s\n", err);
		return 2;
	}
	ret = walk(o, argc, argv, 1, from_flag);
	if (ret)
		return ret;
	if (o->sampling_interval_s < 0.01 || o->push_interval_s < 0.01 ||
	    o->verdict_interval_s < 0.01 || o->overhead_window_s < 0.01) {
		fprintf(stderr, "leakscope agent: intervals must be at least 10ms\n");
		return 2;
	}
	if (o->push_url && check_push_url(o->push_url))
		return 2;
	for (size_t i = 0; i < o->push_headers.n; i++)
		if (check_push_header(o->push_headers.v[i]))
			return 2;
	return 0;
}
