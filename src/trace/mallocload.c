// SPDX-License-Identifier: MIT
#include "trace/mallocload.h"
#include "malloc.skel.h"
#include "native.skel.h"
#include "trace/mallocprobes.h"
#include "trace/probes.h"
#include "unwind_guard.skel.h"
#include "base/logfmt.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The kernel's numbers (newer than Debian's libbpf 1.1 headers). */
#define ATTACH_UPROBE_SESSION 57	/* enum bpf_attach_type */

/* union bpf_attr for BPF_LINK_CREATE of a uprobe_multi link */
struct uprobe_multi_attr {
	__u32 prog_fd, target_fd, attach_type, flags;
	__u64 path, offsets, ref_ctr_offsets, cookies;
	__u32 cnt, multi_flags, pid, pad;
};

/* Does the running kernel have session uprobes? Its BTF says. */
static bool has_uprobe_session(void)
{
	struct btf *btf = btf__load_vmlinux_btf();
	bool found = false;
	int n;

	if (!btf)
		return false;
	n = btf__type_cnt(btf);
	for (int i = 1; i < n && !found; i++) {
		const struct btf_type *t = btf__type_by_id(btf, i);
		const struct btf_enum *e;

		if (!btf_is_enum(t))
			continue;
		e = btf_enum(t);
		for (int j = 0; j < btf_vlen(t) && !found; j++)
			found = !strcmp(btf__name_by_offset(btf, e[j].name_off),
					"BPF_TRACE_UPROBE_SESSION");
	}
	btf__free(btf);
	return found;
}

/*
 * The guard for exceptions thrown through probed calls (see
 * bpf/unwind_guard.bpf.c): optional, kernels under lockdown refuse it.
 */
static void load_guard(struct probes *p, const struct probe_config *cfg)
{
	struct unwind_guard_bpf *g = unwind_guard_bpf__open();
	struct native_bpf *n = p->native;
	int err;

	if (!g)
		return;
	g->rodata->trace_all = cfg->trace_all;
	err = bpf_map__reuse_fd(g->maps.events, bpf_map__fd(n->maps.events));
	if (!err)
		err = bpf_map__reuse_fd(g->maps.traced, bpf_map__fd(n->maps.traced));
	if (!err)
		err = bpf_map__reuse_fd(g->maps.drops, bpf_map__fd(n->maps.drops));
	if (!err)
		err = bpf_map__reuse_fd(g->maps.stats, bpf_map__fd(n->maps.stats));
	if (!err)
		err = bpf_map__reuse_fd(g->maps.malloc_calls, bpf_map__fd(n->maps.malloc_calls));
	if (!err)
		err = unwind_guard_bpf__load(g);
	if (err) {
		unwind_guard_bpf__destroy(g);
		if (cfg->verbose)
			logger__say(p->log, LOG_DEBUG, "cannot load the unwind guard (%s): operator "
				    "new that can throw is left unprobed", strerror(-err));
		return;
	}
	p->guard = g;
}

int mallocload__load(struct probes *p, const struct probe_config *cfg)
{
	struct malloc_bpf *m = malloc_bpf__open();
	struct native_bpf *n = p->native;
	int err;

	if (!m) {
		err = -errno;
		logger__say(p->log, LOG_ERROR, "cannot open the malloc BPF object: %s",
			    strerror(-err));
		return err;
	}
	p->malloc = m;
	m->rodata->trace_all = cfg->trace_all;
	m->rodata->stack_bytes = n->rodata->stack_bytes;
	m->rodata->wakeup_bytes = n->rodata->wakeup_bytes;
	m->rodata->snapshot_pages = n->rodata->snapshot_pages;
	m->rodata->sample_mean = cfg->malloc_mode == MALLOC_SAMPLED ? cfg->malloc_sample_mean : 0;
	p->malloc_session = has_uprobe_session();
	if (p->malloc_session)
		bpf_program__set_expected_attach_type(m->progs.malloc_session,
						      ATTACH_UPROBE_SESSION);
	else
		bpf_program__set_autoload(m->progs.malloc_session, false);
	err = bpf_map__reuse_fd(m->maps.events, bpf_map__fd(n->maps.events));
	if (!err)
		err = bpf_map__reuse_fd(m->maps.traced, bpf_map__fd(n->maps.traced));
	if (!err)
		err = bpf_map__reuse_fd(m->maps.drops, bpf_map__fd(n->maps.drops));
	if (!err)
		err = bpf_map__reuse_fd(m->maps.stats, bpf_map__fd(n->maps.stats));
	if (!err)
		err = bpf_map__reuse_fd(m->maps.malloc_calls, bpf_map__fd(n->maps.malloc_calls));
	if (!err)
		err = malloc_bpf__load(m);
	if (err)
		logger__say(p->log, LOG_ERROR, "cannot load the malloc BPF programs: %s "
			    "(run with -vv for the verifier log)", strerror(-err));
	else
		load_guard(p, cfg);
	return err;
}

int mallocload__attach_session(struct probes *p, const char *path, const uint64_t *offsets,
			       const uint64_t *cookies, size_t n, int pid)
{
	struct uprobe_multi_attr a;
	int fd;

	memset(&a, 0, sizeof(a));
	a.prog_fd = bpf_program__fd(p->malloc->progs.malloc_session);
	a.attach_type = ATTACH_UPROBE_SESSION;
	a.path = (__u64)(unsigned long)path;
	a.offsets = (__u64)(unsigned long)offsets;
	a.cookies = (__u64)(unsigned long)cookies;
	a.cnt = (__u32)n;
	a.pid = pid > 0 ? (__u32)pid : 0;
	fd = (int)syscall(__NR_bpf, BPF_LINK_CREATE, &a, sizeof(a));
	return fd < 0 ? -errno : fd;
}
