// SPDX-License-Identifier: MIT
#include "trace/features.h"
#include "base/logfmt.h"
#include "base/util.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

static const struct kfeature_desc descs[KF_COUNT] = {
	[KF_BPF] = { "bpf", "BPF programs (the bpf() system call)", "3.18",
		     "every kind: CONFIG_BPF_SYSCALL=y, not locked down" },
	[KF_BTF] = { "btf", "kernel BTF (/sys/kernel/btf/vmlinux)", "5.4",
		     "every kind: CONFIG_DEBUG_INFO_BTF=y" },
	[KF_RINGBUF] = { "ringbuf", "BPF ring buffer", "5.8", "every kind" },
	[KF_TASK_STORAGE] = { "task_storage", "task local storage", "5.11", "brk" },
	[KF_TP_BTF] = { "tp_btf", "BTF tracepoints sched_process_exec/fork/exit", "5.5",
			"every kind: exec, -f, exits" },
	[KF_TASK_PT_REGS] = { "task_pt_regs", "bpf_task_pt_regs", "5.15",
			      "mmap, brk, fd: syscall arguments and stacks" },
	[KF_UPROBES] = { "uprobes", "uprobes (CONFIG_UPROBE_EVENTS)", "4.3",
			 "goroutines, go-heap, go-alloc" },
	[KF_ATTACH_COOKIE] = { "attach_cookie", "uprobe attach cookies", "5.15",
			       "goroutines, go-heap, go-alloc" },
	[KF_FIND_VMA] = { "find_vma", "bpf_find_vma", "5.17",
			  "a thread's stack is copied up to --stack-snapshot, not to "
			  "its end: more bytes copied, nothing lost" },
	[KF_RINGBUF_DYNPTR] = { "ringbuf_dynptr", "ring-buffer dynptrs", "5.19",
				"the live stack is built in a per-CPU buffer and copied "
				"into the ring buffer: one copy more, nothing lost" },
	[KF_READ_USER_DYNPTR] = { "read_user_dynptr", "kfunc bpf_probe_read_user_dynptr",
				  "6.16",
				  "the live stack is built in a per-CPU buffer and copied "
				  "into the ring buffer: one copy more, nothing lost" },
	[KF_RDONLY_CAST] = { "rdonly_cast", "kfunc bpf_rdonly_cast", "6.2",
			     "an fd's file type is read with a helper call per field: "
			     "a little slower, nothing lost" },
	[KF_GROUP_DEAD] = { "group_dead", "group_dead argument of sched_process_exit",
			    "6.16",
			    "the last thread is told by the group's live-thread count: "
			    "nothing lost" },
	[KF_UPROBE_SESSION] = { "uprobe_session", "session uprobes, kfunc bpf_session_is_return",
				"6.13",
				"--malloc: a uretprobe on each allocating function, hit "
				"on every call, sampled or not: slower, nothing lost" },
};

const struct kfeature_desc *kfeature__desc(enum kfeature k)
{
	return &descs[k];
}

/* 1 when it loads, 0 when not, and the kernel's refusal in note. */
static bool probe_result(struct kernel_features *f, enum kfeature k, int ret)
{
	if (ret < 0)
		snprintf(f->note[k], sizeof(f->note[k]), "probe failed: %s", strerror(-ret));
	return ret == 1;
}

/* A kfunc taking the parameters we pass it: params has a letter each,
 * 'p' a pointer, 'i' an integer (of any width: a register either way, as
 * libbpf also allows). A kernel whose kfunc takes others (they change)
 * is treated as not having it. */
static bool has_kfunc(struct kernel_features *f, enum kfeature k, const struct btf *btf,
		      const char *name, const char *params)
{
	int nparams = strlen(params);
	const struct btf_type *fn, *proto;
	const struct btf_param *p;
	int id = btf__find_by_name_kind(btf, name, BTF_KIND_FUNC);

	if (id < 0)
		return false;
	fn = btf__type_by_id(btf, id);
	proto = fn ? btf__type_by_id(btf, fn->type) : NULL;
	if (!proto || !btf_is_func_proto(proto) || btf_vlen(proto) != nparams)
		goto other;
	p = btf_params(proto);
	for (int i = 0; i < nparams; i++) {
		const struct btf_type *t = btf__type_by_id(btf, btf__resolve_type(btf, p[i].type));

		if (!t || (params[i] == 'p' ? !btf_is_ptr(t) : !btf_is_int(t)))
			goto other;
	}
	return true;
other:
	snprintf(f->note[k], sizeof(f->note[k]), "present with another signature");
	return false;
}

/* Whether the kernel's BTF has an enumerator of that name. */
static bool has_enum_value(const struct btf *btf, const char *name)
{
	int n = btf__type_cnt(btf);

	for (int i = 1; i < n; i++) {
		const struct btf_type *t = btf__type_by_id(btf, i);
		const struct btf_enum *e;

		if (!btf_is_enum(t))
			continue;
		e = btf_enum(t);
		for (int j = 0; j < btf_vlen(t); j++)
			if (!strcmp(btf__name_by_offset(btf, e[j].name_off), name))
				return true;
	}
	return false;
}

/* How many arguments a BTF tracepoint passes (its btf_trace_NAME
 * typedef: a pointer to a prototype whose first parameter is the
 * tracepoint's private data), or -1 when there is no such tracepoint. */
static int tp_btf_args(const struct btf *btf, const char *tp)
{
	char name[128];
	const struct btf_type *t;
	int id;

	snprintf(name, sizeof(name), "btf_trace_%s", tp);
	id = btf__find_by_name_kind(btf, name, BTF_KIND_TYPEDEF);
	if (id < 0)
		return -1;
	t = btf__type_by_id(btf, id);
	t = t ? btf__type_by_id(btf, t->type) : NULL;
	t = t && btf_is_ptr(t) ? btf__type_by_id(btf, t->type) : NULL;
	return t && btf_is_func_proto(t) ? btf_vlen(t) - 1 : -1;
}

/*
 * A BTF tracepoint program loads: libbpf 1.1's probe of the program type
 * says no on kernels that take them, so load the smallest one ("return
 * 0") against the real tracepoint. 1, 0, or -errno.
 */
static int probe_tp_btf(const struct btf *btf, const char *tp)
{
	const struct bpf_insn prog[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = BPF_TRACE_RAW_TP);
	char name[128];
	int id, fd;

	snprintf(name, sizeof(name), "btf_trace_%s", tp);
	id = btf__find_by_name_kind(btf, name, BTF_KIND_TYPEDEF);
	if (id < 0)
		return 0;
	opts.attach_btf_id = id;
	fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, NULL, "GPL", prog, ARRAY_SIZE(prog), &opts);
	if (fd < 0)
		return errno == EINVAL || errno == ENOTSUP || errno == EOPNOTSUPP ? 0 : -errno;
	close(fd);
	return 1;
}

static void probe_btf(struct kernel_features *f)
{
	struct btf *btf = btf__load_vmlinux_btf();

	f->have[KF_BTF] = btf != NULL && access("/sys/kernel/btf/vmlinux", R_OK) == 0;
	if (!f->have[KF_BTF]) {
		static const enum kfeature in_btf[] = { KF_TP_BTF, KF_GROUP_DEAD,
							KF_READ_USER_DYNPTR, KF_RDONLY_CAST,
							KF_UPROBE_SESSION };

		for (size_t i = 0; i < ARRAY_SIZE(in_btf); i++)
			snprintf(f->note[in_btf[i]], sizeof(f->note[0]), "unknown without BTF");
		btf__free(btf);
		return;
	}
	f->have[KF_TP_BTF] = tp_btf_args(btf, "sched_process_exec") == 3 &&
			     tp_btf_args(btf, "sched_process_fork") == 2 &&
			     tp_btf_args(btf, "sched_process_exit") >= 1 &&
			     probe_result(f, KF_TP_BTF, probe_tp_btf(btf, "sched_process_exit"));
	f->have[KF_GROUP_DEAD] = tp_btf_args(btf, "sched_process_exit") == 2;
	f->have[KF_READ_USER_DYNPTR] = has_kfunc(f, KF_READ_USER_DYNPTR, btf,
						 "bpf_probe_read_user_dynptr", "piip");
	f->have[KF_RDONLY_CAST] = has_kfunc(f, KF_RDONLY_CAST, btf, "bpf_rdonly_cast", "pi");
	/* the attach type, and the kfunc the session program asks */
	f->have[KF_UPROBE_SESSION] = has_enum_value(btf, "BPF_TRACE_UPROBE_SESSION") &&
				     has_kfunc(f, KF_UPROBE_SESSION, btf,
					       "bpf_session_is_return", "");
	btf__free(btf);
}

static void probe_bpf(struct kernel_features *f)
{
	int ret = libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_TRACEPOINT, NULL);

	f->have[KF_BPF] = ret == 1;
	if (ret < 0)
		snprintf(f->note[KF_BPF], sizeof(f->note[KF_BPF]), "%s", strerror(-ret));
	if (!f->have[KF_BPF])
		return;
	f->have[KF_RINGBUF] = probe_result(f, KF_RINGBUF,
					   libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL));
	/* the map, and its helper in tracepoint programs (a little later) */
	f->have[KF_TASK_STORAGE] =
		probe_result(f, KF_TASK_STORAGE,
			     libbpf_probe_bpf_map_type(BPF_MAP_TYPE_TASK_STORAGE, NULL)) &&
		probe_result(f, KF_TASK_STORAGE,
			     libbpf_probe_bpf_helper(BPF_PROG_TYPE_TRACEPOINT,
						     BPF_FUNC_task_storage_get, NULL));
	f->have[KF_TASK_PT_REGS] = probe_result(
		f, KF_TASK_PT_REGS,
		libbpf_probe_bpf_helper(BPF_PROG_TYPE_TRACEPOINT, BPF_FUNC_task_pt_regs, NULL));
	/* uprobe programs are of the kprobe type */
	f->have[KF_ATTACH_COOKIE] = probe_result(
		f, KF_ATTACH_COOKIE,
		libbpf_probe_bpf_helper(BPF_PROG_TYPE_KPROBE, BPF_FUNC_get_attach_cookie, NULL));
	f->have[KF_FIND_VMA] = probe_result(
		f, KF_FIND_VMA,
		libbpf_probe_bpf_helper(BPF_PROG_TYPE_TRACEPOINT, BPF_FUNC_find_vma, NULL));
	f->have[KF_RINGBUF_DYNPTR] = probe_result(
		f, KF_RINGBUF_DYNPTR,
		libbpf_probe_bpf_helper(BPF_PROG_TYPE_TRACEPOINT, BPF_FUNC_ringbuf_reserve_dynptr,
					NULL));
}

/* LEAKSCOPE_FORCE_FALLBACK=name,name or all: only optional features. */
static int read_forced(struct kernel_features *f, const struct logger *log)
{
	const char *env = getenv("LEAKSCOPE_FORCE_FALLBACK");
	char *list, *tok, *save = NULL;
	int err = 0;

	if (!env || !*env)
		return 0;
	list = xstrdup(env);
	for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		bool found = false;

		for (int k = KF_FIRST_OPTIONAL; k < KF_COUNT; k++)
			if (!strcmp(tok, "all") || !strcmp(tok, descs[k].name)) {
				f->forced[k] = true;
				found = true;
			}
		/* the programs with kfunc calls call bpf_find_vma unguarded
		 * (every kernel with the kfuncs has it): without it, none */
		if (found && f->forced[KF_FIND_VMA])
			f->forced[KF_READ_USER_DYNPTR] = f->forced[KF_RDONLY_CAST] =
				f->forced[KF_UPROBE_SESSION] = true;
		if (!found) {
			logger__say(log, LOG_ERROR, "LEAKSCOPE_FORCE_FALLBACK: no feature '%s' with a "
				    "fallback (all, find_vma, ringbuf_dynptr, read_user_dynptr, "
				    "rdonly_cast, group_dead, uprobe_session)", tok);
			err = -EINVAL;
			break;
		}
	}
	free(list);
	return err;
}

int kernel_features__probe(struct kernel_features *f, const struct logger *log)
{
	struct utsname u;

	memset(f, 0, sizeof(*f));
	if (uname(&u) == 0)
		snprintf(f->release, sizeof(f->release), "%s", u.release);
	f->have[KF_UPROBES] = access("/sys/bus/event_source/devices/uprobe/type", R_OK) == 0;
	probe_btf(f);
	probe_bpf(f);
	return read_forced(f, log);
}

bool kernel_features__use(const struct kernel_features *f, enum kfeature k)
{
	return f->have[k] && !f->forced[k];
}

int kernel_features__require(const struct kernel_features *f, bool go,
			     const struct logger *log)
{
	enum kfeature last = go ? KF_ATTACH_COOKIE : KF_TASK_PT_REGS;

	for (int k = 0; k <= (int)last; k++) {
		if (f->have[k])
			continue;
		logger__say(log, LOG_ERROR, "Linux %s lacks %s (Linux %s+, for %s%s%s): "
			    "leakscope needs Linux 5.15 or later with BTF and BPF; "
			    "`leakscope check` lists what this kernel has",
			    f->release, descs[k].what, descs[k].since, descs[k].without,
			    f->note[k][0] ? "; " : "", f->note[k]);
		return -EOPNOTSUPP;
	}
	return 0;
}
