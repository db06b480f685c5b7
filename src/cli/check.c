// SPDX-License-Identifier: MIT
#include "cli/check.h"
#include "go.skel.h"
#include "malloc.skel.h"
#include "native.skel.h"
#include "trace/features.h"
#include "trace/mallocprobes.h"
#include "trace/preflight.h"
#include "trace/probes.h"
#include "trace/tracefs.h"

#include <bpf/libbpf.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

/*
 * What it prints (on Debian 12's kernel, shortened):
 *
 *   leakscope check: Linux 6.1.0-57-amd64 (x86_64)
 *
 *   machine
 *     ok    privileges            root: CAP_SYS_ADMIN CAP_BPF CAP_PERFMON CAP_SYS_PTRACE
 *     ok    tracefs               mounted at /sys/kernel/debug/tracing
 *   ...
 *   features with a fallback (leakscope works without them)
 *     yes   bpf_find_vma                                   5.17
 *     no    kfunc bpf_rdonly_cast                          6.2   fallback: an fd's ...
 *   ...
 *   kinds
 *     ...
 *     ok    malloc                   an entry uprobe and a uretprobe on each ...
 *   options
 *     ...
 *     ok    --go-goroutines=trace    uprobes at creation and exit; creator's ...
 *     ok    --go-goroutines=snapshot no probes: stacks read from the process's ...
 *   BPF programs
 *     ok    load                     46 native (without kfunc calls), 4 Go, 3 ...
 *
 *   leakscope works here: 3 features by fallback, nothing lost
 *
 * The last line names what is missing when something is.
 */

struct check {
	struct kernel_features f;
	char missing[512];	/* what stops leakscope, comma-separated */
	int fallbacks;
};

static void add_missing(struct check *c, const char *what)
{
	size_t n = strlen(c->missing);

	snprintf(c->missing + n, sizeof(c->missing) - n, "%s%s", n ? ", " : "", what);
}

static void line(bool ok, const char *what, const char *detail)
{
	printf("  %-5s %-24s %s\n", ok ? "ok" : "NO", what, detail);
}

static bool check_privileges(struct check *c)
{
	unsigned caps = preflight__caps();
	char detail[160];
	bool ok = preflight__caps_enough(caps);

	snprintf(detail, sizeof(detail), "%s%s%s%s%s%s",
		 geteuid() == 0 ? "root: " : "",
		 caps & PREFLIGHT_CAP_SYS_ADMIN ? "CAP_SYS_ADMIN " : "",
		 caps & PREFLIGHT_CAP_BPF ? "CAP_BPF " : "",
		 caps & PREFLIGHT_CAP_PERFMON ? "CAP_PERFMON " : "",
		 caps & PREFLIGHT_CAP_SYS_PTRACE ? "CAP_SYS_PTRACE" : "",
		 ok ? "" : "; needs root, or CAP_BPF, CAP_PERFMON and CAP_SYS_PTRACE");
	line(ok, "privileges", caps ? detail : "none: run as root (sudo leakscope check)");
	if (!ok)
		add_missing(c, "privileges (run as root)");
	return ok;
}

/* tracefs as the user left it; then the syscall tracepoints, mounting
 * tracefs privately as the tracer would. */
static void check_tracefs(struct check *c, bool privileged)
{
	const char *where = tracefs__mounted();
	char detail[160];

	snprintf(detail, sizeof(detail), where ? "mounted at %s" :
		 "not mounted: leakscope mounts it in a private mount namespace", where);
	line(true, "tracefs", detail);
	if (!privileged)
		return;
	fflush(stdout);
	if (tracefs__ensure(NULL)) {
		line(false, "syscall tracepoints", "not found (see the message above)");
		add_missing(c, "syscall tracepoints");
		return;
	}
	where = tracefs__mounted();
	snprintf(detail, sizeof(detail), "%s/events/syscalls", where ? where : "?");
	line(true, "syscall tracepoints", detail);
}

static void check_required(struct check *c)
{
	printf("required BPF features (Linux 5.15 has them all)\n");
	for (int k = 0; k < KF_FIRST_OPTIONAL; k++) {
		const struct kfeature_desc *d = kfeature__desc(k);
		bool ok = c->f.have[k];

		printf("  %-5s %-46s %-5s for %s%s%s\n", ok ? "ok" : "NO", d->what, d->since,
		       d->without, c->f.note[k][0] ? "; " : "", c->f.note[k]);
		if (!ok)
			add_missing(c, d->what);
	}
}

static void check_optional(struct check *c)
{
	printf("features with a fallback (leakscope works without them)\n");
	for (int k = KF_FIRST_OPTIONAL; k < KF_COUNT; k++) {
		const struct kfeature_desc *d = kfeature__desc(k);
		const char *state = !c->f.have[k] ? "no" : c->f.forced[k] ? "off" : "yes";

		if (kernel_features__use(&c->f, k)) {
			printf("  %-5s %-46s %s\n", state, d->what, d->since);
			continue;
		}
		c->fallbacks++;
		printf("  %-5s %-46s %-5s fallback%s: %s%s%s\n", state, d->what, d->since,
		       c->f.forced[k] ? " (LEAKSCOPE_FORCE_FALLBACK)" : "", d->without,
		       c->f.note[k][0] ? "; " : "", c->f.note[k]);
	}
}

static bool all_of(const struct kernel_features *f, const enum kfeature *ks, int n)
{
	for (int i = 0; i < n; i++)
		if (!f->have[ks[i]])
			return false;
	return true;
}

static void check_kinds(struct check *c)
{
	static const enum kfeature native[] = { KF_BPF, KF_BTF, KF_RINGBUF, KF_TP_BTF,
						KF_TASK_PT_REGS };
	static const enum kfeature go[] = { KF_UPROBES, KF_ATTACH_COOKIE };
	bool n = all_of(&c->f, native, 5) && !c->missing[0];
	bool brk = n && c->f.have[KF_TASK_STORAGE];
	bool g = n && all_of(&c->f, go, 2);
	bool direct = kernel_features__use(&c->f, KF_RINGBUF_DYNPTR) &&
		      kernel_features__use(&c->f, KF_READ_USER_DYNPTR);
	/* as the loader decides: the session program calls kfuncs, and
	 * forcing find_vma's fallback forces the kfuncs' too */
	bool session = kernel_features__use(&c->f, KF_UPROBE_SESSION) &&
		       (direct || kernel_features__use(&c->f, KF_RDONLY_CAST));

	printf("kinds\n");
	line(n, "mmap, fd", n ? "syscall tracepoints" : "needs the features marked NO");
	line(brk, "brk", brk ? "syscall tracepoints, task storage" :
			       "needs the features marked NO");
	line(g, "goroutine, go_heap", g ? "uprobes on the Go runtime" :
					  "needs the features marked NO");
	line(g, "go_alloc", g ? "uprobes on the Go runtime" : "needs the features marked NO");
	line(brk && c->f.have[KF_UPROBES] && c->f.have[KF_ATTACH_COOKIE], "malloc",
	     !(brk && c->f.have[KF_UPROBES] && c->f.have[KF_ATTACH_COOKIE]) ?
		     "needs the features marked NO" :
	     session ? "session uprobes on the allocators (a return probe only when sampled)" :
		       "an entry uprobe and a uretprobe on each allocating function");
	printf("options\n");
	line(n, "--stack-snapshot", direct ? "the live stack straight into the ring buffer" :
					     "the live stack through a per-CPU buffer");
	line(n, "-f, agent", "forks and execs from BTF tracepoints");
	line(g, "--go-goroutines=trace", !g ? "needs the features marked NO" :
	     direct ? "uprobes at creation and exit; creator's stack straight into the "
		      "ring buffer" :
		      "uprobes at creation and exit; creator's stack through a per-CPU buffer");
	line(n, "--go-goroutines=snapshot", "no probes: stacks read from the process's memory");
}

static int count_loaded(struct bpf_object *obj)
{
	struct bpf_program *prog;
	int n = 0;

	bpf_object__for_each_program(prog, obj)
		n += bpf_program__fd(prog) >= 0;
	return n;
}

/* The proof: load every program as the tracer would, then let go. */
static void check_load(struct check *c)
{
	struct probe_config cfg = { .snapshot_kib = 16, .ringbuf_bytes = 1 << 20,
				    .malloc_mode = MALLOC_ALL };
	struct probes p;
	char detail[160];

	printf("BPF programs\n");
	fflush(stdout);
	if (probes__load(&p, &cfg)) {
		line(false, "load", "the kernel refused them (see the message above; -vv in "
			     "the tracer shows the verifier's log)");
		add_missing(c, "BPF programs that load");
		probes__destroy(&p);
		return;
	}
	snprintf(detail, sizeof(detail), "%d native (%s kfunc calls), %d Go, %d malloc (%s): "
		 "the verifier accepts them", count_loaded(p.native->obj),
		 p.nokf ? "without" : "with", p.go ? count_loaded(p.go->obj) : 0,
		 p.malloc ? count_loaded(p.malloc->obj) : 0,
		 p.malloc_session ? "session uprobes" : "uprobe + uretprobe");
	line(true, "load", detail);
	probes__destroy(&p);
}

int check__main(int argc, char **argv)
{
	struct check c = { 0 };
	struct utsname u = { 0 };
	bool privileged;

	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		printf("Usage: leakscope check\n"
		       "Says whether leakscope can run on this machine: kernel, BTF, BPF "
		       "features and their fallbacks, kinds, privileges, tracefs.\n"
		       "Exit status 0 when everything works, 1 when something is missing.\n");
		return 0;
	}
	if (argc > 1) {
		fprintf(stderr, "leakscope check: takes no arguments, not '%s' (leakscope check "
			"--help)\n", argv[1]);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	uname(&u);
	printf("leakscope check: Linux %s (%s)\n\nmachine\n", u.release, u.machine);
	privileged = check_privileges(&c);
	check_tracefs(&c, privileged);
	probes__set_verbosity(0, NULL);	/* libbpf's own warnings: the lines say it */
	if (kernel_features__probe(&c.f, NULL))
		return 2;
	if (privileged) {
		check_required(&c);
		check_optional(&c);
		check_kinds(&c);
		if (!c.missing[0])
			check_load(&c);
	} else {
		printf("BPF features, kinds, loading: not probed (they need the privileges)\n");
	}
	printf("\n");
	if (c.missing[0]) {
		printf("leakscope cannot run here: missing %s\n", c.missing);
		return 1;
	}
	if (c.fallbacks)
		printf("leakscope works here: %d feature%s by fallback, nothing lost\n",
		       c.fallbacks, c.fallbacks == 1 ? "" : "s");
	else
		printf("leakscope works here: every feature it can use\n");
	return 0;
}
