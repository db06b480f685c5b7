// SPDX-License-Identifier: MIT
#include "agent/selfcheck.h"
#include "go.skel.h"
#include "base/logfmt.h"
#include "native.skel.h"
#include "trace/probes.h"
#include "base/util.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void selfcheck__init(struct selfcheck *s, double budget_pct, double window_s,
		     double backoff_s, double backoff_max_s, uint64_t now_ns, bool bpf)
{
	memset(s, 0, sizeof(*s));
	s->budget = budget_pct / 100.0;
	s->window_ns = (uint64_t)(window_s * NS_PER_S);
	s->backoff_ns = (uint64_t)(backoff_s * NS_PER_S);
	s->backoff_max_ns = MAX((uint64_t)(backoff_max_s * NS_PER_S), s->backoff_ns);
	s->next_backoff_ns = s->backoff_ns;
	s->win_start_ns = now_ns;
	s->stats_fd = bpf ? bpf_enable_stats(BPF_STATS_RUN_TIME) : -1;
	if (bpf && s->stats_fd < 0)
		LOG_W("BPF run-time statistics unavailable: the overhead check counts "
		      "the agent's CPU only", "err=%s", logfmt__q(strerror(errno)));
}

void selfcheck__free(struct selfcheck *s)
{
	if (s->stats_fd >= 0)
		close(s->stats_fd);
	s->stats_fd = -1;
}

double selfcheck__ratio(uint64_t cpu_ns, uint64_t bpf_ns, uint64_t wall_ns)
{
	return wall_ns ? (double)(cpu_ns + bpf_ns) / (double)wall_ns : 0;
}

static void add_object(struct bpf_object *obj, uint64_t *ns, uint64_t *runs)
{
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, obj) {
		struct bpf_prog_info info;
		__u32 len = sizeof(info);
		int fd = bpf_program__fd(prog);

		if (fd < 0)
			continue;
		memset(&info, 0, sizeof(info));
		if (bpf_obj_get_info_by_fd(fd, &info, &len))
			continue;
		*ns += info.run_time_ns;
		*runs += info.run_cnt;
	}
}

void selfcheck__read(struct selfcheck *s, const struct probes *p)
{
	struct timespec t;
	uint64_t ns = 0, runs = 0;

	if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t) == 0)
		s->cpu_ns = (uint64_t)t.tv_sec * NS_PER_S + t.tv_nsec;
	if (p && p->native) {
		add_object(p->native->obj, &ns, &runs);
		if (p->go)
			add_object(p->go->obj, &ns, &runs);
		/* programs only accumulate: never let a reload look negative */
		s->bpf_ns = MAX(s->bpf_ns, ns);
		s->bpf_runs = MAX(s->bpf_runs, runs);
	}
}

void selfcheck__restart(struct selfcheck *s, const struct probes *p, uint64_t now_ns)
{
	selfcheck__read(s, p);
	s->win_start_ns = now_ns;
	s->win_cpu_ns = s->cpu_ns;
	s->win_bpf_ns = s->bpf_ns;
}

enum selfcheck_action selfcheck__step(struct selfcheck *s, uint64_t now_ns)
{
	double ratio;

	if (s->paused) {
		if (now_ns < s->resume_at_ns)
			return SELFCHECK_NONE;
		s->paused = false;
		s->win_start_ns = now_ns;
		s->win_cpu_ns = s->cpu_ns;
		s->win_bpf_ns = s->bpf_ns;
		return SELFCHECK_RESUME;
	}
	if (now_ns - s->win_start_ns < s->window_ns)
		return SELFCHECK_NONE;
	ratio = selfcheck__ratio(s->cpu_ns - s->win_cpu_ns, s->bpf_ns - s->win_bpf_ns,
				 now_ns - s->win_start_ns);
	s->last_ratio = ratio;
	s->win_start_ns = now_ns;
	s->win_cpu_ns = s->cpu_ns;
	s->win_bpf_ns = s->bpf_ns;
	if (s->budget <= 0 || ratio <= s->budget) {
		s->next_backoff_ns = s->backoff_ns;	/* calm again: start over */
		return SELFCHECK_NONE;
	}
	s->paused = true;
	s->resume_at_ns = now_ns + s->next_backoff_ns;
	s->next_backoff_ns = MIN(s->next_backoff_ns * 2, s->backoff_max_ns);
	s->backoffs++;
	return SELFCHECK_PAUSE;
}
