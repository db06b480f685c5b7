// SPDX-License-Identifier: MIT
#include "trace/probes.h"
#include "go.skel.h"
#include "malloc.skel.h"
#include "native.skel.h"
#include "unwind_guard.skel.h"
#include "trace/mallocload.h"
#include "base/logfmt.h"
#include "base/util.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

/* libbpf's print callback takes no context: what it needs is set once,
 * by probes__set_verbosity. */
static int libbpf_verbosity;
static const struct logger *libbpf_log;

static int print_libbpf(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	char text[4096];

	if (level == LIBBPF_DEBUG && libbpf_verbosity < 3)
		return 0;
	if (libbpf_verbosity < 2)
		return 0;
	if (!libbpf_log || !libbpf_log->logfmt)
		return vfprintf(stderr, fmt, ap);
	vsnprintf(text, sizeof(text), fmt, ap);
	logfmt__write(LOG_DEBUG, "libbpf", "text=%s", logfmt__q(text));
	return 0;
}

void probes__set_verbosity(int verbose, const struct logger *log)
{
	libbpf_verbosity = verbose;
	libbpf_log = log;
	libbpf_set_print(print_libbpf);
}

/*
 * Tracepoints a kernel may lack (newer syscalls, or syscalls configured
 * out): their absence is noted, not fatal. Everything else is required.
 */
static const char *const optional_programs[] = {
	"exit_memfd_secret", "exit_fsopen", "exit_fsmount", "exit_fspick",
	"exit_open_tree", "exit_pidfd_getfd", "exit_io_uring_setup",
	"exit_userfaultfd", "exit_fanotify_init", "exit_open_by_handle_at",
};

static bool is_optional(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(optional_programs); i++)
		if (strcmp(name, optional_programs[i]) == 0)
			return true;
	return false;
}

/* The Go programs share the native object's maps: one ring buffer, one
 * set of counters, one table of traced processes. */
static int load_go(struct probes *p, const struct probe_config *cfg)
{
	struct go_bpf *go = go_bpf__open();
	int err;

	if (!go) {
		err = -errno;
		logger__say(p->log, LOG_ERROR, "cannot open the Go BPF object: %s", strerror(-err));
		return err;
	}
	p->go = go;
	go->rodata->trace_all = cfg->trace_all;
	go->rodata->stack_bytes = p->native->rodata->stack_bytes;
	go->rodata->wakeup_bytes = p->native->rodata->wakeup_bytes;
	err = bpf_map__reuse_fd(go->maps.events, bpf_map__fd(p->native->maps.events));
	if (!err)
		err = bpf_map__reuse_fd(go->maps.traced, bpf_map__fd(p->native->maps.traced));
	if (!err)
		err = bpf_map__reuse_fd(go->maps.drops, bpf_map__fd(p->native->maps.drops));
	if (!err)
		err = bpf_map__reuse_fd(go->maps.stats, bpf_map__fd(p->native->maps.stats));
	if (!err)
		err = go_bpf__load(go);
	if (err)
		logger__say(p->log, LOG_ERROR, "cannot load the Go BPF programs: %s "
			"(run with -vv for the verifier log)", strerror(-err));
	return err;
}

int probes__set_go_proc(struct probes *p, int pid, int64_t tls_g_off)
{
	struct ls_go_proc v = { .tls_g_off = tls_g_off };
	__u32 key = pid;

	if (bpf_map__update_elem(p->native->maps.go_procs, &key, sizeof(key), &v,
				 sizeof(v), BPF_ANY))
		return -errno;
	return 0;
}

void probes__keep_link(struct probes *p, struct bpf_link *link)
{
	p->links = xrealloc(p->links, (p->nlinks + 1) * sizeof(*p->links));
	p->links[p->nlinks++] = link;
}


int probes__load(struct probes *p, const struct probe_config *cfg)
{
	struct native_bpf *skel;
	int err;

	memset(p, 0, sizeof(*p));
	p->log = cfg->log;
	if (!cfg->ringbuf_bytes || cfg->ringbuf_bytes > UINT32_MAX ||
	    (cfg->ringbuf_bytes & (cfg->ringbuf_bytes - 1))) {
		/* the options refuse such sizes first (trace_options.h) */
		logger__say(p->log, LOG_ERROR, "ring buffer of %llu bytes: the kernel takes a power "
			"of two up to 2 GiB", (unsigned long long)cfg->ringbuf_bytes);
		return -EINVAL;
	}
	skel = native_bpf__open();
	if (!skel) {
		err = -errno;
		logger__say(p->log, LOG_ERROR, "cannot open BPF object: %s", strerror(-err));
		return err;
	}
	p->native = skel;
	skel->rodata->follow_forks = cfg->follow_forks;
	skel->rodata->trace_all = cfg->trace_all;
	skel->rodata->notify_all_execs = cfg->notify_all_execs;
	skel->rodata->malloc_on = cfg->malloc_mode != 0;
	skel->rodata->stack_bytes = 8 * (cfg->stack_depth ? cfg->stack_depth : LS_MAX_STACK_DEPTH);
	skel->rodata->snapshot_pages = (cfg->snapshot_kib * 1024 + LS_PAGE_BYTES - 1) / LS_PAGE_BYTES;
	bpf_map__set_max_entries(skel->maps.events, (__u32)cfg->ringbuf_bytes);
	/* wake the collector early enough that a burst cannot fill it */
	skel->rodata->wakeup_bytes = cfg->ringbuf_bytes / 8;
	if (cfg->max_traced)
		bpf_map__set_max_entries(skel->maps.traced, cfg->max_traced);
	/* Programs for tracepoints this kernel does not have stay unloaded. */
	{
		struct bpf_program *prog;

		bpf_object__for_each_program(prog, skel->obj) {
			const char *sec = bpf_program__section_name(prog);
			char path[256];

			if (strncmp(sec, "tracepoint/", 11) || !is_optional(bpf_program__name(prog)))
				continue;
			snprintf(path, sizeof(path), "/sys/kernel/tracing/events/%s", sec + 11);
			if (access(path, F_OK)) {
				bpf_program__set_autoload(prog, false);
				p->skipped_optional++;
			}
		}
	}
	err = native_bpf__load(skel);
	if (err) {
		struct utsname u;
		int major = 0, minor = 0;

		/* The live-stack copy needs bpf_probe_read_user_dynptr (6.16). */
		if (uname(&u) == 0 && sscanf(u.release, "%d.%d", &major, &minor) == 2 &&
		    (major < 6 || (major == 6 && minor < 16)))
			logger__say(p->log, LOG_ERROR, "cannot load BPF programs on Linux %s: "
				"leakscope needs 6.16 or later", u.release);
		else if (err == -ENOMEM || err == -E2BIG)
			logger__say(p->log, LOG_ERROR, "cannot load BPF programs with a %llu MiB ring "
				"buffer: %s (a smaller --ring-buffer?)",
				(unsigned long long)(cfg->ringbuf_bytes >> 20), strerror(-err));
		else
			logger__say(p->log, LOG_ERROR, "cannot load BPF programs: %s "
				"(run with -vv for the verifier log)", strerror(-err));
		return err;
	}
	err = load_go(p, cfg);
	if (!err && cfg->malloc_mode)
		err = mallocload__load(p, cfg);
	return err;
}

int probes__attach_native(struct probes *p)
{
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, p->native->obj) {
		struct bpf_link *link;
		int err;

		if (!bpf_program__autoload(prog))
			continue;
		link = bpf_program__attach(prog);
		if (!link) {
			err = -errno;
			if (is_optional(bpf_program__name(prog))) {
				p->skipped_optional++;
				continue;
			}
			logger__say(p->log, LOG_ERROR, "cannot attach %s (%s): %s",
				bpf_program__name(prog),
				bpf_program__section_name(prog), strerror(-err));
			return err;
		}
		probes__keep_link(p, link);
	}
	return 0;
}

int probes__trace_pid(struct probes *p, int pid)
{
	__u32 key = pid, one = 1;

	if (bpf_map__update_elem(p->native->maps.traced, &key, sizeof(key), &one,
				 sizeof(one), BPF_ANY))
		return -errno;
	return 0;
}

int probes__untrace_pid(struct probes *p, int pid)
{
	__u32 key = pid;

	if (bpf_map__delete_elem(p->native->maps.traced, &key, sizeof(key), 0))
		return -errno;
	return 0;
}

void probes__untrace_all(struct probes *p)
{
	int fd = bpf_map__fd(p->native->maps.traced);
	__u32 key, next;

	/* Deleting the key just read keeps the walk valid: restart from
	 * the first key each time. */
	while (bpf_map_get_next_key(fd, NULL, &next) == 0) {
		key = next;
		if (bpf_map_delete_elem(fd, &key))
			break;
	}
}

/* Both objects have their own copy of the switch (.data): set both. */
void probes__set_enabled(struct probes *p, bool enabled)
{
	if (p->native)
		p->native->data->enabled = enabled;
	if (p->go)
		p->go->data->enabled = enabled;
	if (p->malloc)
		p->malloc->data->enabled = enabled;
	if (p->guard)
		p->guard->data->enabled = enabled;
}

int probes__open_ring(struct probes *p,
		      int (*fn)(void *ctx, void *data, size_t size), void *ctx)
{
	p->rb = ring_buffer__new(bpf_map__fd(p->native->maps.events), fn, ctx, NULL);
	if (!p->rb) {
		int err = -errno;

		logger__say(p->log, LOG_ERROR, "cannot open the ring buffer: %s",
			strerror(-err));
		return err;
	}
	return 0;
}

static uint64_t sum_percpu(const struct bpf_map *map, uint32_t slot)
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t *vals, sum = 0;

	if (ncpu <= 0)
		return 0;
	vals = xcalloc(ncpu, sizeof(*vals));
	if (bpf_map__lookup_elem(map, &slot, sizeof(slot), vals,
				 ncpu * sizeof(*vals), 0) == 0)
		for (int i = 0; i < ncpu; i++)
			sum += vals[i];
	free(vals);
	return sum;
}

void probes__read_drops(const struct probes *p, uint64_t drops[LS_DROP_MAX])
{
	for (uint32_t i = 0; i < LS_DROP_MAX; i++)
		drops[i] = p->native ? sum_percpu(p->native->maps.drops, i) : 0;
}

uint64_t probes__stat(const struct probes *p, uint32_t slot)
{
	return p->native && slot < LS_STAT_MAX ? sum_percpu(p->native->maps.stats, slot) : 0;
}

uint64_t probes__events_sent(const struct probes *p)
{
	return p->native ? sum_percpu(p->native->maps.stats, LS_STAT_EVENTS) : 0;
}

void probes__destroy(struct probes *p)
{
	/* Links first, so no probe fires into a half-torn-down object. */
	for (size_t i = 0; i < p->nlinks; i++)
		bpf_link__destroy(p->links[i]);
	free(p->links);
	p->links = NULL;
	p->nlinks = 0;
	ring_buffer__free(p->rb);
	p->rb = NULL;
	go_bpf__destroy(p->go);
	p->go = NULL;
	malloc_bpf__destroy(p->malloc);
	p->malloc = NULL;
	unwind_guard_bpf__destroy(p->guard);
	p->guard = NULL;
	native_bpf__destroy(p->native);
	p->native = NULL;
}
