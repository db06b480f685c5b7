// SPDX-License-Identifier: MIT
/* The agent's pure parts: metrics text, config and options, push queue
 * and back-off, ingest URLs, filters, sampling, the overhead check and
 * the caps. */
#include "check.h"

#include "agent/config_file.h"
#include "agent/filter.h"
#include "agent/options.h"
#include "agent/profiles.h"
#include "agent/limits.h"
#include "trace/collector.h"
#include "ledgers/goproc.h"
#include "base/logfmt.h"
#include "base/parse.h"
#include "agent/prom_text.h"
#include "ledgers/process.h"
#include "agent/pusher.h"
#include "agent/sampling.h"
#include "agent/selfcheck.h"
#include "base/util.h"
#include "report/report.h"

#include <math.h>
#include <stdlib.h>
#include <unistd.h>

static char *render(void (*fn)(FILE *f, void *ctx), void *ctx)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	fn(f, ctx);
	fclose(f);
	return buf;
}

static void family_and_samples(FILE *f, void *ctx)
{
	(void)ctx;
	metrics__family(f, "leakscope_process_open_fds", "gauge",
			"Open fds.\nSecond line with a \\ backslash.");
	metrics__sample(f, "leakscope_process_open_fds",
			(const char *const[]){ "comm", "we\"ird\\name\n", "pid", "42", NULL }, 7);
	metrics__sample(f, "leakscope_agent_up", NULL, 1);
	metrics__sample(f, "x", (const char *const[]){ NULL }, 0.25);
}

TEST(metrics_text_format_and_escaping)
{
	char *s = render(family_and_samples, NULL);

	CHECK_EQ_S(s, "# HELP leakscope_process_open_fds Open fds.\\nSecond line with a \\\\ backslash.\n"
		      "# TYPE leakscope_process_open_fds gauge\n"
		      "leakscope_process_open_fds{comm=\"we\\\"ird\\\\name\\n\",pid=\"42\"} 7\n"
		      "leakscope_agent_up 1\n"
		      "x 0.25\n");
	free(s);
}

TEST(metrics_values)
{
	char b[64];

	metrics__format_value(b, sizeof(b), 0);
	CHECK_EQ_S(b, "0");
	metrics__format_value(b, sizeof(b), 18446744073709551615.0);	/* > 2^53 */
	CHECK_EQ_S(b, "1.8446744073709552e+19");
	metrics__format_value(b, sizeof(b), 123456789012.0);
	CHECK_EQ_S(b, "123456789012");
	metrics__format_value(b, sizeof(b), 0.1);
	CHECK_EQ_S(b, "0.1");
	metrics__format_value(b, sizeof(b), 1.0 / 3);
	CHECK(strtod(b, NULL) == 1.0 / 3);
	metrics__format_value(b, sizeof(b), NAN);
	CHECK_EQ_S(b, "NaN");
	metrics__format_value(b, sizeof(b), -INFINITY);
	CHECK_EQ_S(b, "-Inf");
	metrics__format_value(b, sizeof(b), -2.5);
	CHECK_EQ_S(b, "-2.5");
	CHECK(metrics__valid_name("leakscope_agent_events_total", false));
	CHECK(metrics__valid_name("a:b", false));
	CHECK(!metrics__valid_name("a:b", true));
	CHECK(!metrics__valid_name("9lives", false));
	CHECK(!metrics__valid_name("", true));
}

struct kv {
	char k[8][32], v[8][128];
	int n;
};

static int collect_kv(void *ctx, const char *key, const char *value, char *err, size_t errlen)
{
	struct kv *kv = ctx;

	if (!strcmp(key, "bad")) {
		snprintf(err, errlen, "bad key");
		return -22;
	}
	snprintf(kv->k[kv->n], 32, "%s", key);
	snprintf(kv->v[kv->n], 128, "%s", value);
	kv->n++;
	return 0;
}

TEST(config_file_parsing)
{
	struct kv kv = { 0 };
	char err[256] = "";
	int ret;

	ret = agent_config__parse("# a comment\n\n  comm = nginx, redis  # trailing\n"
				  "push-url=http://h:4040\n"
				  "service = \"my # service\"  \n"
				  "header = \"a \\\"q\\\" b\"\n"
				  "empty =\n",
				  collect_kv, &kv, err, sizeof(err));
	CHECK_EQ_I(ret, 0);
	CHECK_EQ_I(kv.n, 5);
	CHECK_EQ_S(kv.k[0], "comm");
	CHECK_EQ_S(kv.v[0], "nginx, redis");
	CHECK_EQ_S(kv.v[1], "http://h:4040");
	CHECK_EQ_S(kv.v[2], "my # service");
	CHECK_EQ_S(kv.v[3], "a \"q\" b");
	CHECK_EQ_S(kv.v[4], "");
	kv.n = 0;
	ret = agent_config__parse("comm = a\nno equals sign here\n", collect_kv, &kv, err, sizeof(err));
	CHECK(ret < 0);
	CHECK_EQ_S(err, "line 2: expected `key = value`, got \"no equals sign here\"");
	ret = agent_config__parse("x = \"open\n", collect_kv, &kv, err, sizeof(err));
	CHECK(ret < 0);
	CHECK(strstr(err, "line 1:") != NULL);
	ret = agent_config__parse("\n\nbad = 1\n", collect_kv, &kv, err, sizeof(err));
	CHECK(ret < 0);
	CHECK_EQ_S(err, "line 3: bad key");
}

TEST(options_config_then_flags_override)
{
	char path[] = "/tmp/leakscope-agent-test-XXXXXX";
	int fd = mkstemp(path);
	struct agent_options o;
	FILE *f = fdopen(fd, "w");

	fprintf(f, "comm = nginx, redis-server\npush-interval = 30s\nlisten = 0.0.0.0:9999\n"
		   "probabilistic-threshold = 25\noutput-max-size = 64M\npprof = false\n"
		   "overhead-budget = 2.5%%\n");
	fclose(f);
	{
		char *argv[] = { "agent", "--config", path, "--comm", "goleaks",
				 "--push-interval=500ms", "-p", "12,13", NULL };

		CHECK_EQ_I(agent_options__parse(&o, 8, argv), 0);
	}
	CHECK_EQ_U(o.comms.n, 1);	/* the flag's list replaced the file's */
	CHECK_EQ_S(o.comms.v[0], "goleaks");
	CHECK(fabs(o.push_interval_s - 0.5) < 1e-9);
	CHECK_EQ_S(o.listen, "0.0.0.0:9999");
	CHECK(o.threshold == 25);
	CHECK_EQ_U(o.output_max_bytes, 64ULL << 20);
	CHECK(!o.serve_pprof);
	CHECK(o.overhead_budget_pct == 2.5);
	CHECK_EQ_U(o.npids, 2);
	CHECK_EQ_I(o.pids[1], 13);
	agent_options__free(&o);
	{
		char *argv[] = { "agent", "--listen", "off", "--no-pprof", NULL };

		CHECK_EQ_I(agent_options__parse(&o, 4, argv), 0);
		CHECK(o.listen == NULL);
		CHECK(!o.serve_pprof);
		CHECK_EQ_S(o.listen ? o.listen : "none", "none");
		agent_options__free(&o);
	}
	{
		char *argv[] = { "agent", "--probabilistic-threshold", "101", NULL };

		CHECK_EQ_I(agent_options__parse(&o, 3, argv), 2);
		agent_options__free(&o);
	}
	{
		char *argv[] = { "agent", "--frobnicate", NULL };

		CHECK_EQ_I(agent_options__parse(&o, 2, argv), 2);
		agent_options__free(&o);
	}
	unlink(path);
}

TEST(option_values)
{
	double d;
	uint64_t b;

	CHECK_EQ_I(parse__seconds("90", &d), 0);
	CHECK(d == 90);
	CHECK_EQ_I(parse__seconds("250ms", &d), 0);
	CHECK(fabs(d - 0.25) < 1e-12);
	CHECK_EQ_I(parse__seconds("1.5m", &d), 0);
	CHECK(d == 90);
	CHECK_EQ_I(parse__seconds("2h", &d), 0);
	CHECK(d == 7200);
	CHECK(parse__seconds("5 s", &d) < 0);
	CHECK(parse__seconds("-1", &d) < 0);
	CHECK(parse__seconds("1d", &d) < 0);
	CHECK_EQ_I(parse__size("512", &b), 0);
	CHECK_EQ_U(b, 512);
	CHECK_EQ_I(parse__size("4KiB", &b), 0);
	CHECK_EQ_U(b, 4096);
	CHECK_EQ_I(parse__size("1G", &b), 0);
	CHECK_EQ_U(b, 1ULL << 30);
	CHECK(parse__size("1T", &b) < 0);
}

static struct push_item item(int n)
{
	struct push_item it = { xasprintf("u%d", n), (uint8_t *)xstrdup("body"), 4 };

	return it;
}

TEST(push_queue_drops_oldest)
{
	struct push_queue q;
	struct push_item out, dropped;

	push_queue__init(&q, 3);
	for (int i = 0; i < 3; i++)
		CHECK(!push_queue__put(&q, item(i), &dropped));
	CHECK(push_queue__put(&q, item(3), &dropped));	/* full: u0 goes */
	CHECK_EQ_S(dropped.url, "u0");
	push_item__free(&dropped);
	CHECK(push_queue__take(&q, &out));
	CHECK_EQ_S(out.url, "u1");
	/* a failed send goes back in front, keeping the order */
	CHECK(!push_queue__put_front(&q, out, &dropped));
	CHECK(push_queue__put(&q, item(4), &dropped));
	CHECK_EQ_S(dropped.url, "u1");
	push_item__free(&dropped);
	/* full: the retried item itself is the oldest, it is the one dropped */
	CHECK(push_queue__take(&q, &out));
	CHECK_EQ_S(out.url, "u2");
	CHECK(!push_queue__put(&q, item(5), &dropped));
	CHECK(push_queue__put_front(&q, out, &dropped));
	CHECK_EQ_S(dropped.url, "u2");
	push_item__free(&dropped);
	for (int want = 3; want <= 5; want++) {
		char u[8];

		snprintf(u, sizeof(u), "u%d", want);
		CHECK(push_queue__take(&q, &out));
		CHECK_EQ_S(out.url, u);
		push_item__free(&out);
	}
	CHECK(!push_queue__take(&q, &out));
	push_queue__free(&q);
}

TEST(push_backoff_and_retry_policy)
{
	uint64_t base = 250000000ULL, max = 30000000000ULL;

	CHECK_EQ_U(push__backoff_ns(0, base, max), base);
	CHECK_EQ_U(push__backoff_ns(1, base, max), 2 * base);
	CHECK_EQ_U(push__backoff_ns(3, base, max), 8 * base);
	CHECK_EQ_U(push__backoff_ns(7, base, max), 30000000000ULL);	/* 32 s capped */
	CHECK_EQ_U(push__backoff_ns(1000, base, max), max);
	CHECK(push__retryable(0));
	CHECK(push__retryable(503));
	CHECK(push__retryable(429));
	CHECK(push__retryable(408));
	CHECK(!push__retryable(400));
	CHECK(!push__retryable(404));
}

TEST(push_ingest_url)
{
	const char *labels[] = { "host", "web-1", "pid", "42", "kind", "fd", "comm", "my app{x}", NULL };
	char *u = push__ingest_url("http://127.0.0.1:4040/", "goleaks", labels, 100, 160);

	CHECK_EQ_S(u, "http://127.0.0.1:4040/ingest?name=goleaks%7Bhost%3Dweb-1%2Cpid%3D42%2Ckind%3Dfd"
		      "%2Ccomm%3Dmy_app_x_%7D&from=100&until=160&format=pprof&spyName=leakscope");
	free(u);
}

TEST(filters)
{
	const char *comms[] = { "nginx", "redis-*" };
	const char *exes[] = { "/usr/bin/*" };
	char *cgroups[] = { "/system.slice/web.service" };
	int pids[] = { 7 };
	struct agent_filter f = { 0 };
	struct proc_identity id = { 10, "nginx", "/usr/bin/nginx", NULL,
				    "0::/system.slice/web.service/worker\n" };

	f.self_pid = 1;
	CHECK(agent_filter__matches(&f, &id));	/* no filter: everything */
	id.pid = 1;
	CHECK(!agent_filter__matches(&f, &id));	/* but never the agent */
	id.pid = 10;
	f.comms = comms;
	f.ncomms = 2;
	CHECK(agent_filter__matches(&f, &id));
	id.comm = "redis-server";
	CHECK(agent_filter__matches(&f, &id));
	id.comm = "bash";
	CHECK(!agent_filter__matches(&f, &id));
	id.comm = "nginx";
	f.exes = exes;
	f.nexes = 1;
	CHECK(agent_filter__matches(&f, &id));
	id.exe = "/opt/nginx";
	CHECK(!agent_filter__matches(&f, &id));
	id.exe_as_run = "/usr/bin/nginx-link";	/* the name it was run by */
	CHECK(agent_filter__matches(&f, &id));
	f.cgroups = cgroups;
	f.ncgroups = 1;
	CHECK(agent_filter__matches(&f, &id));
	id.cgroup_text = "0::/system.slice/web.service2\n";
	CHECK(!agent_filter__matches(&f, &id));	/* a sibling, not below */
	id.cgroup_text = "5:pids:/system.slice/web.service\n0::/\n";	/* v1 hierarchy */
	CHECK(agent_filter__matches(&f, &id));
	f.pids = pids;
	f.npids = 1;
	CHECK(!agent_filter__matches(&f, &id));
	id.pid = 7;
	CHECK(agent_filter__matches(&f, &id));
	CHECK(agent_filter__cgroup_match("/", "0::/anything\n"));
	CHECK(!agent_filter__cgroup_match("/a", NULL));
}

TEST(cgroup_paths_normalized)
{
	const char *mounts = "tmpfs /sys/fs/cgroup tmpfs rw 0 0\n"
			     "cgroup2 /sys/fs/cgroup/unified cgroup2 rw 0 0\n"
			     "cgroup /sys/fs/cgroup/pids cgroup rw,pids 0 0\n";
	char *s;

	s = agent_filter__normalize_cgroup("/sys/fs/cgroup/unified/a/b/", mounts);
	CHECK_EQ_S(s, "/a/b");
	free(s);
	s = agent_filter__normalize_cgroup("/sys/fs/cgroup/pids/x", mounts);
	CHECK_EQ_S(s, "/x");
	free(s);
	s = agent_filter__normalize_cgroup("/system.slice/web.service", mounts);
	CHECK_EQ_S(s, "/system.slice/web.service");
	free(s);
	s = agent_filter__normalize_cgroup("a/b", mounts);
	CHECK_EQ_S(s, "/a/b");
	free(s);
	s = agent_filter__normalize_cgroup("/sys/fs/cgroup/unified", mounts);
	CHECK_EQ_S(s, "/");
	free(s);
}

TEST(sampling_draws)
{
	struct sampler s;
	int on = 0;

	sampler__init(&s, 100, 1, 42);
	for (int i = 0; i < 100; i++)
		CHECK(sampler__tick(&s, (uint64_t)i * 1000000000ULL + 1) && s.on);
	sampler__init(&s, 0, 1, 42);
	for (int i = 0; i < 100; i++)
		CHECK(sampler__tick(&s, (uint64_t)i * 1000000000ULL + 1) && !s.on);
	sampler__init(&s, 50, 1, 7);
	CHECK(sampler__tick(&s, 5));
	CHECK(!sampler__tick(&s, 6));	/* within the interval: no new draw */
	for (int i = 0; i < 10000; i++) {
		double d = sampler__draw(&s);

		CHECK(d >= 0 && d < 100);
		on += d < 50;
	}
	/* Binomial(10000, 0.5): sd 50; 5 sd either way */
	CHECK(on > 4750 && on < 5250);
	/* splitmix64 from seed 0: first output 0xe220a8397b1dcdaf */
	sampler__init(&s, 50, 1, 0);
	CHECK(fabs(sampler__draw(&s) - (double)(0xe220a8397b1dcdafULL >> 11) / 9007199254740992.0 * 100) < 1e-9);
}

/* A 5% budget over 10 s windows, 30 s backoff doubling up to 100 s; set
 * by hand, without BPF statistics. */
static void selfcheck_by_hand(struct selfcheck *s)
{
	uint64_t sec = 1000000000ULL;

	s->budget = 0.05;
	s->window_ns = 10 * sec;
	s->backoff_ns = 30 * sec;
	s->backoff_max_ns = 100 * sec;
	s->next_backoff_ns = s->backoff_ns;
	s->stats_fd = -1;
}

TEST(overhead_check_backs_off)
{
	struct selfcheck s = { 0 };
	uint64_t sec = 1000000000ULL;

	selfcheck_by_hand(&s);
	CHECK(fabs(selfcheck__ratio(sec / 10, sec / 10, 10 * sec) - 0.02) < 1e-12);
	s.cpu_ns = sec / 10;	/* 1% over the first window: fine */
	CHECK_EQ_I(selfcheck__step(&s, 5 * sec), SELFCHECK_NONE);
	CHECK_EQ_I(selfcheck__step(&s, 10 * sec), SELFCHECK_NONE);
	s.cpu_ns += sec;	/* 10% over the next */
	CHECK_EQ_I(selfcheck__step(&s, 20 * sec), SELFCHECK_PAUSE);
	CHECK(s.paused);
	CHECK_EQ_U(s.resume_at_ns, 50 * sec);
	CHECK_EQ_I(selfcheck__step(&s, 49 * sec), SELFCHECK_NONE);
	CHECK_EQ_I(selfcheck__step(&s, 50 * sec), SELFCHECK_RESUME);
	s.bpf_ns += sec;	/* BPF time counts too: over again */
	CHECK_EQ_I(selfcheck__step(&s, 60 * sec), SELFCHECK_PAUSE);
	CHECK_EQ_U(s.resume_at_ns, 120 * sec);	/* doubled */
	CHECK_EQ_I(selfcheck__step(&s, 120 * sec), SELFCHECK_RESUME);
	s.cpu_ns += 2 * sec;
	CHECK_EQ_I(selfcheck__step(&s, 130 * sec), SELFCHECK_PAUSE);
	CHECK_EQ_U(s.resume_at_ns, 230 * sec);	/* capped at 100 s */
	CHECK_EQ_I(selfcheck__step(&s, 230 * sec), SELFCHECK_RESUME);
	CHECK_EQ_I(selfcheck__step(&s, 240 * sec), SELFCHECK_NONE);	/* calm: reset */
	CHECK_EQ_U(s.next_backoff_ns, 30 * sec);
	CHECK_EQ_U(s.backoffs, 3);
}

TEST(overhead_window_starts_after_the_start)
{
	struct selfcheck s = { 0 };
	uint64_t sec = 1000000000ULL, start_cpu;

	selfcheck_by_hand(&s);
	/* whatever this test process has used so far stands for the start's
	 * cost (attaching, reading /proc): the restart sets it aside */
	selfcheck__restart(&s, NULL, 100 * sec);
	start_cpu = s.cpu_ns;
	CHECK(start_cpu > 0);
	CHECK_EQ_U(s.win_cpu_ns, start_cpu);
	s.cpu_ns = start_cpu + sec / 10;	/* 1% of the window after it */
	CHECK_EQ_I(selfcheck__step(&s, 110 * sec), SELFCHECK_NONE);
	CHECK(s.last_ratio < 0.02);
}

TEST(caps_evict_newest)
{
	struct collector c;
	struct caps k = { .per_process = 10, .global = 0 };
	struct process *p;

	collector__init(&c);
	p = collector__add(&c, 999999, NULL);	/* no such pid: nothing read */
	for (int fd = 0; fd < 20; fd++)
		fdtable__open(&p->fds, fd, FD_FILE, NULL, 0, 1000 + fd);
	for (int i = 0; i < 5; i++)
		mappings__map(&p->maps, 0x100000 + i * 0x10000, 0x2000, 0, 1010 + i * 3, 0, NULL);
	CHECK_EQ_U(caps__items(p), 25);
	CHECK_EQ_U(caps__enforce(&k, &c), 16);	/* down to 90% of 10 */
	CHECK_EQ_U(caps__items(p), 9);
	/* what stays is the oldest: fds 0..8 (births 1000..1008) */
	for (int fd = 0; fd < 20; fd++)
		CHECK((fdtable__get(&p->fds, fd) != NULL) == (fd < 9));
	CHECK_EQ_U(p->maps.allocs, 0);
	CHECK_EQ_U(p->maps.bytes, 0);
	CHECK_EQ_U(k.evicted[KIND_FD], 11);
	CHECK_EQ_U(k.evicted[KIND_MMAP], 5);
	collector__free(&c);
}

TEST(caps_global_cuts_the_biggest)
{
	struct collector c;
	struct caps k = { .per_process = 0, .global = 20 };
	struct process *big, *small;

	collector__init(&c);
	big = collector__add(&c, 999998, NULL);
	small = collector__add(&c, 999997, NULL);
	for (int fd = 0; fd < 30; fd++)
		fdtable__open(&big->fds, fd, FD_FILE, NULL, 0, 1000 + fd);
	for (int fd = 0; fd < 5; fd++)
		fdtable__open(&small->fds, fd, FD_FILE, NULL, 0, 1000 + fd);
	caps__enforce(&k, &c);
	CHECK(caps__items(big) + caps__items(small) <= 18);
	CHECK_EQ_U(caps__items(small), 5);	/* the small one keeps all */
	CHECK_EQ_U(k.evicted[KIND_FD], 35 - 5 - caps__items(big));
	collector__free(&c);
}

TEST(logfmt_quoting)
{
	char b[128];

	logfmt__quote(b, sizeof(b), "plain");
	CHECK_EQ_S(b, "plain");
	logfmt__quote(b, sizeof(b), "two words");
	CHECK_EQ_S(b, "\"two words\"");
	logfmt__quote(b, sizeof(b), "a=\"b\"\\\n");
	CHECK_EQ_S(b, "\"a=\\\"b\\\"\\\\\\n\"");
	logfmt__quote(b, sizeof(b), "");
	CHECK_EQ_S(b, "\"\"");
}

/* A process's profiles carry the notes about it and those about the whole
 * session, never another process's (pid 5 must not take pid 50's, whose
 * text starts the same). */
TEST(profile_view_keeps_notes_of_its_process)
{
	struct report r = { 0 };
	struct report *v;

	report__add_note(&r, "12 malformed records ignored");
	report__add_process_note(&r, 5, "pid 5: go_heap: unreadable");
	report__add_process_note(&r, 50, "pid 50: go_heap: unreadable");
	v = profile__view(&r, 5);
	CHECK_EQ_U(v->nnotes, 2);
	CHECK_EQ_S(v->nnotes > 0 ? v->notes[0] : NULL, "12 malformed records ignored");
	CHECK_EQ_S(v->nnotes > 1 ? v->notes[1] : NULL, "pid 5: go_heap: unreadable");
	profile__view_free(v);
	v = profile__view(&r, -1);
	CHECK_EQ_U(v->nnotes, 3);
	profile__view_free(v);
	v = profile__view(&r, 7);
	CHECK_EQ_U(v->nnotes, 1);
	profile__view_free(v);
	for (size_t i = 0; i < r.nnotes; i++)
		free(r.notes[i]);
	free(r.notes);
	free(r.note_pids);
}
