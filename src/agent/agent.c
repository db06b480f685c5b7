// SPDX-License-Identifier: MIT
/*
 * `leakscope agent`: the lifecycle of fleet mode.
 *
 *   parse (flags over config file) -> [threshold 0: load nothing]
 *   -> check -> load the BPF objects with exec notification on and
 *   follow-forks -> attach (paused) -> listen, start the pusher
 *   -> loop: sampling intervals switch the probes on and off; on
 *      switching on, running processes that match are picked up;
 *      execs announced by the BPF side are matched in userspace and the
 *      matching pids added to the `traced` map; every second: processes
 *      gone without an exit record, caps, the overhead check; every
 *      verdict interval: growth sample; every push interval: profiles
 *      out, then exited processes are forgotten
 *   -> SIGTERM/SIGINT: last records, last push (bounded), detach, exit 0.
 *
 * One thread runs the collector, the HTTP endpoint (polled from this
 * loop) and the BPF side; only the pusher has a thread (pusher.c).
 */
#include "agent/agent.h"
#include "agent/agent_int.h"
#include "trace/goprobes.h"
#include "trace/mallocprobes.h"
#include "ledgers/goproc.h"
#include "trace/goread.h"
#include "base/hashmap.h"
#include "agent/http_server.h"
#include "leakscope.h"
#include "base/logfmt.h"
#include "base/signals.h"
#include "trace/preexisting.h"
#include "trace/preflight.h"
#include "trace/resync.h"
#include "ledgers/process.h"
#include "report/build.h"
#include "report/report.h"
#include "trace/tracefs.h"
#include "base/util.h"

#include <bpf/libbpf.h>
#include <malloc.h>
#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static size_t live_processes(const struct agent *a)
{
	size_t n = 0;

	for (size_t i = 0; i < a->coll.nprocs; i++)
		n += !a->coll.procs[i]->exited;
	return n;
}

static bool has_filters(const struct agent *a)
{
	return a->filter.ncomms || a->filter.nexes || a->filter.ncgroups || a->filter.npids;
}

/*
 * Start tracing pid: into the traced map first (so what it does from now
 * on arrives as events), then its identity, image and Go probes (from
 * the exec record when there is one), then what it already holds, as -p
 * does. What it did between its exec and now (a few ms at most) shows
 * as held before tracing, without a stack.
 */
static struct process *start_process(struct agent *a, int pid,
				     const struct ls_exec_event *e, size_t size)
{
	struct process *p;
	int err;

	if (live_processes(a) >= a->o.max_processes) {
		if (!a->procs_refused++)
			LOG_W("--max-processes reached: matching processes are not traced "
			      "(counted in leakscope_agent_processes_refused_total)",
			      "max=%zu", a->o.max_processes);
		return NULL;
	}
	err = probes__trace_pid(&a->probes, pid);
	if (err) {
		a->trace_errors++;
		LOG_W("cannot trace process", "pid=%d err=%s", pid, logfmt__q(strerror(-err)));
		return NULL;
	}
	p = collector__add(&a->coll, pid, NULL);
	if (e)
		collector__on_record(&a->coll, (void *)e, size);	/* the image, Go probes */
	else
		session__on_new_image(&a->hook, p);
	if (kill(pid, 0) && errno == ESRCH) {	/* gone while we looked */
		probes__untrace_pid(&a->probes, pid);
		collector__forget_process(&a->coll, p);
		return NULL;
	}
	preexisting__scan(p, now_ns(), NULL);
	if (session__traced_as_go(p)) {
		goread__scan_allgs(p->go, p, now_ns());
		goread__heap_baseline(p->go, p);
	}
	a->procs_traced++;
	logfmt__write(has_filters(a) ? LOG_INFO : LOG_DEBUG, "tracing process",
		      "pid=%d comm=%s exe=%s go=%s", pid, logfmt__q(p->comm),
		      logfmt__q(p->exe ? p->exe : ""), session__traced_as_go(p) ? "true" : "false");
	return p;
}

/* An exec the BPF side announced for a process nobody traces yet. */
static void on_untraced_exec(struct agent *a, const struct ls_exec_event *e, size_t size)
{
	char comm[LS_COMM_BYTES + 1], pcomm[64], exe[PATH_MAX], filename[LS_EXEC_PATH_BYTES], *cg = NULL;
	struct proc_identity id = { 0 };
	int pid = (int)e->hdr.pid;
	struct process *p;
	bool match;

	a->execs_seen++;
	p = collector__find(&a->coll, pid);
	if (p && !p->exited) {	/* a start scan raced this exec */
		collector__on_record(&a->coll, (void *)e, size);
		return;
	}
	/* the record's comm and path are the exec's own, not a later one's */
	memcpy(comm, e->comm, LS_COMM_BYTES);
	comm[LS_COMM_BYTES] = '\0';
	if (!agent_filter__may_match(&a->filter, pid, comm))
		return;	/* decided without reading /proc */
	if (agent_filter__read_identity(pid, &id, pcomm, sizeof(pcomm), exe, sizeof(exe), &cg))
		return;	/* gone already: nothing left to trace */
	memcpy(filename, e->filename, sizeof(filename));
	filename[sizeof(filename) - 1] = '\0';
	id.comm = comm;
	id.exe_as_run = filename;
	match = agent_filter__matches(&a->filter, &id);
	free(cg);
	if (!match)
		return;
	a->execs_matched++;
	start_process(a, pid, e, size);
}

static int on_record(void *ctx, void *data, size_t size)
{
	struct agent *a = ctx;
	const struct ls_exec_event *e = data;

	if (size >= sizeof(*e) && e->hdr.type == LS_EV_EXEC && !(e->flags & LS_EXEC_TRACED)) {
		on_untraced_exec(a, e, size);
		return 0;
	}
	return collector__on_record(&a->coll, data, size);
}

/* Processes that run already and match: picked up as -p would. */
static void scan_running(struct agent *a)
{
	struct dirent *d;
	DIR *dp = opendir("/proc");
	size_t found = 0;

	if (!dp) {
		LOG_E("cannot list /proc", "err=%s", logfmt__q(strerror(errno)));
		return;
	}
	while ((d = readdir(dp))) {
		char comm[64], exe[PATH_MAX], *cg = NULL;
		struct proc_identity id = { 0 };
		struct process *p;
		int pid = atoi(d->d_name);
		bool match;

		if (pid <= 0)
			continue;
		p = collector__find(&a->coll, pid);
		if (p && !p->exited)
			continue;
		if (agent_filter__read_identity(pid, &id, comm, sizeof(comm), exe, sizeof(exe), &cg))
			continue;
		/* kernel threads have no executable and no user memory */
		match = id.exe && agent_filter__matches(&a->filter, &id);
		free(cg);
		if (match && start_process(a, pid, NULL, 0))
			found++;
	}
	closedir(dp);
	LOG_I("running processes picked up", "count=%zu", found);
}

static void forget(struct agent *a, struct process *p)
{
	alloc_deltas__forget(&a->deltas, p->pid);
	verdicts__forget_pid(&a->verdicts, p->pid);
	u64map__del(a->last_push_s, (uint64_t)p->pid, NULL);
	if (!p->exited)
		probes__untrace_pid(&a->probes, p->pid);
	collector__forget_process(&a->coll, p);
	a->procs_forgotten++;
}

static bool still_kept(void *ctx, int pid)
{
	return collector__find(ctx, pid) != NULL;
}

/*
 * Free what only forgotten processes referred to: the collector's tables
 * (paths, stacks, modules with their open files, symbols), the Go
 * binaries no traced process runs and the modules the malloc probes
 * found nothing in. Reports, verdicts and profile deltas
 * hold copies or content keys, never the tables' entries, so the live
 * processes are the only roots.
 */
static void sweep(struct agent *a)
{
	for (size_t i = 0; i < a->coll.nprocs; i++) {
		struct process *p = a->coll.procs[i];

		if (p->go && p->go->bin)
			goprobes__mark(a->hook.gp, p->go->bin);
	}
	if (a->hook.gp)
		goprobes__sweep(a->hook.gp);
	mallocprobes__sweep(a->hook.mp);
	/* /metrics reads the last sample for live processes only */
	if (a->verdict_report)
		report__retain_pids(a->verdict_report, still_kept, &a->coll);
	collector__sweep(&a->coll);
	a->procs_forgotten_at_sweep = a->procs_forgotten;
	/* What they used goes back to the system: operators watch the
	 * agent's RSS, and glibc keeps freed heap resident otherwise. */
	malloc_trim(0);
}

/* Exited processes, once their last state went out. */
static void forget_exited(struct agent *a)
{
	for (size_t i = a->coll.nprocs; i-- > 0;) {
		struct process *p = a->coll.procs[i];

		if (!p->exited)
			continue;
		LOG_D("process gone", "pid=%d comm=%s", p->pid, logfmt__q(p->comm));
		forget(a, p);
	}
	if (a->procs_forgotten != a->procs_forgotten_at_sweep)
		sweep(a);
}

static void untrace_vanished(void *ctx, struct process *p)
{
	struct agent *a = ctx;

	probes__untrace_pid(&a->probes, p->pid);
}

/* Processes whose exit record was lost are gone: stop tracing them. */
static void reap_vanished(struct agent *a)
{
	collector__reap_vanished(&a->coll, untrace_vanished, a);
}

static void reset_verdicts(struct agent *a)
{
	verdicts__free(&a->verdicts);
	verdicts__init(&a->verdicts, a->o.trace.suspect_age_s);
	report__free(a->verdict_report);
	a->verdict_report = NULL;
}

static void start_tracing(struct agent *a, const char *why)
{
	probes__set_enabled(&a->probes, true);
	a->tracing = true;
	LOG_I("tracing on", "reason=%s", logfmt__q(why));
	scan_running(a);
	selfcheck__restart(&a->sc, a->loaded ? &a->probes : NULL, now_ns());
}

/*
 * Paused probes miss releases as well as acquisitions, so the ledgers
 * would go stale: a pause ends this tracing session (what is held is
 * dropped, untraced), and the next start picks processes up again as
 * new, with what they hold then.
 */
static void stop_tracing(struct agent *a, const char *why)
{
	probes__set_enabled(&a->probes, false);
	probes__untrace_all(&a->probes);
	ring_buffer__consume(a->probes.rb);
	while (a->coll.nprocs)
		forget(a, a->coll.procs[a->coll.nprocs - 1]);
	sweep(a);
	reset_verdicts(a);
	a->tracing = false;
	LOG_I("tracing off", "reason=%s", logfmt__q(why));
}

static void verdict_sample(struct agent *a, uint64_t now)
{
	struct report *r;

	if (!a->coll.nprocs)
		return;
	r = report__build_traced(&a->coll, &a->probes, 0, false);
	verdicts__observe(&a->verdicts, r, now);
	verdicts__apply(&a->verdicts, r);
	report__free(a->verdict_report);
	a->verdict_report = r;
}

static int load(struct agent *a)
{
	struct probe_config cfg = { 0 };
	int err;

	if (preflight__privileges(&a->log) || preflight__btf(&a->log) ||
	    tracefs__ensure(&a->log))
		return -EPERM;
	cfg.follow_forks = true;
	cfg.notify_all_execs = true;
	cfg.max_traced = (unsigned)MIN(a->o.max_processes, 1u << 22);
	cfg.stack_depth = a->o.trace.stack_depth;
	cfg.snapshot_kib = a->o.trace.snapshot_kib;
	cfg.ringbuf_bytes = trace_options__ringbuf_bytes(&a->o.trace);
	cfg.verbose = a->o.verbose;
	cfg.log = &a->log;
	cfg.malloc_mode = a->o.trace.malloc;
	cfg.malloc_sample_mean = a->o.trace.malloc_rate;
	a->coll.max_frames = a->o.trace.stack_depth;
	err = probes__load(&a->probes, &cfg);
	if (err)
		return err;
	/* what this kernel lacks, and the path taken instead: in the log */
	for (int k = KF_FIRST_OPTIONAL; k < KF_COUNT; k++)
		if (!kernel_features__use(&a->probes.features, k))
			LOG_I("kernel feature missing, fallback taken", "feature=%s forced=%d fallback=%s",
			      kfeature__desc(k)->name, a->probes.features.forced[k],
			      logfmt__q(kfeature__desc(k)->without));
	if (a->o.trace.malloc != MALLOC_OFF) {
		struct malloc_options mo = { .mode = a->o.trace.malloc,
					     .sample_mean = a->o.trace.malloc_rate,
					     .verbose = a->o.verbose };

		a->hook.mp = a->coll.malloc = mallocprobes__new(&a->probes, &mo);
	}
	a->hook.gp = goprobes__new(&a->probes, a->o.trace.go_alloc, a->o.verbose);
	goprobes__set_goroutine_mode(a->hook.gp, a->o.trace.go_goroutines);
	/* One set of Go uprobes per binary, for every process running it:
	 * the BPF side filters by the traced map, and children and later
	 * processes of the binary are covered without attaching again. */
	a->hook.all_processes = true;
	a->hook.verbose = a->o.verbose;
	a->hook.structured = true;
	a->coll.on_new_image = session__on_new_image;
	a->coll.hook_ctx = &a->hook;
	/* Attached paused: the first sampling draw decides. */
	probes__set_enabled(&a->probes, false);
	err = probes__open_ring(&a->probes, on_record, a);
	if (!err)
		err = probes__attach_native(&a->probes);
	if (err)
		return err;
	a->loaded = true;
	return 0;
}

static int start_exports(struct agent *a)
{
	char err[512];

	if (a->o.listen) {
		a->http = http_server__start(a->o.listen, agent_http__handle, a, err, sizeof(err));
		if (!a->http) {
			LOG_E("cannot serve metrics", "err=%s", logfmt__q(err));
			return -1;
		}
		LOG_I("serving metrics", "listen=%s port=%u path=/metrics", logfmt__q(a->o.listen),
		      http_server__port(a->http));
		/* Profiles hold paths, arguments and stacks of every traced
		 * process: reachable from elsewhere is worth a warning. */
		if (!http_server__is_loopback(a->o.listen))
			LOG_W("listening beyond this host: whoever reaches the port reads every "
			      "traced process's paths and stacks", "listen=%s hint=%s",
			      logfmt__q(a->o.listen),
			      logfmt__q(a->o.serve_pprof ? "bind 127.0.0.1 (the default), or "
					"firewall the port; pprof = false hides the profiles" :
					"bind 127.0.0.1 (the default), or firewall the port"));
	}
	if (a->o.output_dir) {
		if (outdir__open(&a->out, a->o.output_dir, a->o.output_max_bytes))
			return -1;
		a->writing = true;
	}
	if (a->o.push_url) {
		int e = pusher__start(&a->pusher, a->o.push_queue, a->o.push_timeout_s,
				      a->o.push_backoff_max_s,
				      (const char *const *)a->o.push_headers.v, a->o.push_headers.n);

		if (e) {
			LOG_E("cannot start pushing", "err=%s", logfmt__q(strerror(-e)));
			return -1;
		}
		a->pushing = true;
		LOG_I("pushing profiles", "url=%s interval_s=%g queue=%zu", logfmt__q(a->o.push_url),
		      a->o.push_interval_s, a->o.push_queue);
	}
	return 0;
}

static int poll_once(struct agent *a, int timeout_ms)
{
	struct pollfd fds[2];
	int n = 0, err = 0;

	if (a->loaded)
		fds[n++] = (struct pollfd){ .fd = ring_buffer__epoll_fd(a->probes.rb), .events = POLLIN };
	if (a->http)
		fds[n++] = (struct pollfd){ .fd = http_server__fd(a->http), .events = POLLIN };
	if (poll(fds, n, timeout_ms) < 0 && errno != EINTR)
		return -errno;
	if (a->loaded) {
		err = ring_buffer__consume(a->probes.rb);
		if (err == -EINTR)
			err = 0;
	}
	http_server__run(a->http);
	return err < 0 ? err : 0;
}

static void run(struct agent *a)
{
	uint64_t now = now_ns(), next_second = now + NS_PER_S;
	uint64_t verdict_ns = (uint64_t)(a->o.verdict_interval_s * NS_PER_S);
	uint64_t push_ns = (uint64_t)(a->o.push_interval_s * NS_PER_S);
	uint64_t next_verdict = now + verdict_ns, next_push = now + push_ns;

	while (!signals__stop_requested()) {
		bool want;
		int err;

		now = now_ns();
		if (a->loaded) {
			if (sampler__tick(&a->sampler, now))
				LOG_D("sampling interval", "draw=%.3f traced=%s", a->sampler.last_draw,
				      a->sampler.on ? "true" : "false");
			want = a->sampler.on && !a->sc.paused;
			if (want && !a->tracing)
				start_tracing(a, a->sampler.intervals == 1 && !a->sc.backoffs ? "start" :
						 a->sc.backoffs && now - a->sc.resume_at_ns < 2000000000ULL ?
						 "overhead back-off over" : "sampling interval");
			else if (!want && a->tracing)
				stop_tracing(a, a->sc.paused ? "overhead budget exceeded" :
							       "sampling interval");
		}
		err = poll_once(a, a->tracing ? 20 : 100);
		if (err) {
			LOG_E("reading events failed", "err=%s", logfmt__q(strerror(-err)));
			break;
		}
		/* processes that live on but churn paths and stacks */
		collector__sweep_if_grown(&a->coll);
		now = now_ns();
		if (a->tracing)
			collector__walk_goroutines(&a->coll, false);
		if (now >= next_second) {
			enum selfcheck_action act;

			next_second = now + NS_PER_S;
			if (a->tracing) {
				uint64_t drops[LS_DROP_MAX];

				reap_vanished(a);
				probes__read_drops(&a->probes, drops);
				resync__tick(&a->coll, drops[LS_DROP_RINGBUF_FULL], now);
				caps__enforce(&a->caps, &a->coll);
			}
			selfcheck__read(&a->sc, a->loaded ? &a->probes : NULL);
			act = a->loaded ? selfcheck__step(&a->sc, now) : SELFCHECK_NONE;
			if (act == SELFCHECK_PAUSE)
				LOG_W("overhead over budget: probes paused",
				      "ratio=%.4g budget=%g resume_in_s=%.0f", a->sc.last_ratio,
				      a->sc.budget, (a->sc.resume_at_ns - now) / (double)NS_PER_S);
		}
		if (now >= next_verdict) {
			next_verdict = now + verdict_ns;
			if (a->tracing)
				verdict_sample(a, now);
			/* Nothing goes out: exited processes go once sampled. */
			if (!a->pushing && !a->writing)
				forget_exited(a);
		}
		if (now >= next_push) {
			next_push = now + push_ns;
			agent_push__round(a);
			forget_exited(a);
		}
	}
}

static void cleanup(struct agent *a)
{
	http_server__stop(a->http);
	a->http = NULL;
	mallocprobes__free(a->hook.mp);	/* its links, per process */
	a->hook.mp = a->coll.malloc = NULL;
	probes__destroy(&a->probes);	/* detach: ~70 ms per tracepoint */
	goprobes__free(a->hook.gp);
	selfcheck__free(&a->sc);
	report__free(a->verdict_report);
	verdicts__free(&a->verdicts);
	alloc_deltas__free(&a->deltas);
	u64map__free(a->last_push_s);
	if (a->writing)
		outdir__close(&a->out);
	collector__free(&a->coll);
	agent_filter__free(&a->filter);
	agent_options__free(&a->o);
}

int agent__main(int argc, char **argv)
{
	struct agent *a = xcalloc(1, sizeof(*a));
	int ret, status = 1;

	/* First: a stop signal at any later moment ends in a clean stop. */
	signals__install(false, false);
	ret = agent_options__parse(&a->o, argc, argv);
	if (ret) {
		agent_options__free(&a->o);
		free(a);
		return ret == 1 ? 0 : 2;
	}
	logfmt__set_level(a->o.log_level);
	a->log.logfmt = 1;
	probes__set_verbosity(a->o.verbose, &a->log);
	a->sc.stats_fd = -1;
	collector__init(&a->coll);
	agent_filter__init(&a->filter, &a->o);
	verdicts__init(&a->verdicts, a->o.trace.suspect_age_s);
	alloc_deltas__init(&a->deltas);
	a->last_push_s = u64map__new(64);
	a->caps.per_process = a->o.max_items_per_process;
	a->caps.global = a->o.max_items;
	if (a->o.host)
		snprintf(a->host, sizeof(a->host), "%s", a->o.host);
	else if (gethostname(a->host, sizeof(a->host) - 1))
		snprintf(a->host, sizeof(a->host), "unknown");
	sampler__init(&a->sampler, a->o.threshold, a->o.sampling_interval_s,
		      a->o.seed_set ? a->o.sampling_seed : sampler__random_seed());
	curl_global_init(CURL_GLOBAL_DEFAULT);

	if (a->o.threshold > 0) {
		if (load(a)) {
			LOG_E("cannot start tracing", "hint=%s",
			      logfmt__q("see the message above; run as root on a kernel with BTF"));
			goto out;
		}
	} else {
		LOG_I("probabilistic threshold is 0: nothing is attached, nothing traced", "%s", "");
	}
	selfcheck__init(&a->sc, a->o.overhead_budget_pct, a->o.overhead_window_s,
			a->o.overhead_backoff_s, a->o.overhead_backoff_max_s, now_ns(), a->loaded);
	if (start_exports(a))
		goto out;
	LOG_I("agent started", "host=%s filters=%s threshold=%g sampling_interval_s=%g", logfmt__q(a->host),
	      has_filters(a) ? "true" : "false", a->o.threshold, a->o.sampling_interval_s);
	run(a);
	if (signals__stop_requested())
		LOG_I("stopping", "signal=%d", signals__stop_requested());
	/* What happened before the stop still counts; then the last round. */
	if (a->loaded)
		ring_buffer__consume(a->probes.rb);
	if (a->tracing)
		agent_push__round(a);
	if (a->pushing) {
		struct push_stats st;

		pusher__stop(&a->pusher, a->o.shutdown_timeout_s);
		pusher__stats(&a->pusher, &st);
		LOG_I("push finished", "enqueued=%" PRIu64 " sent=%" PRIu64 " dropped=%" PRIu64
		      " rejected=%" PRIu64 " retries=%" PRIu64, st.enqueued, st.sent, st.dropped,
		      st.rejected, st.retries);
		a->pushing = false;
	}
	status = 0;
out:
	if (a->pushing)
		pusher__stop(&a->pusher, 0);
	cleanup(a);
	curl_global_cleanup();
	free(a);
	if (status == 0)
		LOG_I("stopped", "%s", "");
	return status;
}
