// SPDX-License-Identifier: MIT
#include "trace/trace_options.h"
#include "trace/goprobes.h"
#include "base/parse.h"
#include "base/util.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* What each --go-alloc mode does, in the order help lists them. */
static const struct {
	enum go_alloc_mode mode;
	const char *name;
	const char *what;
} go_alloc_modes[] = {
	{ GO_ALLOC_SAMPLED, "sampled",
	  "the runtime's own samples, scaled like pprof (~1 probe hit per 512 KiB)" },
	{ GO_ALLOC_ALL, "all", "every allocation (a probe hit each: short sessions)" },
	{ GO_ALLOC_OFF, "off", "no allocation probes" },
	{ GO_ALLOC_CHECK, "check",
	  "both, to verify on a new Go release that every allocation is counted "
	  "once (run the target with MemProfileRate 1 and compare the two counts "
	  "in the JSON)" },
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

static bool offers(const struct trace_options *o, enum go_alloc_mode m)
{
	return o->go_alloc_modes & (1u << m);
}

/* "sampled|all|off|check" (sep "|"), or "sampled, all, off or check". */
static void go_alloc_names(const struct trace_options *o, const char *sep,
			   const char *last_sep, char *buf, size_t size)
{
	size_t n = 0, total = 0;

	for (size_t i = 0; i < ARRAY_SIZE(go_alloc_modes); i++)
		total += offers(o, go_alloc_modes[i].mode);
	buf[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(go_alloc_modes); i++) {
		if (!offers(o, go_alloc_modes[i].mode))
			continue;
		snprintf(buf + strlen(buf), size - strlen(buf), "%s%s",
			 !n ? "" : n + 1 == total ? last_sep : sep, go_alloc_modes[i].name);
		n++;
	}
}

static const char *go_alloc_name(enum go_alloc_mode m)
{
	for (size_t i = 0; i < ARRAY_SIZE(go_alloc_modes); i++)
		if (go_alloc_modes[i].mode == m)
			return go_alloc_modes[i].name;
	return "?";
}

void trace_option__arg(enum trace_option opt, const struct trace_options *o,
		       char *buf, size_t size)
{
	if (opt == TRACE_OPT_GO_ALLOC)
		go_alloc_names(o, "|", "|", buf, size);
	else
		snprintf(buf, size, "%s", specs[opt].arg);
}

/* Which values opt takes, in words, for help and errors alike. */
static void takes(enum trace_option opt, const struct trace_options *o,
		  char *buf, size_t size)
{
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
	case TRACE_OPT_GO_ALLOC:
		go_alloc_names(o, ", ", " or ", buf, size);
		break;
	default:
		snprintf(buf, size, "?");
	}
}

void trace_option__help(enum trace_option opt, const struct trace_options *o,
			char *buf, size_t size)
{
	char values[64] = "", words[256];

	switch (opt) {
	case TRACE_OPT_GO_ALLOC:
		snprintf(buf, size, "%s:", specs[opt].what);
		for (size_t i = 0; i < ARRAY_SIZE(go_alloc_modes); i++)
			if (offers(o, go_alloc_modes[i].mode))
				snprintf(buf + strlen(buf), size - strlen(buf), " %s, %s;",
					 go_alloc_modes[i].name, go_alloc_modes[i].what);
		snprintf(buf + strlen(buf) - 1, size - strlen(buf) + 1, " (default %s)",
			 go_alloc_name(o->go_alloc));
		return;
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
	default:
		buf[0] = '\0';
		return;
	}
	takes(opt, o, words, sizeof(words));
	snprintf(buf, size, "%s; %s (default %s)", specs[opt].what, words, values);
}

static int parse_go_alloc(const struct trace_options *o, const char *s, int *mode)
{
	for (size_t i = 0; i < ARRAY_SIZE(go_alloc_modes); i++)
		if (!strcmp(s, go_alloc_modes[i].name)) {
			if (!offers(o, go_alloc_modes[i].mode))
				return -EINVAL;
			*mode = go_alloc_modes[i].mode;
			return 0;
		}
	return -EINVAL;
}

int trace_option__set(struct trace_options *o, enum trace_option opt,
		      const char *value, char *err, size_t errlen)
{
	uint64_t v = 0;
	int ret = -EINVAL;
	char words[256];

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
		ret = parse_go_alloc(o, value, &o->go_alloc);
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
