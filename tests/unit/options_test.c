// SPDX-License-Identifier: MIT
/*
 * The options the tracer and the agent share (trace/trace_options.h):
 * both commands accept exactly the same values and refuse the others
 * with the same one line, and the ring buffer's limit is the kernel's.
 */
#include "check.h"

#include "agent/options.h"
#include "cli/options.h"
#include "trace/goprobes.h"
#include "trace/mallocprobes.h"
#include "trace/trace_options.h"

#include <linux/bpf.h>
#include <stdbool.h>
#include <unistd.h>

/* Runs a parse with stderr caught; returns its status, *err its text. */
struct caught {
	int status;
	char err[1024];
};

static struct caught parse_caught(bool agent, const char *name, const char *value)
{
	char flag[64], *argv[6];
	struct caught c = { 0 };
	FILE *tmp = tmpfile();
	int saved = dup(STDERR_FILENO);
	size_t n;

	snprintf(flag, sizeof(flag), "--%s", name);
	fflush(stderr);
	dup2(fileno(tmp), STDERR_FILENO);
	if (agent) {
		struct agent_options o;

		argv[0] = "agent";
		argv[1] = flag;
		argv[2] = (char *)value;
		argv[3] = NULL;
		c.status = agent_options__parse(&o, 3, argv);
		agent_options__free(&o);
	} else {
		struct options o;

		argv[0] = "leakscope";
		argv[1] = flag;
		argv[2] = (char *)value;
		argv[3] = "-p";
		argv[4] = "1";
		argv[5] = NULL;
		c.status = options__parse(&o, 5, argv);
	}
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	rewind(tmp);
	n = fread(c.err, 1, sizeof(c.err) - 1, tmp);
	c.err[n] = '\0';
	fclose(tmp);
	return c;
}

/* The same verdict from both commands; the refusal one line, the same
 * after the command's name. Returns whether the value was taken. */
static bool both_agree(const char *name, const char *value)
{
	struct caught t = parse_caught(false, name, value);
	struct caught a = parse_caught(true, name, value);
	const char *tl = strchr(t.err, ':'), *al = strchr(a.err, ':');

	if (t.status != a.status) {
		fprintf(stderr, "  --%s %s: tracer %d (%s), agent %d (%s)\n", name, value,
			t.status, t.err, a.status, a.err);
		check_failures++;
	}
	if (t.status == 0)
		return true;
	CHECK_EQ_I(t.status, 2);
	CHECK(strchr(t.err, '\n') == t.err + strlen(t.err) - 1);	/* one line */
	CHECK(strchr(a.err, '\n') == a.err + strlen(a.err) - 1);
	CHECK_EQ_S(tl ? tl : "", al ? al : "?");
	CHECK(strstr(t.err, value) != NULL);	/* names what was wrong */
	return false;
}

TEST(ring_buffer_limit_is_the_kernels)
{
	union bpf_attr attr;
	/* max_entries is the ring's size in bytes: the largest power of two
	 * the field holds */
	uint64_t largest = 1ULL << (sizeof(attr.max_entries) * 8 - 1);

	CHECK_EQ_U((uint64_t)TRACE_RINGBUF_MIB_MAX << 20, largest);
}

TEST(ring_buffer_same_range_for_both_commands)
{
	char v[32];
	unsigned taken = 0;

	for (unsigned mib = 0; mib <= 2 * TRACE_RINGBUF_MIB_MAX + 1; mib++) {
		bool pow2 = mib && !(mib & (mib - 1));
		bool ok;

		snprintf(v, sizeof(v), "%u", mib);
		ok = both_agree("ring-buffer", v);
		if (ok != (pow2 && mib <= TRACE_RINGBUF_MIB_MAX)) {
			fprintf(stderr, "  --ring-buffer %u: %s\n", mib, ok ? "taken" : "refused");
			check_failures++;
		}
		taken += ok;
	}
	CHECK_EQ_U(taken, 12);	/* 1, 2, 4 ... 2048 */
	/* 2^32 and beyond: the old 32-bit shift made 4096 a 0-byte ring */
	CHECK(!both_agree("ring-buffer", "4096"));
	CHECK(!both_agree("ring-buffer", "4294967296"));
	CHECK(!both_agree("ring-buffer", "-1"));
	CHECK(!both_agree("ring-buffer", "0x100"));
}

TEST(ring_buffer_bytes_do_not_overflow)
{
	struct trace_options o = { .ringbuf_mib = TRACE_RINGBUF_MIB_MAX };

	CHECK_EQ_U(trace_options__ringbuf_bytes(&o), 2048ULL * 1024 * 1024);
}

TEST(stack_options_same_range_for_both_commands)
{
	char v[32];

	for (unsigned n = 0; n <= 300; n++) {
		snprintf(v, sizeof(v), "%u", n);
		CHECK_EQ_I(both_agree("stack-depth", v), n >= 1 && n <= LS_MAX_STACK_DEPTH);
		CHECK_EQ_I(both_agree("stack-snapshot", v),
			   n % (LS_PAGE_BYTES / 1024) == 0 &&
			   n <= LS_SNAPSHOT_MAX_PAGES * LS_PAGE_BYTES / 1024);
	}
	CHECK(!both_agree("stack-depth", ""));
	CHECK(!both_agree("stack-depth", "12 "));
	CHECK(!both_agree("stack-snapshot", "+4"));
}

TEST(suspect_age_same_for_both_commands)
{
	static const struct { const char *text; double seconds; } good[] = {
		{ "0", 0 }, { "2", 2 }, { "0.5", 0.5 }, { "250ms", 0.25 }, { "90s", 90 },
		{ "5m", 300 }, { "2h", 7200 },
	};
	static const char *const bad[] = { "-1", "soon", "5 s", "1d", "nan", "1e9" };

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct trace_options o = { 0 };
		char err[256];

		CHECK(both_agree("suspect-age", good[i].text));
		CHECK_EQ_I(trace_option__set(&o, TRACE_OPT_SUSPECT_AGE, good[i].text, err,
					     sizeof(err)), 0);
		CHECK(o.suspect_age_s == good[i].seconds);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(!both_agree("suspect-age", bad[i]));
}

/* go-alloc: one parser; the agent offers only the modes a long-running
 * process can afford, and says which. */
TEST(go_alloc_modes_per_command)
{
	struct caught c;

	CHECK(both_agree("go-alloc", "sampled"));
	CHECK(both_agree("go-alloc", "off"));
	c = parse_caught(false, "go-alloc", "every");
	CHECK_EQ_S(c.err, "leakscope: invalid --go-alloc 'every' (sampled, all, off or check)\n");
	c = parse_caught(false, "go-alloc", "all");
	CHECK_EQ_I(c.status, 0);
	c = parse_caught(false, "go-alloc", "check");
	CHECK_EQ_I(c.status, 0);
	c = parse_caught(true, "go-alloc", "all");
	CHECK_EQ_I(c.status, 2);
	CHECK_EQ_S(c.err, "leakscope agent: invalid --go-alloc 'all' (sampled or off)\n");
}

/* go-goroutines: one parser, both modes in both commands; the tracer
 * traces by default, the agent walks the runtime's list (no probe per
 * goroutine in a fleet). */
TEST(go_goroutines_same_modes_own_defaults)
{
	static const struct { const char *text; int mode; } modes[] = {
		{ NULL, -1 }, { "trace", GO_GOROUTINES_TRACE },
		{ "snapshot", GO_GOROUTINES_SNAPSHOT },
	};
	struct caught c;

	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		char *targv[] = { "leakscope", "--go-goroutines", (char *)modes[i].text,
				  "-p", "1", NULL };
		char *aargv[] = { "agent", "--go-goroutines", (char *)modes[i].text, NULL };
		char *tdef[] = { "leakscope", "-p", "1", NULL };
		char *adef[] = { "agent", NULL };
		struct options t;
		struct agent_options a;

		if (modes[i].text) {
			CHECK(both_agree("go-goroutines", modes[i].text));
			CHECK_EQ_I(options__parse(&t, 5, targv), 0);
			CHECK_EQ_I(agent_options__parse(&a, 3, aargv), 0);
			CHECK_EQ_I(t.trace.go_goroutines, modes[i].mode);
			CHECK_EQ_I(a.trace.go_goroutines, modes[i].mode);
		} else {
			CHECK_EQ_I(options__parse(&t, 3, tdef), 0);
			CHECK_EQ_I(agent_options__parse(&a, 1, adef), 0);
			CHECK_EQ_I(t.trace.go_goroutines, GO_GOROUTINES_TRACE);
			CHECK_EQ_I(a.trace.go_goroutines, GO_GOROUTINES_SNAPSHOT);
		}
		agent_options__free(&a);
	}
	CHECK(!both_agree("go-goroutines", "probes"));
	c = parse_caught(true, "go-goroutines", "probes");
	CHECK_EQ_S(c.err, "leakscope agent: invalid --go-goroutines 'probes' (trace or snapshot)\n");
}

/* malloc: one parser; the agent leaves out every block (a return probe
 * per allocation in every process), and says what it takes. */
TEST(malloc_modes_per_command)
{
	struct caught c;

	CHECK(both_agree("malloc", "sampled"));
	CHECK(both_agree("malloc", "off"));
	c = parse_caught(false, "malloc", "most");
	CHECK_EQ_S(c.err, "leakscope: invalid --malloc 'most' (off, sampled or all)\n");
	c = parse_caught(false, "malloc", "all");
	CHECK_EQ_I(c.status, 0);
	c = parse_caught(true, "malloc", "all");
	CHECK_EQ_I(c.status, 2);
	CHECK_EQ_S(c.err, "leakscope agent: invalid --malloc 'all' (off or sampled)\n");
}

/* malloc-rate: bytes as every size option reads them, 1 to 1 TiB. */
TEST(malloc_rate_same_for_both_commands)
{
	static const struct { const char *text; uint64_t bytes; } good[] = {
		{ "1", 1 }, { "65536", 65536 }, { "512K", 512 << 10 }, { "4M", 4 << 20 },
		{ "1024G", TRACE_MALLOC_RATE_MAX },
	};
	static const char *const bad[] = { "0", "0.5", "-1", "1025G", "1T", "lots", "" };

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct trace_options o = { 0 };
		char err[256];

		CHECK(both_agree("malloc-rate", good[i].text));
		CHECK_EQ_I(trace_option__set(&o, TRACE_OPT_MALLOC_RATE, good[i].text, err,
					     sizeof(err)), 0);
		CHECK_EQ_U(o.malloc_rate, good[i].bytes);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(!both_agree("malloc-rate", bad[i]));
}

/* Every shared option is in both commands' help, with the same range. */
TEST(shared_options_named_alike)
{
	struct trace_options t = { .go_alloc_modes = 1u << GO_ALLOC_SAMPLED,
				   .malloc_modes = 1u << MALLOC_SAMPLED };
	char help[768], arg[64];

	for (int i = 0; i < TRACE_OPT_MAX; i++) {
		const char *name = trace_option__name(i);

		CHECK(name != NULL);
		CHECK_EQ_I(trace_option__find(name), i);
		trace_option__arg(i, &t, arg, sizeof(arg));
		trace_option__help(i, &t, help, sizeof(help));
		CHECK(arg[0] != '\0');
		CHECK(strstr(help, "(default ") != NULL);
	}
	CHECK(trace_option__name(TRACE_OPT_MAX) == NULL);
	CHECK_EQ_I(trace_option__find("ring"), -1);
}
