// SPDX-License-Identifier: MIT
/*
 * leakscope: trace processes and report, per call stack, what they still
 * hold. The lifecycle is strict: parse -> check -> (fork the held child)
 * -> load -> trace pids -> attach -> release the child -> poll -> report
 * -> destroy. Every exit path goes through one cleanup.
 */
#include "agent/agent.h"
#include "trace/collector.h"
#include "cli/convert.h"
#include "trace/goprobes.h"
#include "ledgers/goproc.h"
#include "trace/launch.h"
#include "report/live.h"
#include "cli/options.h"
#include "trace/preexisting.h"
#include "trace/preflight.h"
#include "trace/probes.h"
#include "ledgers/process.h"
#include "report/report.h"
#include "report/json_write.h"
#include "report/text.h"
#include "trace/tracefs.h"
#include "trace/session.h"
#include "base/util.h"
#include "report/verdict.h"

#include <bpf/libbpf.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t stop_signal;

static void on_stop(int sig)
{
	stop_signal = sig;
}

static void on_child(int sig)
{
	(void)sig;	/* only interrupts the poll, so we reap promptly */
}

static void install_signals(void)
{
	struct sigaction sa = { 0 };

	sa.sa_handler = on_stop;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = on_child;
	sa.sa_flags = SA_NOCLDSTOP;
	sigaction(SIGCHLD, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* Verdicts sample every stack this often (or at the live interval if
 * that is shorter), so a leak is told from a plateau within seconds. */
#define VERDICT_SAMPLE_NS 1000000000ULL


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
	return err;
}

static void on_new_image(void *ctx, struct process *p)
{
	tracing__on_new_image(ctx, p);
}

/* Mark targets whose exit record was lost (counted in the report) as
 * gone, so we never wait forever for them. */
static void reap_vanished(struct collector *c)
{
	for (size_t i = 0; i < c->nprocs; i++) {
		struct process *p = c->procs[i];

		if (p->exited || kill(p->pid, 0) == 0 || errno != ESRCH)
			continue;
		p->exited = true;
		p->exit_ns = now_ns();
		if (c->live)
			c->live--;
	}
}

/* Records arrive without a wakeup (see bpf/common.bpf.h): the collector
 * looks every POLL_MS unless woken for a full buffer, an exec or an exit. */
#define POLL_MS 20

static int poll_timeout_ms(uint64_t now, uint64_t next_live, uint64_t deadline)
{
	uint64_t t = now + POLL_MS * 1000000ULL;

	if (next_live && next_live < t)
		t = next_live;
	if (deadline && deadline < t)
		t = deadline;
	return t > now ? (int)((t - now + 999999) / 1000000) : 0;
}

int main(int argc, char **argv)
{
	struct probe_config cfg = { 0 };
	struct collector coll;
	struct options opts;
	struct probes probes = { 0 };
	struct launch child = { .pid = -1 };
	struct go_hook hook = { 0 };
	char command_path[4096] = "";
	struct live live;
	struct verdicts verdicts;
	uint64_t next_sample = 0, sample_ns = VERDICT_SAMPLE_NS;
	struct output stdout_output = { "-", EXPORT_AUTO };
	uint64_t deadline = 0, next_live = 0, last_reap = 0;
	int pids[MAX_PIDS];
	int exit_code = 1, err;
	bool launched = false;

	if (argc > 1 && strcmp(argv[1], "convert") == 0)
		return convert__main(argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "agent"))
		return agent__main(argc - 1, argv + 1);
	collector__init(&coll);
	live__init(&live);
	err = options__parse(&opts, argc, argv);
	if (err)
		return err;
	verdicts__init(&verdicts, opts.suspect_age_s);
	probes__set_verbosity(opts.verbose);
	if (preflight__privileges() || preflight__btf())
		goto cleanup;
	for (size_t i = 0; i < opts.npids; i++) {
		pids[i] = preflight__pid(opts.pids[i]);
		if (pids[i] < 0)
			goto cleanup;
	}
	if (opts.command) {
		if (launch__check(opts.command, command_path, sizeof(command_path))) {
			exit_code = 127;
			goto cleanup;
		}
		/* Fork before tracefs__ensure may unshare our mount namespace:
		 * the command runs in the caller's namespace. */
		if (launch__start(&child, opts.command)) {
			fprintf(stderr, "leakscope: cannot fork: %s\n", strerror(errno));
			goto cleanup;
		}
	}
	install_signals();
	if (tracefs__ensure())
		goto cleanup;
	/* For tests only: widen the window in which a target can exit while
	 * we attach, to check that this is reported cleanly. */
	if (getenv("LEAKSCOPE_TEST_ATTACH_DELAY_MS"))
		usleep(atoi(getenv("LEAKSCOPE_TEST_ATTACH_DELAY_MS")) * 1000);

	cfg.follow_forks = opts.follow;
	cfg.stack_depth = opts.stack_depth;
	cfg.snapshot_kib = opts.snapshot_kib;
	coll.max_frames = opts.stack_depth;
	cfg.ringbuf_mib = opts.ringbuf_mib;
	cfg.verbose = opts.verbose;
	if (probes__load(&probes, &cfg))
		goto cleanup;
	hook.gp = goprobes__new(&probes, opts.go_alloc, opts.verbose);
	hook.all_processes = opts.follow;
	hook.verbose = opts.verbose;
	coll.on_new_image = on_new_image;
	coll.hook_ctx = &hook;
	/* Trace the pids before attaching, so the first event already
	 * passes the filter; register them with the collector after. */
	if (opts.command) {
		if (probes__trace_pid(&probes, child.pid))
			goto cleanup;
	}
	for (size_t i = 0; i < opts.npids; i++)
		if (probes__trace_pid(&probes, pids[i])) {
			fprintf(stderr, "leakscope: cannot trace PID %d: %s\n",
				pids[i], strerror(errno));
			goto cleanup;
		}
	if (probes__open_ring(&probes, collector__on_record, &coll) ||
	    probes__attach_native(&probes))
		goto cleanup;
	if (opts.command) {
		struct process *p = collector__add(&coll, child.pid, NULL);

		/* The command's image is known before it runs: a Go program
		 * gets its probes now, so its first goroutine is seen. */
		p->exe = intern(command_path);
		on_new_image(&hook, p);
		if (launch__release(&child, opts.command[0])) {
			exit_code = 127;
			goto cleanup;
		}
		launched = true;
	}
	for (size_t i = 0; i < opts.npids; i++) {
		struct process *p = collector__add(&coll, pids[i], NULL);

		/* Attached to a process that is already gone: say so rather
		 * than report an empty trace. */
		if (kill(pids[i], 0) && errno == ESRCH) {
			fprintf(stderr, "leakscope: PID %d exited while attaching; "
				"nothing to trace\n", pids[i]);
			goto cleanup;
		}
		/* What it already holds: the probes are live, so anything that
		 * changes from here on arrives as an event after this scan. */
		on_new_image(&hook, p);
		if (!opts.new_only) {
			preexisting__scan(p, now_ns(), NULL);
			if (p->go && p->go->bin->bin)
				goproc__scan_allgs(p->go, p, now_ns());
		}
		if (!opts.quiet)
			fprintf(stderr, "leakscope: tracing pid %d (%s)%s\n", p->pid,
				p->comm, opts.follow ? " and its children" : "");
	}
	if (opts.command && !opts.quiet && opts.verbose)
		fprintf(stderr, "leakscope: launched pid %d: %s\n", child.pid,
			opts.command[0]);
	if (opts.interval_s < 0)
		opts.interval_s = isatty(STDOUT_FILENO) && !opts.noutputs ? 5 : 0;
	if (opts.interval_s > 0) {
		next_live = now_ns() + (uint64_t)(opts.interval_s * 1e9);
		if ((uint64_t)(opts.interval_s * 1e9) < sample_ns)
			sample_ns = (uint64_t)(opts.interval_s * 1e9);
	}
	next_sample = now_ns() + sample_ns;
	if (opts.duration_s > 0)
		deadline = now_ns() + (uint64_t)(opts.duration_s * 1e9);
	if (!opts.quiet && !opts.command)
		fprintf(stderr, "leakscope: Ctrl-C to stop and print the report\n");

	while (!stop_signal) {
		uint64_t now = now_ns();

		err = ring_buffer__poll(probes.rb, poll_timeout_ms(now, next_live, deadline));
		if (err >= 0)
			err = ring_buffer__consume(probes.rb);
		if (err < 0 && err != -EINTR) {
			fprintf(stderr, "leakscope: reading events failed: %s\n",
				strerror(-err));
			goto cleanup;
		}
		now = now_ns();
		if (launched)
			launch__poll(&child);
		if (now - last_reap > 1000000000ULL) {
			reap_vanished(&coll);
			last_reap = now;
		}
		if (coll.live == 0 && (!launched || child.reaped))
			break;
		if (now >= next_sample) {
			struct report *r = tracing__build_report(&coll, &probes, 0, false);

			verdicts__observe(&verdicts, r, now);
			report__free(r);
			next_sample = now + sample_ns;
		}
		if (next_live && now >= next_live) {
			struct report *r = tracing__build_report(&coll, &probes,
								 opts.min_age_s, true);

			verdicts__apply(&verdicts, r);
			live__print(&live, stdout, r, opts.top);
			report__free(r);
			next_live = now + (uint64_t)(opts.interval_s * 1e9);
		}
		if (deadline && now >= deadline)
			break;
	}
	/* Whatever is still in the ring buffer happened before we stopped. */
	ring_buffer__consume(probes.rb);
	{
		struct report *r = tracing__build_report(&coll, &probes, 0, false);

		verdicts__observe(&verdicts, r, now_ns());
		report__free(r);
		r = tracing__build_report(&coll, &probes, opts.min_age_s, true);
		verdicts__apply(&verdicts, r);

		err = 0;
		if (!opts.noutputs)
			err = write_report(r, &stdout_output, &opts);
		for (size_t i = 0; i < opts.noutputs; i++)
			err |= write_report(r, &opts.outputs[i], &opts);
		report__free(r);
	}
	exit_code = err ? 1 : 0;
	if (launched) {
		/* We stopped first (Ctrl-C, --duration): the command does not
		 * outlive its tracer unnoticed. */
		if (!child.reaped) {
			launch__kill(&child, SIGTERM);
			for (int i = 0; i < 50 && !launch__poll(&child); i++)
				usleep(20000);
			if (!child.reaped) {
				launch__kill(&child, SIGKILL);
				while (!launch__poll(&child))
					usleep(10000);
			}
		}
		if (!err)
			exit_code = launch__exit_code(&child);
	} else if (stop_signal == SIGINT && !err) {
		exit_code = 0;
	}

cleanup:
	probes__destroy(&probes);
	if (child.pid > 0 && !launched && !child.reaped) {
		/* Never released: it is still waiting on the pipe. */
		launch__kill(&child, SIGKILL);
		waitpid(child.pid, NULL, 0);
	}
	goprobes__free(hook.gp);
	live__free(&live);
	verdicts__free(&verdicts);
	collector__free(&coll);
	return exit_code;
}
