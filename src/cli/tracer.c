// SPDX-License-Identifier: MIT
/*
 * `leakscope -p PID` and `leakscope -- CMD`: the tracer's lifecycle. It is
 * strict: parse -> check -> (fork the held child) -> load -> trace pids
 * -> attach -> release the child -> poll -> report -> destroy. Every exit
 * path goes through tracer_cleanup().
 */
#include "cli/tracer.h"
#include "base/strtab.h"
#include "base/signals.h"
#include "base/util.h"
#include "cli/options.h"
#include "export/export.h"
#include "ledgers/goproc.h"
#include "ledgers/process.h"
#include "report/build.h"
#include "report/live.h"
#include "report/report.h"
#include "report/verdict.h"
#include "trace/collector.h"
#include "trace/goprobes.h"
#include "trace/goread.h"
#include "trace/launch.h"
#include "trace/mallocprobes.h"
#include "trace/preexisting.h"
#include "trace/resync.h"
#include "trace/preflight.h"
#include "trace/probes.h"
#include "trace/session.h"
#include "trace/tracefs.h"

#include <bpf/libbpf.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Verdicts sample every stack this often (or at the live interval if
 * that is shorter), so a leak is told from a plateau within seconds. */
#define VERDICT_SAMPLE_NS NS_PER_S

/* Records arrive without a wakeup (see bpf/common.bpf.h): the collector
 * looks every POLL_MS unless woken for a full buffer, an exec or an exit. */
#define POLL_MS 20

/* Processes whose exit record was lost are looked for this often. */
#define REAP_NS NS_PER_S

struct tracer {
	struct options opts;
	struct probe_config cfg;
	struct probes probes;
	struct collector coll;
	struct launch child;
	struct go_hook hook;
	struct live live;
	struct verdicts verdicts;
	char command_path[PATH_MAX];
	int pids[MAX_PIDS];
	bool launched;		/* the child was released to exec */
	bool child_scanned;	/* what the command started with is known */
	int exit_code;
};

static int write_report(const struct report *r, const struct output *out,
			const struct options *o)
{
	struct export_options eo = EXPORT_OPTIONS_DEFAULT;
	int fmt = out->format != EXPORT_AUTO ? out->format : o->format;
	int err;

	eo.kind_filter = o->kind_filter;
	eo.text_top = o->top;
	err = export__write_file_opts(r, out->path, fmt, &eo);
	if (!err && strcmp(out->path, "-") && !o->quiet)
		fprintf(stderr, "leakscope: report written to %s\n", out->path);
	/* Checked before tracing, gone since (a directory removed, a disk
	 * full): the trace is not lost, it goes where it can. */
	if (err && strcmp(out->path, "-")) {
		char fallback[4096];

		if (export__fallback_path(out->path, fallback, sizeof(fallback)) == 0 &&
		    export__write_file_opts(r, fallback, fmt != EXPORT_AUTO ? fmt :
					    export__format_from_path(out->path), &eo) == 0)
			fprintf(stderr, "leakscope: the report meant for %s is in %s instead\n",
				out->path, fallback);
	}
	return err;
}

static void on_new_image(void *ctx, struct process *p)
{
	struct tracer *t = ctx;

	session__on_new_image(&t->hook, p);
	/* The launched command's first image: what it starts with (stdin,
	 * stdout, stderr, inherited fds; the program, its loader and stack
	 * as exec mapped them) was not made under tracing: pre-existing, as
	 * with -p. What it did since then arrives as records after this. */
	if (p->pid == t->child.pid && p->execed && !t->child_scanned) {
		t->child_scanned = true;
		if (!t->opts.new_only)
			preexisting__scan(p, now_ns(), NULL);
	}
}

static int poll_timeout_ms(uint64_t now, uint64_t next_live, uint64_t deadline)
{
	uint64_t t = now + POLL_MS * NS_PER_MS;

	if (next_live && next_live < t)
		t = next_live;
	if (deadline && deadline < t)
		t = deadline;
	return t > now ? (int)((t - now + NS_PER_MS - 1) / NS_PER_MS) : 0;
}

/* Privileges, BTF, the pids and the command, before anything is loaded. */
static int check_targets(struct tracer *t)
{
	const struct options *o = &t->opts;

	if (preflight__privileges(NULL) || preflight__btf(NULL))
		return -EPERM;
	for (size_t i = 0; i < o->npids; i++) {
		t->pids[i] = preflight__pid(o->pids[i]);
		if (t->pids[i] < 0)
			return t->pids[i];
	}
	if (o->command &&
	    launch__check(o->command, t->command_path, sizeof(t->command_path))) {
		t->exit_code = 127;
		return -ENOENT;
	}
	return 0;
}

/* Load the BPF side, put the targets in its filter, attach. */
static int load_and_attach(struct tracer *t)
{
	const struct options *o = &t->opts;

	t->cfg.follow_forks = o->follow;
	t->cfg.stack_depth = o->trace.stack_depth;
	t->cfg.snapshot_kib = o->trace.snapshot_kib;
	t->cfg.ringbuf_bytes = trace_options__ringbuf_bytes(&o->trace);
	t->cfg.verbose = o->verbose;
	t->cfg.malloc_mode = o->trace.malloc;
	t->cfg.malloc_sample_mean = o->trace.malloc_rate;
	t->coll.max_frames = o->trace.stack_depth;
	t->coll.measure_memory = true;
	if (probes__load(&t->probes, &t->cfg))
		return -EINVAL;
	for (int k = KF_FIRST_OPTIONAL; o->verbose && k < KF_COUNT; k++)
		if (!kernel_features__use(&t->probes.features, k))
			fprintf(stderr, "leakscope: without %s%s: %s\n", kfeature__desc(k)->what,
				t->probes.features.forced[k] ? " (LEAKSCOPE_FORCE_FALLBACK)" : "",
				kfeature__desc(k)->without);
	{
		struct malloc_options mo = { .mode = o->trace.malloc,
					     .sample_mean = o->trace.malloc_rate,
					     .verbose = o->verbose };

		for (size_t i = 0; i < o->nmalloc_prefixes; i++)
			mo.prefixes[mo.nprefixes++] = o->malloc_prefixes[i];
		t->hook.mp = t->coll.malloc = mallocprobes__new(&t->probes, &mo);
	}
	t->hook.gp = goprobes__new(&t->probes, o->trace.go_alloc, o->verbose);
	goprobes__set_goroutine_mode(t->hook.gp, o->trace.go_goroutines);
	t->hook.all_processes = o->follow;
	t->hook.verbose = o->verbose;
	t->coll.on_new_image = on_new_image;
	t->coll.hook_ctx = t;
	/* Trace the pids before attaching, so the first event already
	 * passes the filter; register them with the collector after. */
	if (o->command && probes__trace_pid(&t->probes, t->child.pid))
		return -EINVAL;
	for (size_t i = 0; i < o->npids; i++)
		if (probes__trace_pid(&t->probes, t->pids[i])) {
			fprintf(stderr, "leakscope: cannot trace PID %d: %s\n", t->pids[i],
				strerror(errno));
			return -EINVAL;
		}
	if (probes__open_ring(&t->probes, collector__on_record, &t->coll) ||
	    probes__attach_native(&t->probes))
		return -EINVAL;
	return 0;
}

/* The launched command: known to the collector, then let go. */
static int release_command(struct tracer *t)
{
	struct process *p = collector__add(&t->coll, t->child.pid, NULL);

	/* The command's image is known before it runs: a Go program gets
	 * its probes now, so its first goroutine is seen. */
	p->exe = strtab__intern(t->coll.tables.strings, t->command_path);
	process__hold_program(p, t->command_path);
	/* its libraries' allocators, probed before it runs */
	mallocprobes__prepare_launch(t->hook.mp, &t->coll.tables, t->command_path,
				     t->child.pid);
	on_new_image(t, p);
	if (launch__release(&t->child, t->opts.command[0])) {
		t->exit_code = 127;
		return -ENOEXEC;
	}
	t->launched = true;
	if (!t->opts.quiet && t->opts.verbose)
		fprintf(stderr, "leakscope: launched pid %d: %s\n", t->child.pid,
			t->opts.command[0]);
	return 0;
}

/* -p targets: known to the collector with what they already hold. */
static int adopt_pids(struct tracer *t)
{
	const struct options *o = &t->opts;

	for (size_t i = 0; i < o->npids; i++) {
		struct process *p = collector__add(&t->coll, t->pids[i], NULL);

		/* Attached to a process that is already gone: say so rather
		 * than report an empty trace. */
		if (kill(t->pids[i], 0) && errno == ESRCH) {
			fprintf(stderr, "leakscope: PID %d exited while attaching; "
				"nothing to trace\n", t->pids[i]);
			return -ESRCH;
		}
		/* What it already holds: the probes are live, so anything that
		 * changes from here on arrives as an event after this scan. */
		on_new_image(t, p);
		if (!o->new_only) {
			preexisting__scan(p, now_ns(), NULL);
			if (session__traced_as_go(p)) {
				goread__scan_allgs(p->go, p, now_ns());
				goread__heap_baseline(p->go, p);
			}
		}
		if (!o->quiet)
			fprintf(stderr, "leakscope: tracing pid %d (%s)%s\n", p->pid, p->comm,
				o->follow ? " and its children" : "");
	}
	return 0;
}

/* For tests only: sleep the milliseconds the environment variable gives,
 * to hold open a window a test needs (each use says which). */
static void test_delay(const char *var)
{
	const char *ms = getenv(var);

	if (ms)
		usleep(atoi(ms) * 1000);
}

static int start(struct tracer *t)
{
	int err = check_targets(t);

	if (err)
		return err;
	/* Fork before tracefs__ensure may unshare our mount namespace: the
	 * command runs in the caller's namespace. */
	if (t->opts.command && launch__start(&t->child, t->opts.command)) {
		fprintf(stderr, "leakscope: cannot fork: %s\n", strerror(errno));
		return -errno;
	}
	if (tracefs__ensure(NULL))
		return -ENOENT;
	/* For tests only: widen the window in which a target can exit while
	 * we attach, to check that this is reported cleanly. */
	test_delay("LEAKSCOPE_TEST_ATTACH_DELAY_MS");
	err = load_and_attach(t);
	if (!err && t->opts.command)
		err = release_command(t);
	/* For tests only: read the first records late, as a collector
	 * starved of CPU does; a short command has ended by then. */
	if (!err)
		test_delay("LEAKSCOPE_TEST_POLL_DELAY_MS");
	if (!err)
		err = adopt_pids(t);
	return err;
}

static uint64_t lost_records(const struct tracer *t)
{
	uint64_t drops[LS_DROP_MAX];

	probes__read_drops(&t->probes, drops);
	return drops[LS_DROP_RINGBUF_FULL];
}

/* Until a stop signal, the deadline, or every target is gone: consume
 * records, sample for verdicts, print the live view. */
static int poll_loop(struct tracer *t)
{
	struct options *o = &t->opts;
	uint64_t sample_ns = VERDICT_SAMPLE_NS, next_sample, last_reap = 0;
	uint64_t deadline = 0, next_live = 0, live_ns = 0;

	if (o->interval_s < 0)
		o->interval_s = isatty(STDOUT_FILENO) && !o->noutputs ? 5 : 0;
	if (o->interval_s > 0) {
		live_ns = (uint64_t)(o->interval_s * NS_PER_S);
		next_live = now_ns() + live_ns;
		if (live_ns < sample_ns)
			sample_ns = live_ns;
	}
	next_sample = now_ns() + sample_ns;
	if (o->duration_s > 0)
		deadline = now_ns() + (uint64_t)(o->duration_s * NS_PER_S);
	if (!o->quiet && !o->command)
		fprintf(stderr, "leakscope: Ctrl-C to stop and print the report\n");

	while (!signals__stop_requested()) {
		uint64_t now = now_ns();
		int err = ring_buffer__poll(t->probes.rb, poll_timeout_ms(now, next_live, deadline));

		if (err >= 0)
			err = ring_buffer__consume(t->probes.rb);
		if (err < 0 && err != -EINTR) {
			fprintf(stderr, "leakscope: reading events failed: %s\n", strerror(-err));
			return err;
		}
		now = now_ns();
		if (t->launched)
			launch__poll(&t->child);
		/* paths and stacks of what was released, once they pile up */
		collector__sweep_if_grown(&t->coll);
		if (now - last_reap > REAP_NS) {
			collector__reap_vanished(&t->coll, NULL, NULL);
			resync__tick(&t->coll, lost_records(t), now);
			last_reap = now;
		}
		if (t->coll.live == 0 && (!t->launched || t->child.reaped))
			break;
		collector__walk_goroutines(&t->coll, false);
		if (now >= next_sample) {
			struct report *r = report__build_traced(&t->coll, &t->probes, 0, false);

			verdicts__observe(&t->verdicts, r, now);
			report__free(r);
			next_sample = now + sample_ns;
		}
		if (next_live && now >= next_live) {
			struct report *r = report__build_traced(&t->coll, &t->probes,
								o->min_age_s, true);

			verdicts__apply(&t->verdicts, r);
			live__print(&t->live, stdout, r, o->top);
			report__free(r);
			next_live = now + live_ns;
		}
		if (deadline && now >= deadline)
			break;
	}
	return 0;
}

/* The final report, to stdout and every -o. */
static int final_report(struct tracer *t)
{
	const struct options *o = &t->opts;
	struct output stdout_output = { "-", EXPORT_AUTO };
	struct report *r;
	int err = 0;

	/* Whatever is still in the ring buffer happened before we stopped. */
	ring_buffer__consume(t->probes.rb);
	/* Records lost since the last repair: re-read what still runs. */
	resync__finish(&t->coll, lost_records(t), now_ns());
	/* For tests only: widen the window in which a target can exit while
	 * its report is built. */
	test_delay("LEAKSCOPE_TEST_REPORT_DELAY_MS");
	r = report__build_traced(&t->coll, &t->probes, 0, false);
	verdicts__observe(&t->verdicts, r, now_ns());
	report__free(r);
	r = report__build_traced(&t->coll, &t->probes, o->min_age_s, true);
	verdicts__apply(&t->verdicts, r);
	if (!o->noutputs)
		err = write_report(r, &stdout_output, o);
	for (size_t i = 0; i < o->noutputs; i++)
		err |= write_report(r, &o->outputs[i], o);
	report__free(r);
	return err;
}

/* We stopped first (Ctrl-C, --duration): the command does not outlive
 * its tracer unnoticed. */
static void end_command(struct tracer *t)
{
	if (t->child.reaped)
		return;
	launch__kill(&t->child, SIGTERM);
	for (int i = 0; i < 50 && !launch__poll(&t->child); i++)
		usleep(20000);
	if (!t->child.reaped) {
		launch__kill(&t->child, SIGKILL);
		while (!launch__poll(&t->child))
			usleep(10000);
	}
}

static void tracer_cleanup(struct tracer *t)
{
	/* the malloc family's links first (it owns them, per process) */
	mallocprobes__free(t->hook.mp);
	t->hook.mp = t->coll.malloc = NULL;
	probes__destroy(&t->probes);
	if (t->child.pid > 0 && !t->launched && !t->child.reaped) {
		/* Never released: it is still waiting on the pipe. */
		launch__kill(&t->child, SIGKILL);
		waitpid(t->child.pid, NULL, 0);
	}
	goprobes__free(t->hook.gp);
	live__free(&t->live);
	verdicts__free(&t->verdicts);
	collector__free(&t->coll);
}

int tracer__main(int argc, char **argv)
{
	struct tracer *t = xcalloc(1, sizeof(*t));
	int err, exit_code;

	/* First: a stop signal at any later moment (parsing, attaching)
	 * still ends in a report and a clean detach. */
	signals__install(true, true);
	t->child.pid = -1;
	t->exit_code = 1;
	err = options__parse(&t->opts, argc, argv);
	if (err) {
		free(t);
		return err == 1 ? 0 : err;	/* 1: help shown */
	}
	collector__init(&t->coll);
	live__init(&t->live);
	verdicts__init(&t->verdicts, t->opts.trace.suspect_age_s);
	probes__set_verbosity(t->opts.verbose, NULL);
	if (start(t))
		goto cleanup;
	t->coll.traced_ns = now_ns();	/* attach time is not traced time */
	if (poll_loop(t))
		goto cleanup;
	err = final_report(t);
	t->exit_code = err ? 1 : 0;
	if (t->launched) {
		end_command(t);
		if (!err)
			t->exit_code = launch__exit_code(&t->child);
	}
cleanup:
	tracer_cleanup(t);
	exit_code = t->exit_code;
	free(t);
	return exit_code;
}
