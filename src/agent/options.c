// SPDX-License-Identifier: MIT
#include "agent/options.h"
#include "agent/config_file.h"
#include "trace/goprobes.h"
#include "trace/mallocprobes.h"
#include "leakscope.h"
#include "base/logfmt.h"
#include "base/util.h"

#include <errno.h>
#include <math.h>
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
	T_UINT,
	T_FLAG,
	T_SEED,
	T_LOG_LEVEL,
	T_GO_ALLOC,
	T_MALLOC,
	T_CONFIG,
	T_VERBOSE,
	T_HELP,
};

struct opt {
	const char *name;
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
	{ "suspect-age", 0, T_DURATION, OFF(suspect_age_s), "DURATION",
	  "a suspected leak's oldest item is older than this (default 30s)" },
	{ "stack-depth", 0, T_UINT, OFF(stack_depth), "FRAMES", "frames per stack (1-127, default 127)" },
	{ "stack-snapshot", 0, T_UINT, OFF(snapshot_kib), "KIB",
	  "user stack copied per native event for CFI unwinding (0-64, default 16)" },
	{ "ring-buffer", 0, T_UINT, OFF(ringbuf_mib), "MIB",
	  "ring buffer size, a power of two (default 32)" },
	{ "go-alloc", 0, T_GO_ALLOC, OFF(go_alloc), "sampled|off",
	  "Go allocations at the runtime's own sampling rate (default), or none" },
	{ "malloc", 0, T_MALLOC, OFF(malloc_mode), "sampled|off",
	  "heap blocks of the malloc family, sampled by bytes (a uprobe hit per malloc "
	  "and per free of every traced process; default off)" },
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
	o->suspect_age_s = 30;
	o->stack_depth = LS_MAX_STACK_DEPTH;
	o->snapshot_kib = 16;
	o->ringbuf_mib = 32;
	o->go_alloc = GO_ALLOC_SAMPLED;
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

int agent_options__duration(const char *s, double *out)
{
	static const struct { const char *unit; double mult; } units[] = {
		{ "", 1 }, { "s", 1 }, { "ms", 1e-3 }, { "m", 60 }, { "h", 3600 },
	};
	char *end;
	double v;

	if (!s || !*s)
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || !isfinite(v) || v < 0)
		return -EINVAL;
	for (size_t i = 0; i < ARRAY_SIZE(units); i++)
		if (!strcmp(end, units[i].unit)) {
			*out = v * units[i].mult;
			return 0;
		}
	return -EINVAL;
}

int agent_options__size(const char *s, uint64_t *out)
{
	char *end;
	double v;
	int shift = 0;

	if (!s || !*s)
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || !isfinite(v) || v < 0)
		return -EINVAL;
	switch (*end) {
	case '\0': break;
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	default: return -EINVAL;
	}
	if (*end == 'i' && shift)
		end++;
	if (*end == 'B' || (*end == 'b' && shift))
		end++;
	if (*end || v * (double)(1ULL << shift) > 1e18)
		return -EINVAL;
	*out = (uint64_t)(v * (double)(1ULL << shift));
	return 0;
}

static int parse_ulong(const char *s, unsigned long long max, unsigned long long *out)
{
	char *end;
	unsigned long long v;

	if (!s || !*s || *s == '-')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end || v > max)
		return -EINVAL;
	*out = v;
	return 0;
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
	unsigned long long port;

	if (!colon || colon == s || parse_ulong(colon + 1, 65535, &port))
		return -EINVAL;
	if (s[0] == '[' && colon[-1] != ']')
		return -EINVAL;
	return 0;
}

static const struct opt *find_opt(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(table); i++)
		if (!strcmp(table[i].name, name))
			return &table[i];
	return NULL;
}

static int set_opt(struct agent_options *o, const struct opt *t, const char *v,
		   char *err, size_t errlen)
{
	void *field = (char *)o + t->off;
	unsigned long long u;
	double d;

	switch (t->type) {
	case T_LIST:
		if (list_add(field, v))
			goto bad;
		return 0;
	case T_PIDS: {
		char *copy = xstrdup(v), *rest = copy, *piece;
		int ret = 0;

		while ((piece = strsep(&rest, ","))) {
			if (!*piece)
				continue;
			if (parse_ulong(piece, 4194304, &u) || !u) {
				ret = -EINVAL;
				break;
			}
			o->pids = xrealloc(o->pids, (o->npids + 1) * sizeof(*o->pids));
			o->pids[o->npids++] = (int)u;
		}
		free(copy);
		if (ret || !o->npids)
			goto bad;
		return 0;
	}
	case T_STR:
		if (!*v)
			goto bad;
		free(*(char **)field);
		*(char **)field = xstrdup(v);
		return 0;
	case T_LISTEN:
		free(*(char **)field);
		*(char **)field = NULL;
		if (!strcmp(v, "off") || !strcmp(v, "none") || !*v)
			return 0;
		if (check_listen(v))
			goto bad;
		*(char **)field = xstrdup(v);
		return 0;
	case T_DURATION:
		if (agent_options__duration(v, &d))
			goto bad;
		*(double *)field = d;
		return 0;
	case T_PERCENT: {
		char *end;

		errno = 0;
		d = strtod(v, &end);
		if (errno || end == v || (*end && strcmp(end, "%")) || !(d >= 0 && d <= 100))
			goto bad;
		*(double *)field = d;
		return 0;
	}
	case T_COUNT:
		if (parse_ulong(v, (size_t)-1 / 2, &u) || !u)
			goto bad;
		*(size_t *)field = (size_t)u;
		return 0;
	case T_BYTES: {
		uint64_t b;

		if (agent_options__size(v, &b) || !b)
			goto bad;
		*(uint64_t *)field = b;
		return 0;
	}
	case T_UINT:
		if (parse_ulong(v, 1u << 30, &u))
			goto bad;
		*(unsigned *)field = (unsigned)u;
		return 0;
	case T_FLAG:
		if (parse_bool(v, (bool *)field))
			goto bad;
		return 0;
	case T_SEED:
		if (parse_ulong(v, ~0ULL, &u))
			goto bad;
		o->sampling_seed = u;
		o->seed_set = true;
		return 0;
	case T_LOG_LEVEL: {
		enum log_level l;

		if (logfmt__parse_level(v, &l))
			goto bad;
		o->log_level = l;
		return 0;
	}
	case T_GO_ALLOC:
		if (!strcmp(v, "sampled"))
			o->go_alloc = GO_ALLOC_SAMPLED;
		else if (!strcmp(v, "off"))
			o->go_alloc = GO_ALLOC_OFF;
		else
			goto bad;
		return 0;
	case T_MALLOC:
		/* a fleet gets the sampled mode only: every block of every
		 * process would cost a return probe per allocation */
		if (!strcmp(v, "sampled"))
			o->malloc_mode = MALLOC_SAMPLED;
		else if (!strcmp(v, "off"))
			o->malloc_mode = MALLOC_OFF;
		else
			goto bad;
		return 0;
	case T_VERBOSE:
		o->verbose++;
		o->log_level = LOG_DEBUG;
		return 0;
	case T_CONFIG:
	case T_HELP:
		snprintf(err, errlen, "%s cannot be set in a config file", t->name);
		return -EINVAL;
	}
bad:
	snprintf(err, errlen, "invalid value for %s: \"%s\" (expected %s)", t->name, v,
		 t->arg ? t->arg : "true or false");
	return -EINVAL;
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

void agent_options__usage(FILE *f)
{
	fprintf(f,
		"Usage: leakscope agent [OPTION...]\n"
		"Fleet mode: trace every process on this host (or those the filters pick),\n"
		"export per-process metrics for Prometheus and push profiles to a\n"
		"Pyroscope-compatible server. Runs in the foreground; SIGTERM flushes and stops.\n"
		"Filters of different kinds must all match; values of one kind are alternatives.\n\n");
	for (size_t i = 0; i < ARRAY_SIZE(table); i++) {
		const struct opt *t = &table[i];
		char head[80];

		snprintf(head, sizeof(head), "%c%c%s--%s%s%s", t->short_name ? '-' : ' ',
			 t->short_name ? t->short_name : ' ', t->short_name ? ", " : "  ",
			 t->name, t->arg ? " " : "", t->arg ? t->arg : "");
		fprintf(f, "  %-40s %s\n", head, t->help);
	}
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

/*
 * One walk of argv. pass 0 only looks for --config and --help; pass 1
 * sets everything else (after the file was read, so flags win).
 */
static int walk(struct agent_options *o, int argc, char **argv, int pass,
		bool *from_flag)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *value = NULL;
		const struct opt *t = NULL;
		char name[64], err[512];

		if (a[0] == '-' && a[1] == '-' && a[2]) {
			const char *eq = strchr(a + 2, '=');
			size_t n = eq ? (size_t)(eq - a - 2) : strlen(a + 2);

			snprintf(name, sizeof(name), "%.*s", (int)MIN(n, sizeof(name) - 1), a + 2);
			t = find_opt(name);
			if (eq)
				value = eq + 1;
			if (!t && !strncmp(name, "no-", 3) && (t = find_opt(name + 3)) &&
			    t->type == T_FLAG && !eq) {
				value = "false";
			} else if (t && t->type == T_FLAG && eq) {
				/* --pprof=false */
			} else if (t && t->type == T_FLAG) {
				value = "true";
			} else if (t && eq && !takes_value(t)) {
				t = NULL;
			}
		} else if (a[0] == '-' && a[1] && !a[2]) {
			t = find_short(a[1]);
		}
		if (!t) {
			fprintf(stderr, "leakscope agent: unknown option \"%s\" "
				"(leakscope agent --help lists them)\n", a);
			return 2;
		}
		if (takes_value(t) && !value) {
			if (i + 1 >= argc) {
				fprintf(stderr, "leakscope agent: --%s needs a value (%s)\n",
					t->name, t->arg);
				return 2;
			}
			value = argv[++i];
		}
		if (t->type == T_HELP) {
			if (pass == 0) {
				agent_options__usage(stdout);
				return 1;
			}
			continue;
		}
		if (t->type == T_CONFIG) {
			if (pass == 0)
				o->config_path = value;
			continue;
		}
		if (pass == 0)
			continue;
		/* A list given on the command line replaces the file's. */
		if (!from_flag[t - table]) {
			from_flag[t - table] = true;
			if (t->type == T_LIST)
				list_clear((struct str_list *)((char *)o + t->off));
			if (t->type == T_PIDS) {
				free(o->pids);
				o->pids = NULL;
				o->npids = 0;
			}
		}
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
	if (!o->stack_depth || o->stack_depth > LS_MAX_STACK_DEPTH) {
		fprintf(stderr, "leakscope agent: --stack-depth must be 1-%d\n", LS_MAX_STACK_DEPTH);
		return 2;
	}
	if (o->snapshot_kib > 4 * LS_SNAPSHOT_MAX_PAGES || o->snapshot_kib % 4) {
		fprintf(stderr, "leakscope agent: --stack-snapshot must be a multiple of 4 up to %d\n",
			4 * LS_SNAPSHOT_MAX_PAGES);
		return 2;
	}
	if (o->ringbuf_mib < 1 || o->ringbuf_mib > 1024 || (o->ringbuf_mib & (o->ringbuf_mib - 1))) {
		fprintf(stderr, "leakscope agent: --ring-buffer must be a power of two, 1-1024 MiB\n");
		return 2;
	}
	if (o->sampling_interval_s < 0.01 || o->push_interval_s < 0.01 ||
	    o->verdict_interval_s < 0.01 || o->overhead_window_s < 0.01) {
		fprintf(stderr, "leakscope agent: intervals must be at least 10ms\n");
		return 2;
	}
	if (o->push_url && strncmp(o->push_url, "http://", 7) && strncmp(o->push_url, "https://", 8)) {
		fprintf(stderr, "leakscope agent: --push-url must start with http:// or https://\n");
		return 2;
	}
	return 0;
}
