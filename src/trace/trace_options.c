// SPDX-License-Identifier: MIT
#include "trace/trace_options.h"
#include "trace/goprobes.h"
#include "trace/mallocprobes.h"
#include "base/parse.h"
#include "base/util.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* A mode option's modes, in the order help lists them. */
struct mode_name {
	int mode;
	const char *name;
	const char *what;
};

static const struct mode_name go_alloc_modes[] = {
	{ GO_ALLOC_SAMPLED, "sampled",
	  "the runtime's own samples, scaled like pprof (~1 probe hit per 512 KiB)" },
	{ GO_ALLOC_ALL, "all", "every allocation (a probe hit each: short sessions)" },
	{ GO_ALLOC_OFF, "off", "no allocation probes" },
	{ GO_ALLOC_CHECK, "check",
	  "both, to verify on a new Go release that every allocation is counted "
	  "once (run the target with MemProfileRate 1 and compare the two counts "
	  "in the JSON)" },
};

static const struct mode_name go_goroutines_modes[] = {
	{ GO_GOROUTINES_TRACE, "trace",
	  "probes on creation and exit (exact lifetimes, full creation stacks, two probe "
	  "hits per goroutine)" },
	{ GO_GOROUTINES_SNAPSHOT, "snapshot",
	  "no goroutine probe, the runtime's list of goroutines walked every second or "
	  "less often (at most 1% of a CPU), ages from when first seen, the creation "
	  "site from the go statement only" },
};

static const struct mode_name malloc_modes[] = {
	{ MALLOC_OFF, "off", "no probes (each call of the family would cost a probe hit)" },
	{ MALLOC_SAMPLED, "sampled",
	  "by bytes, about one block per --malloc-rate bytes, scaled like pprof (a probe "
	  "hit per malloc and per free)" },
	{ MALLOC_ALL, "all", "every block (a return probe more per allocation: short sessions)" },
};

/* One row per option: its name, what its value looks like, what it sets
 * (which values it takes: takes()). */
static const struct {
	const char *name;
	const char *arg;	/* NULL: made from the command's modes */
	const char *what;
} specs[TRACE_OPT_MAX] = {
	[TRACE_OPT_STACK_DEPTH] = { "stack-depth", "FRAMES",
		"User stack frames captured per event" },
	[TRACE_OPT_STACK_SNAPSHOT] = { "stack-snapshot", "KIB",
		"User stack copied per native event for complete (CFI) stacks" },
	[TRACE_OPT_RING_BUFFER] = { "ring-buffer", "MIB",
		"Size of the ring buffer that carries every event" },
	[TRACE_OPT_SUSPECT_AGE] = { "suspect-age", "SECONDS",
		"A stack is a suspected leak only if its oldest item is older" },
	[TRACE_OPT_GO_ALLOC] = { "go-alloc", NULL, "Go heap allocations" },
	[TRACE_OPT_GO_GOROUTINES] = { "go-goroutines", NULL, "Go goroutines" },
	[TRACE_OPT_MALLOC] = { "malloc", NULL,
		"Heap blocks of the malloc family (malloc, free, realloc, operator new, ...) "
		"per allocation stack" },
	[TRACE_OPT_MALLOC_RATE] = { "malloc-rate", "BYTES",
		"Mean bytes allocated between samples with --malloc=sampled" },
};

_Static_assert((uint64_t)TRACE_RINGBUF_MIB_MAX << 20 == 1ULL << 31,
	       "the largest ring buffer is the largest __u32 power of two");

const char *trace_option__name(enum trace_option opt)
{
	return opt >= 0 && opt < TRACE_OPT_MAX ? specs[opt].name : NULL;
}

int trace_option__find(const char *name)
{
	for (int i = 0; i < TRACE_OPT_MAX; i++)
		if (!strcmp(specs[i].name, name))
			return i;
	return -1;
}

/* The modes of a mode option, which of them this command offers, and
 * the one chosen now. */
struct modes {
	const struct mode_name *v;
	size_t n;
	unsigned offered;	/* bit (1 << mode) for each */
	int current;
};

static bool modes_of(enum trace_option opt, const struct trace_options *o, struct modes *m)
{
	switch (opt) {
	case TRACE_OPT_GO_ALLOC:
		*m = (struct modes){ go_alloc_modes, ARRAY_SIZE(go_alloc_modes),
				     o->go_alloc_modes, o->go_alloc };
		return true;
	case TRACE_OPT_GO_GOROUTINES:
		/* both commands offer both: only the default differs */
		*m = (struct modes){ go_goroutines_modes, ARRAY_SIZE(go_goroutines_modes),
				     1u << GO_GOROUTINES_TRACE | 1u << GO_GOROUTINES_SNAPSHOT,
				     o->go_goroutines };
		return true;
	case TRACE_OPT_MALLOC:
		*m = (struct modes){ malloc_modes, ARRAY_SIZE(malloc_modes),
				     o->malloc_modes, o->malloc };
		return true;
	default:
		return false;
	}
}

static bool offers(const struct modes *m, int mode)
{
	return m->offered & (1u << mode);
}

/* "sampled|all|off|check" (sep "|"), or "sampled, all, off or check". */
static void mode_names(const struct modes *m, const char *sep, const char *last_sep,
		       char *buf, size_t size)
{
	size_t n = 0, total = 0;

	for (size_t i = 0; i < m->n; i++)
		total += offers(m, m->v[i].mode);
	buf[0] = '\0';
	for (size_t i = 0; i < m->n; i++) {
		if (!offers(m, m->v[i].mode))
			continue;
		snprintf(buf + strlen(buf), size - strlen(buf), "%s%s",
			 !n ? "" : n + 1 == total ? last_sep : sep, m->v[i].name);
		n++;
	}
}

static const char *mode_name(const struct modes *m, int mode)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->v[i].mode == mode)
			return m->v[i].name;
	return "?";
}

static int parse_mode(const struct modes *m, const char *s, int *mode)
{
	for (size_t i = 0; i < m->n; i++)
		if (!strcmp(s, m->v[i].name)) {
			if (!offers(m, m->v[i].mode))
				return -EINVAL;
			*mode = m->v[i].mode;
			return 0;
		}
	return -EINVAL;
}

void trace_option__arg(enum trace_option opt, const struct trace_options *o,
		       char *buf, size_t size)
{
	struct modes m;

	if (modes_of(opt, o, &m))
		mode_names(&m, "|", "|", buf, size);
	else
		snprintf(buf, size, "%s", specs[opt].arg);
}

/* Which values opt takes, in words, for help and errors alike. */
static void takes(enum trace_option opt, const struct trace_options *o,
		  char *buf, size_t size)
{
	struct modes m;

	if (modes_of(opt, o, &m)) {
		mode_names(&m, ", ", " or ", buf, size);
		return;
	}
	switch (opt) {
	case TRACE_OPT_STACK_DEPTH:
		snprintf(buf, size, "1 to %d", TRACE_STACK_DEPTH_MAX);
		break;
	case TRACE_OPT_STACK_SNAPSHOT:
		snprintf(buf, size, "KiB: 0 (frame pointers only) or a multiple of %d up to %d",
			 TRACE_SNAPSHOT_KIB_STEP, TRACE_SNAPSHOT_KIB_MAX);
		break;
	case TRACE_OPT_RING_BUFFER:
		snprintf(buf, size, "MiB: a power of two from 1 to %u", TRACE_RINGBUF_MIB_MAX);
		break;
	case TRACE_OPT_SUSPECT_AGE:
		snprintf(buf, size, "seconds, or with a unit: 250ms, 90s, 5m, 2h");
		break;
	case TRACE_OPT_MALLOC_RATE:
		snprintf(buf, size, "bytes from 1 to %lluG, or with a unit: 64K, 4M",
			 (unsigned long long)(TRACE_MALLOC_RATE_MAX >> 30));
		break;
	default:
		snprintf(buf, size, "?");
	}
}

void trace_option__help(enum trace_option opt, const struct trace_options *o,
			char *buf, size_t size)
{
	char values[64] = "", words[256];
	struct modes m;

	if (modes_of(opt, o, &m)) {
		snprintf(buf, size, "%s:", specs[opt].what);
		for (size_t i = 0; i < m.n; i++)
			if (offers(&m, m.v[i].mode))
				snprintf(buf + strlen(buf), size - strlen(buf), " %s, %s;",
					 m.v[i].name, m.v[i].what);
		snprintf(buf + strlen(buf) - 1, size - strlen(buf) + 1, " (default %s)",
			 mode_name(&m, m.current));
		return;
	}
	switch (opt) {
	case TRACE_OPT_STACK_DEPTH:
		snprintf(values, sizeof(values), "%u", o->stack_depth);
		break;
	case TRACE_OPT_STACK_SNAPSHOT:
		snprintf(values, sizeof(values), "%u", o->snapshot_kib);
		break;
	case TRACE_OPT_RING_BUFFER:
		snprintf(values, sizeof(values), "%u", o->ringbuf_mib);
		break;
	case TRACE_OPT_SUSPECT_AGE:
		snprintf(values, sizeof(values), "%g", o->suspect_age_s);
		break;
	case TRACE_OPT_MALLOC_RATE:
		snprintf(values, sizeof(values), "%llu", (unsigned long long)o->malloc_rate);
		break;
	default:
		buf[0] = '\0';
		return;
	}
	takes(opt, o, words, sizeof(words));
	snprintf(buf, size, "%s; %s (default %s)", specs[opt].what, words, values);
}

int trace_option__set(struct trace_options *o, enum trace_option opt,
		      const char *value, char *err, size_t errlen)
{
	uint64_t v = 0;
	int ret = -EINVAL;
	char words[256];
	struct modes m;

	switch (opt) {
	case TRACE_OPT_STACK_DEPTH:
		ret = parse__uint(value, 1, TRACE_STACK_DEPTH_MAX, &v);
		if (!ret)
			o->stack_depth = (unsigned)v;
		break;
	case TRACE_OPT_STACK_SNAPSHOT:
		ret = parse__uint(value, 0, TRACE_SNAPSHOT_KIB_MAX, &v);
		if (!ret && v % TRACE_SNAPSHOT_KIB_STEP)
			ret = -EINVAL;
		if (!ret)
			o->snapshot_kib = (unsigned)v;
		break;
	case TRACE_OPT_RING_BUFFER:
		ret = parse__uint(value, 1, TRACE_RINGBUF_MIB_MAX, &v);
		if (!ret && (v & (v - 1)))
			ret = -EINVAL;
		if (!ret)
			o->ringbuf_mib = (unsigned)v;
		break;
	case TRACE_OPT_SUSPECT_AGE:
		ret = parse__seconds(value, &o->suspect_age_s);
		break;
	case TRACE_OPT_GO_ALLOC:
		modes_of(opt, o, &m);
		ret = parse_mode(&m, value, &o->go_alloc);
		break;
	case TRACE_OPT_GO_GOROUTINES:
		modes_of(opt, o, &m);
		ret = parse_mode(&m, value, &o->go_goroutines);
		break;
	case TRACE_OPT_MALLOC:
		modes_of(opt, o, &m);
		ret = parse_mode(&m, value, &o->malloc);
		break;
	case TRACE_OPT_MALLOC_RATE:
		ret = parse__size(value, &v);
		if (!ret && (!v || v > TRACE_MALLOC_RATE_MAX))
			ret = -ERANGE;
		if (!ret)
			o->malloc_rate = v;
		break;
	default:
		break;
	}
	if (ret) {
		takes(opt, o, words, sizeof(words));
		snprintf(err, errlen, "invalid --%s '%s' (%s)",
			 trace_option__name(opt) ? trace_option__name(opt) : "?", value, words);
	}
	return ret;
}

uint64_t trace_options__ringbuf_bytes(const struct trace_options *o)
{
	return (uint64_t)o->ringbuf_mib << 20;
}
