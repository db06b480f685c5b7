// SPDX-License-Identifier: MIT
#include "report/frames.h"
#include "report/report.h"
#include "base/util.h"
#include "base/strtab.h"
#include "symbols/stacks.h"
#include "symbols/symbolize.h"
#include "symbols/tables.h"

#include <stdlib.h>
#include <string.h>

/* The frame's strings are copied into the report's own table: a report
 * outlives sweeps of the collector's tables (report.h). */
static void push_frame(struct report *r, struct report_frame **frames, size_t *nframes,
		       size_t *cap, const struct frame_sym *fs, uint32_t level, bool wrapper)
{
	grow_array((void **)frames, cap, *nframes + 1, sizeof(**frames));
	(*frames)[(*nframes)++] = (struct report_frame){
		.name = strtab__intern(r->strings, fs->levels[level].name),
		.file = strtab__intern(r->strings, fs->levels[level].file),
		.line = fs->levels[level].line,
		.module = strtab__intern(r->strings, fs->module),
		.address = fs->offset,
		.build_id = strtab__intern(r->strings, fs->build_id),
		.inlined = level + 1 < fs->nlevels,
		.wrapper = wrapper,
	};
}

void frames__expand_id(const struct tables *t, struct report *r, uint32_t stack_id,
		       bool keep_wrappers, struct report_frame **frames, size_t *nframes,
		       bool *truncated, uint32_t *unresolved)
{
	uint32_t n, flags;
	const uint64_t *f = stacks__frames(t->stacks, stack_id, &n, &flags);
	bool logical = flags & STACK_GO_LOGICAL;
	/* The runtime's traceback starts as if called by a normal function:
	 * a wrapper at the leaf is left out too. */
	bool callee_panicked = false;
	size_t cap = 0;

	*truncated = flags & STACK_TRUNCATED;
	*nframes = 0;
	*frames = NULL;
	*unresolved = 0;
	for (uint32_t i = 0; i < n; i++) {
		bool ret_addr = i > 0 || !(flags & STACK_LEAF_EXACT);
		const struct frame_sym *fs = symbolizer__frame(t->symbols, f[i], ret_addr);
		/* A recorded pc stands for its innermost function only; the
		 * last one may be a cut-off inlined call: expand it whole. */
		uint32_t levels = logical && i + 1 < n ? 1 : fs->nlevels;

		for (uint32_t l = 0; l < levels; l++) {
			const struct sym_line *sl = &fs->levels[l];
			bool elide = sl->go_wrapper && !callee_panicked;

			callee_panicked = sl->go_panics;
			if ((elide && !keep_wrappers) ||
			    (sl->name && !strcmp(sl->name, "runtime.goexit")))
				continue;
			push_frame(r, frames, nframes, &cap, fs, l, elide);
			/* module+0xoffset or an address outside every module */
			*unresolved += !fs->func;
		}
	}
}

void frames__expand(const struct tables *t, struct report *r, struct report_stack *s)
{
	frames__expand_id(t, r, s->stack_id, false, &s->frames, &s->nframes, &s->truncated,
			  &s->unresolved);
}

static void drop_leading(struct report_stack *s, size_t skip)
{
	if (!skip || skip >= s->nframes)
		return;
	memmove(s->frames, s->frames + skip, (s->nframes - skip) * sizeof(*s->frames));
	s->nframes -= skip;
}

static bool is_runtime(const struct report_frame *f)
{
	return f->name && !strncmp(f->name, "runtime.", 8);
}

static bool named(const struct report_frame *f, const char *name)
{
	return f->name && !strcmp(f->name, name);
}

void frames__hide_go_runtime(struct report_stack *s)
{
	size_t skip = 0;

	while (skip < s->nframes && is_runtime(&s->frames[skip]))
		skip++;
	drop_leading(s, skip);	/* nothing when every frame is the runtime's */
}

void frames__trim_go_alloc(struct report_stack *s)
{
	size_t skip = 0;

	/* Code on the system stack: the runtime's record ends at the
	 * switch (it does not follow into the goroutine it serves). */
	for (size_t i = 0; i < s->nframes; i++)
		if (named(&s->frames[i], "runtime.systemstack") ||
		    named(&s->frames[i], "runtime.mcall")) {
			s->nframes = i + 1;
			break;
		}
	/* The runtime's record starts past the sampler, the allocator and
	 * the runtime function that called the allocator (newobject,
	 * makeslice, growslice...): mProf_Malloc's callers(4, ...). */
	while (skip < s->nframes && (named(&s->frames[skip], "runtime.profilealloc") ||
				     (s->frames[skip].name &&
				      !strncmp(s->frames[skip].name, "runtime.mallocgc", 16))))
		skip++;
	if (skip && skip + 1 < s->nframes && is_runtime(&s->frames[skip]))
		skip++;
	drop_leading(s, skip);
	frames__hide_go_runtime(s);
}

/* Go names a function by its package path: "net/http.(*conn).serve",
 * "github.com/x/y.F", "main.main". The standard library's paths have no
 * dot in their first element; main is the program's own. */
static bool go_std(const char *name)
{
	const char *slash = strrchr(name, '/');
	const char *dot = strchr(slash ? slash : name, '.');
	size_t pkg, first;

	if (!dot)
		return false;
	pkg = (size_t)(dot - name);
	if (pkg == 4 && !strncmp(name, "main", 4))
		return false;
	first = MIN(strcspn(name, "/"), pkg);
	return !memchr(name, '.', first);
}

bool frames__is_system(const struct report_frame *f)
{
	static const char *const lib_dirs[] = { "/lib/", "/lib64/", "/usr/lib/", "/usr/lib64/" };
	size_t len = f->file ? strlen(f->file) : 0;

	if (!f->name)
		return false;
	/* Go code, and the Go runtime's assembly (.s; C's is .S) */
	if ((len > 3 && !strcmp(f->file + len - 3, ".go")) ||
	    (len > 2 && !strcmp(f->file + len - 2, ".s")))
		return go_std(f->name);
	if (!strcmp(f->name, "_start"))
		return true;
	for (size_t i = 0; f->module && i < ARRAY_SIZE(lib_dirs); i++)
		if (!strncmp(f->module, lib_dirs[i], strlen(lib_dirs[i])))
			return true;
	return false;
}

void frames__shorten(const struct report_stack *s, size_t max, size_t *from, size_t *to)
{
	*from = 0;
	*to = s->nframes;
	while (*to - *from > max && *from < *to && frames__is_system(&s->frames[*from]))
		(*from)++;
	while (*to - *from > max && *to > *from && frames__is_system(&s->frames[*to - 1]))
		(*to)--;
}
