/* SPDX-License-Identifier: MIT */
/*
 * What the running kernel offers leakscope's BPF side, found by asking
 * the kernel (its BTF, libbpf's feature probes), never by its version
 * number: distributions backport. The tracer, the agent and `leakscope
 * check` all decide from these answers.
 *
 * Required features have no path without them (Linux 5.15 has them
 * all); optional ones have a fallback, which LEAKSCOPE_FORCE_FALLBACK
 * (a comma-separated list of their names, or "all") also forces on a
 * kernel that has them, for tests and `make bench`.
 */
#ifndef LS_FEATURES_H
#define LS_FEATURES_H

#include <stdbool.h>

struct logger;

enum kfeature {
	/* required by everything */
	KF_BPF,			/* the bpf() system call, BPF programs load */
	KF_BTF,			/* the kernel's own BTF (CO-RE, tp_btf) */
	KF_RINGBUF,
	KF_TASK_STORAGE,
	KF_TP_BTF,		/* BTF tracepoints: exec, fork, exit */
	KF_TASK_PT_REGS,
	/* required by the Go kinds */
	KF_UPROBES,
	KF_ATTACH_COOKIE,
	/* optional: a fallback each */
	KF_FIND_VMA,
	KF_RINGBUF_DYNPTR,
	KF_READ_USER_DYNPTR,
	KF_RDONLY_CAST,
	KF_GROUP_DEAD,
	KF_UPROBE_SESSION,	/* --malloc: a return probe only when wanted */
	KF_COUNT,
	KF_FIRST_OPTIONAL = KF_FIND_VMA,
};

struct kfeature_desc {
	const char *name;	/* in LEAKSCOPE_FORCE_FALLBACK and `check` */
	const char *what;
	const char *since;	/* the mainline release that added it */
	const char *without;	/* required: who needs it; optional: the fallback */
};

struct kernel_features {
	bool have[KF_COUNT];	/* the kernel offers it */
	bool forced[KF_COUNT];	/* LEAKSCOPE_FORCE_FALLBACK turned it off */
	char note[KF_COUNT][96];	/* why not, when that is not plain absence */
	char release[65];	/* uname -r */
};

const struct kfeature_desc *kfeature__desc(enum kfeature k);

/* Probe everything (needs privileges for the BPF probes) and read
 * LEAKSCOPE_FORCE_FALLBACK: 0, or -EINVAL (said through log; NULL:
 * plain) when that names an unknown feature. */
int kernel_features__probe(struct kernel_features *f, const struct logger *log);
/* Present and not forced off: the path that uses it is taken. */
bool kernel_features__use(const struct kernel_features *f, enum kfeature k);
/* 0 when every feature the native kinds (and with go, the Go kinds)
 * need is there; else -EOPNOTSUPP, with one line naming the first
 * missing one and what to do. */
int kernel_features__require(const struct kernel_features *f, bool go,
			     const struct logger *log);

#endif
