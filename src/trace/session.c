// SPDX-License-Identifier: MIT
#include "trace/session.h"
#include "trace/collector.h"
#include "trace/goprobes.h"
#include "trace/goread.h"
#include "trace/preflight.h"

#include <linux/capability.h>
#include "base/util.h"
#include "trace/mallocprobes.h"
#include "ledgers/goproc.h"
#include "base/logfmt.h"
#include "trace/probes.h"
#include "ledgers/process.h"

#include <stdio.h>
#include <string.h>

void session__on_new_image(void *ctx, struct process *p)
{
	struct go_hook *h = ctx;
	struct go_binary *b;

	if (!p->exe || p->exe[0] != '/')
		return;
	b = goprobes__inspect(h->gp, p->exe, p->pid);
	if (!b->bin && !p->go)
		mallocprobes__attach_process(h->mp, p);
	if (!b->bin) {
		/* Say it only for Go binaries we cannot trace; not being Go
		 * is the normal case for native programs. */
		if (b->fault != GOBIN_NOT_GO && b->fault != GOBIN_NOT_ELF) {
			p->go = goproc__new(b);
			if (!h->structured)
				fprintf(stderr, "leakscope: pid %d (%s): Go kinds off: %s\n", p->pid,
					p->exe, b->why_not);
			/* A fleet has deleted and memfd executables: whether
			 * they are Go is unknown, not worth a warning each. */
			else
				logfmt__write(b->fault == GOBIN_UNREADABLE ? LOG_DEBUG :
					      LOG_WARN, "Go kinds off", "pid=%d exe=%s why=%s",
					      p->pid, logfmt__q(p->exe), logfmt__q(b->why_not));
		}
		return;
	}
	/* The kernel's uprobe events demand CAP_SYS_ADMIN: say that, not
	 * "permission denied" per probe. */
	if (!preflight__has_cap(CAP_SYS_ADMIN)) {
		if (!h->structured)
			fprintf(stderr, "leakscope: pid %d (%s): Go kinds off: uprobes need "
				"CAP_SYS_ADMIN (run as root)\n", p->pid, p->exe);
		else
			LOG_W("Go kinds off: uprobes need CAP_SYS_ADMIN", "pid=%d exe=%s", p->pid,
			      logfmt__q(p->exe));
		return;
	}
	if (goprobes__attach(h->gp, b, h->all_processes ? -1 : p->pid) == 0) {
		goproc__free(p->go);
		p->go = goproc__new(b);
		p->go->snapshot = goprobes__goroutine_mode(h->gp) == GO_GOROUTINES_SNAPSHOT;
		goprobes__watch(h->gp, b, p->pid);
		/* An exec under tracing: the new runtime was already starting
		 * goroutines (runtime init) before the probes went in; read
		 * those from allgs, as on attach. */
		if (p->execed)
			goread__scan_allgs(p->go, p, now_ns());
		if (h->verbose && !h->structured)
			fprintf(stderr, "leakscope: pid %d: Go %s, probes attached\n", p->pid,
				gobin__version(b->bin)->str);
		else if (h->structured)
			LOG_D("Go probes attached", "pid=%d exe=%s go=%s", p->pid, logfmt__q(p->exe),
			      gobin__version(b->bin)->str);
	}
}

bool session__traced_as_go(const struct process *p)
{
	return p->go && p->go->bin && p->go->bin->bin;
}
