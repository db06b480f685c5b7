// SPDX-License-Identifier: MIT
/*
 * The benchmark floor: what one probe hit costs on this machine with a
 * BPF program that does nothing (or only the stack capture leakscope's
 * events need), measured here and now, so every leakscope figure can be
 * given as a ratio to it. Built and run by scripts/bench.sh (it needs
 * build/bench.skel.h and libbpf, so tests/e2e does not build it).
 *
 *   bench_floor [--rounds N] [--ms MS] [--snapshot-kib K] [CASE...]
 *
 * Each case alternates untraced and traced batches of calls to one probed
 * function (or one syscall), attaching and detaching between them, and
 * prints one JSON line per case:
 *   {"case":"uprobe_push","insn":"push %rbp","per_hit_ns":612.3,
 *    "min_ns":590.1,"max_ns":650.2,"base_ns":1.9,"rounds":7,"calls":300000,
 *    "hits_checked":1000,"prog_ns":12.0}
 * per_hit_ns = (traced - untraced) / calls, median over rounds; hits are
 * checked once per case with BPF run statistics (an fd from
 * BPF_ENABLE_STATS, closed at once: no sysctl is touched), which also
 * give the time spent inside the program (prog_ns).
 */
#include "bench.skel.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/*
 * The probed functions, written in assembly so the instruction under the
 * probe is known exactly. Each is called through a pointer, a few ns.
 * The kernel emulates nop, push, jcc and call at a probe site and
 * single-steps everything else (mov here) out of line.
 */
void bench_nop(void);
void bench_nop5(void);
void bench_push(void);
void bench_jcc(void);
void bench_call(void);
void bench_mov(void);
asm(".pushsection .text\n"
    ".p2align 4\n"
    ".globl bench_nop\n.type bench_nop,@function\n"
    "bench_nop:\n\tnop\n\tret\n.size bench_nop,.-bench_nop\n"
    ".p2align 4\n"
    ".globl bench_nop5\n.type bench_nop5,@function\n"
    "bench_nop5:\n\t.byte 0x0f,0x1f,0x44,0x00,0x00\n\tret\n.size bench_nop5,.-bench_nop5\n"
    ".p2align 4\n"
    ".globl bench_push\n.type bench_push,@function\n"
    "bench_push:\n\tpush %rbp\n\tpop %rbp\n\tret\n.size bench_push,.-bench_push\n"
    ".p2align 4\n"
    /* xor sets ZF: the jne at offset 2 (a Go prologue's jbe, not taken) */
    ".globl bench_jcc\n.type bench_jcc,@function\n"
    "bench_jcc:\n\txor %eax,%eax\n\tjne 1f\n1:\tret\n.size bench_jcc,.-bench_jcc\n"
    ".p2align 4\n"
    ".globl bench_call\n.type bench_call,@function\n"
    "bench_call:\n\tcall bench_leaf\n\tret\n.size bench_call,.-bench_call\n"
    "bench_leaf:\n\tret\n"
    ".p2align 4\n"
    ".globl bench_mov\n.type bench_mov,@function\n"
    "bench_mov:\n\tmov %rdi,%rax\n\tret\n.size bench_mov,.-bench_mov\n"
    ".popsection\n");

/*
 * UPROBE_RET: an entry uprobe and a uretprobe on the same function (the
 * classic way to read a return value); SESSION: one session uprobe
 * (uprobe_multi link, kernel 6.13+) that runs at the entry and, when the
 * entry returns 0, at the return.
 */
enum kind { UPROBE, TRACEPOINT, UPROBE_RET, SESSION };

struct bench_case {
	const char *name;
	enum kind kind;
	const char *prog;	/* program in bench.bpf.c */
	void (*fn)(void);	/* uprobes: the probed function */
	unsigned probe_off;	/* uprobes: offset of the probed instruction */
	const char *insn;	/* what sits under the probe */
	bool ringbuf;		/* drain the ring buffer between batches */
};

static const struct bench_case cases[] = {
	{ "uprobe_nop", UPROBE, "up_empty", bench_nop, 0, "nop (emulated)" },
	{ "uprobe_nop5", UPROBE, "up_empty", bench_nop5, 0, "nopl 0(%rax,%rax) (5-byte nop)" },
	{ "uprobe_push", UPROBE, "up_empty", bench_push, 0, "push %rbp (emulated)" },
	{ "uprobe_jcc", UPROBE, "up_empty", bench_jcc, 2, "jne, not taken (emulated)" },
	{ "uprobe_call", UPROBE, "up_empty", bench_call, 0, "call (emulated)" },
	{ "uprobe_mov", UPROBE, "up_empty", bench_mov, 0, "mov %rdi,%rax (single-stepped)" },
	{ "uprobe_push_stack", UPROBE, "up_stack", bench_push, 0,
	  "push %rbp + bpf_get_stack (user, frame pointers)" },
	{ "uprobe_push_stack_rb", UPROBE, "up_stack_rb", bench_push, 0,
	  "push %rbp + stack into a ring-buffer record", .ringbuf = true },
	/* the other way to capture a stack at a uprobe: copy its live part
	 * and walk it in userspace (for Go's creation stacks) */
	{ "uprobe_push_copy", UPROBE, "up_copy", bench_push, 0,
	  "push %rbp + live stack copied into a ring-buffer record", .ringbuf = true },
	{ "uretprobe_push", UPROBE_RET, "up_empty", bench_push, 0,
	  "push %rbp + a uretprobe (entry and return, both empty)" },
	{ "session_push_ret", SESSION, "up_session_ret", bench_push, 0,
	  "push %rbp, session uprobe that also runs at the return" },
	{ "session_push_noret", SESSION, "up_session_noret", bench_push, 0,
	  "push %rbp, session uprobe that skips the return" },
	{ "tp_empty", TRACEPOINT, "tp_empty", NULL, 0, "sys_exit_getppid, empty" },
	{ "tp_other", TRACEPOINT, "tp_other", NULL, 0,
	  "getppid while sys_exit_close has an empty program" },
	{ "tp_stack", TRACEPOINT, "tp_stack", NULL, 0, "sys_exit_getppid + bpf_get_stack (user)" },
	{ "tp_snap", TRACEPOINT, "tp_snap", NULL, 0,
	  "sys_exit_getppid + live stack snapshot into a ring-buffer record",
	  .ringbuf = true },
};

#define BATCH 64

static struct bench_bpf *skel;
static struct ring_buffer *rb;
static char exe[4096];

static int quiet_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000ULL + t.tv_nsec;
}

static int drop_record(void *ctx, void *data, size_t size)
{
	return 0;
}

/* Nanoseconds spent in n calls (timed in batches, so draining the ring
 * buffer between them is not counted). */
static uint64_t run_calls(const struct bench_case *c, long n)
{
	void (*volatile fn)(void) = c->fn;
	uint64_t total = 0;

	for (long done = 0; done < n; done += BATCH) {
		long b = n - done < BATCH ? n - done : BATCH;
		uint64_t t0 = now_ns();

		if (c->kind != TRACEPOINT)
			for (long i = 0; i < b; i++)
				fn();
		else
			for (long i = 0; i < b; i++)
				syscall(SYS_getppid);
		total += now_ns() - t0;
		if (c->ringbuf)
			ring_buffer__consume(rb);
	}
	return total;
}

/* File offset of a function of ours, from /proc/self/maps (PIE or not). */
static long file_offset(const void *addr)
{
	unsigned long lo, hi, off, a = (unsigned long)addr;
	char line[4096];
	long found = -1;
	FILE *f = fopen("/proc/self/maps", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%lx-%lx %*s %lx", &lo, &hi, &off) == 3 && a >= lo && a < hi) {
			found = a - lo + off;
			break;
		}
	fclose(f);
	return found;
}

static struct bpf_program *program(const char *name)
{
	return bpf_object__find_program_by_name(skel->obj, name);
}

/* The kernel's numbers for session uprobes (not in Debian's libbpf 1.1
 * headers): attach type BPF_TRACE_UPROBE_SESSION, and BPF_LINK_CREATE's
 * uprobe_multi layout. */
#define ATTACH_UPROBE_SESSION 57

struct uprobe_multi_attr {
	__u32 prog_fd, target_fd, attach_type, flags;
	__u64 path, offsets, ref_ctr_offsets, cookies;
	__u32 cnt, multi_flags, pid, pad;
};

/* Does this kernel have session uprobes? Its BTF lists the attach type. */
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
		const struct btf_enum *e = btf_enum(t);

		if (!btf_is_enum(t))
			continue;
		for (int j = 0; j < btf_vlen(t); j++)
			if (!strcmp(btf__name_by_offset(btf, e[j].name_off), "BPF_TRACE_UPROBE_SESSION"))
				found = true;
	}
	btf__free(btf);
	return found;
}

static int attach_session(struct bpf_program *p, unsigned long off)
{
	struct uprobe_multi_attr a = { 0 };
	__u64 offset = off, cookie = 0;

	a.prog_fd = bpf_program__fd(p);
	a.attach_type = ATTACH_UPROBE_SESSION;
	a.path = (__u64)(unsigned long)exe;
	a.offsets = (__u64)(unsigned long)&offset;
	a.cookies = (__u64)(unsigned long)&cookie;
	a.cnt = 1;
	a.pid = getpid();
	return syscall(__NR_bpf, BPF_LINK_CREATE, &a, sizeof(a));
}

/* What one case attaches: up to two libbpf links, or a raw link fd. */
struct attached {
	struct bpf_link *l[2];
	int fd;
};

static void detach(struct attached *a)
{
	bpf_link__destroy(a->l[0]);
	bpf_link__destroy(a->l[1]);
	if (a->fd >= 0)
		close(a->fd);
}

static struct attached attach(const struct bench_case *c)
{
	struct bpf_program *p = program(c->prog);
	struct attached a = { { NULL, NULL }, -1 };
	bool ok;

	if (c->kind != TRACEPOINT) {
		LIBBPF_OPTS(bpf_uprobe_opts, opts);
		long off = file_offset((const void *)c->fn);

		if (off < 0) {
			fprintf(stderr, "bench_floor: %s not in /proc/self/maps\n", c->name);
			exit(1);
		}
		if (c->kind == SESSION) {
			a.fd = attach_session(p, off + c->probe_off);
		} else {
			a.l[0] = bpf_program__attach_uprobe_opts(p, getpid(), exe,
								 off + c->probe_off, &opts);
			if (c->kind == UPROBE_RET) {
				opts.retprobe = true;
				a.l[1] = bpf_program__attach_uprobe_opts(program("up_ret_empty"),
									 getpid(), exe,
									 off + c->probe_off, &opts);
			}
		}
	} else {
		a.l[0] = bpf_program__attach(p);
	}
	ok = c->kind == SESSION ? a.fd >= 0 : a.l[0] && (c->kind != UPROBE_RET || a.l[1]);
	if (!ok) {
		fprintf(stderr, "bench_floor: cannot attach %s (%s): %s%s\n", c->prog, c->name,
			strerror(errno),
			c->kind == TRACEPOINT ? " (is tracefs mounted at /sys/kernel/tracing?)" : "");
		exit(1);
	}
	return a;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Run counts and in-program time over n calls, from BPF run statistics. */
static void check_hits(const struct bench_case *c, long n, uint64_t *hits, double *prog_ns)
{
	struct bpf_prog_info before = { 0 }, after = { 0 };
	__u32 len = sizeof(before);
	int stats = bpf_enable_stats(BPF_STATS_RUN_TIME);
	int fd = bpf_program__fd(program(c->prog));
	struct attached l;

	*hits = 0;
	*prog_ns = -1;
	if (stats < 0)
		return;
	l = attach(c);
	bpf_obj_get_info_by_fd(fd, &before, &len);
	run_calls(c, n);
	len = sizeof(after);
	bpf_obj_get_info_by_fd(fd, &after, &len);
	detach(&l);
	close(stats);
	*hits = after.run_cnt - before.run_cnt;
	if (*hits)
		*prog_ns = (double)(after.run_time_ns - before.run_time_ns) / *hits;
}

static void run_case(const struct bench_case *c, int rounds, double target_ms)
{
	double per_hit[64], base_sum = 0, prog_ns;
	uint64_t t_base, t_traced, hits;
	struct attached l;
	long n = 2000;

	if (rounds > 64)
		rounds = 64;
	/* size the runs so a traced one takes about target_ms */
	l = attach(c);
	run_calls(c, 200);
	t_traced = run_calls(c, n);
	detach(&l);
	n = (long)(target_ms * 1e6 / ((double)t_traced / n));
	if (n < 1000)
		n = 1000;
	n = (n + BATCH - 1) / BATCH * BATCH;

	check_hits(c, 1024, &hits, &prog_ns);
	for (int r = 0; r < rounds; r++) {
		/* alternate the order, so a drift in the machine cancels */
		if (r % 2 == 0)
			t_base = run_calls(c, n);
		l = attach(c);
		run_calls(c, BATCH);	/* fault in whatever the first hit needs */
		t_traced = run_calls(c, n);
		detach(&l);
		if (r % 2 == 1)
			t_base = run_calls(c, n);
		per_hit[r] = ((double)t_traced - (double)t_base) / n;
		base_sum += (double)t_base / n;
	}
	qsort(per_hit, rounds, sizeof(double), cmp_double);
	printf("{\"case\":\"%s\",\"insn\":\"%s\",\"per_hit_ns\":%.1f,\"min_ns\":%.1f,"
	       "\"max_ns\":%.1f,\"base_ns\":%.2f,\"rounds\":%d,\"calls\":%ld,"
	       "\"hits_checked\":%llu,\"calls_checked\":1024,\"prog_ns\":%.1f}\n",
	       c->name, c->insn,
	       rounds % 2 ? per_hit[rounds / 2] : (per_hit[rounds / 2 - 1] + per_hit[rounds / 2]) / 2,
	       per_hit[0], per_hit[rounds - 1], base_sum / rounds, rounds, n,
	       (unsigned long long)hits, prog_ns);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	int rounds = 7, snapshot_kib = 16, ncpu, i;
	bool session;
	double target_ms = 150;
	ssize_t len;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--rounds") && i + 1 < argc)
			rounds = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--ms") && i + 1 < argc)
			target_ms = atof(argv[++i]);
		else if (!strcmp(argv[i], "--snapshot-kib") && i + 1 < argc)
			snapshot_kib = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--list")) {
			for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++)
				printf("%s\t%s\n", cases[k].name, cases[k].insn);
			return 0;
		} else {
			fprintf(stderr, "usage: %s [--rounds N] [--ms MS] [--snapshot-kib K] "
				"[--list] [CASE...]\n", argv[0]);
			return 2;
		}
	}
	if (rounds < 1 || snapshot_kib < 0 || snapshot_kib > 64 || snapshot_kib % 4) {
		fprintf(stderr, "bench_floor: bad --rounds or --snapshot-kib (0-64, multiple of 4)\n");
		return 2;
	}
	len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (len < 0)
		return 1;
	exe[len] = 0;
	libbpf_set_print(quiet_print);
	skel = bench_bpf__open();
	if (!skel) {
		fprintf(stderr, "bench_floor: cannot open the BPF object: %s\n", strerror(errno));
		return 1;
	}
	ncpu = libbpf_num_possible_cpus();
	bpf_map__set_max_entries(skel->maps.scratch, ncpu > 0 ? ncpu : 1);
	bpf_map__set_max_entries(skel->maps.rb, 16 << 20);
	skel->rodata->snapshot_pages = snapshot_kib / 4;
	session = has_uprobe_session();
	bpf_program__set_expected_attach_type(program("up_session_ret"),
					      session ? ATTACH_UPROBE_SESSION : 0);
	bpf_program__set_expected_attach_type(program("up_session_noret"),
					      session ? ATTACH_UPROBE_SESSION : 0);
	if (!session) {
		bpf_program__set_autoload(program("up_session_ret"), false);
		bpf_program__set_autoload(program("up_session_noret"), false);
	}
	if (bench_bpf__load(skel)) {
		fprintf(stderr, "bench_floor: cannot load the BPF object: %s (root?)\n",
			strerror(errno));
		return 1;
	}
	rb = ring_buffer__new(bpf_map__fd(skel->maps.rb), drop_record, NULL, NULL);
	if (!rb)
		return 1;
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		bool wanted = i == argc;

		for (int j = i; j < argc; j++)
			wanted |= !strcmp(argv[j], cases[k].name);
		if (wanted && cases[k].kind == SESSION && !session) {
			printf("{\"case\":\"%s\",\"unsupported\":\"no session uprobes "
			       "(kernel before 6.13)\"}\n", cases[k].name);
			continue;
		}
		if (wanted)
			run_case(&cases[k], rounds, target_ms);
	}
	ring_buffer__free(rb);
	bench_bpf__destroy(skel);
	return 0;
}
