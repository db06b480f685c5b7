// SPDX-License-Identifier: MIT
#include "export/folded.h"
#include "report/report.h"
#include "base/strtab.h"
#include "base/util.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

uint64_t folded__weight(const struct report_stack *s)
{
	return kind_has_bytes(s->kind) ? s->bytes : s->count;
}

static const struct report_target *find_target(const struct report *r, int pid)
{
	for (size_t i = 0; i < r->ntargets; i++)
		if (r->targets[i].pid == pid)
			return &r->targets[i];
	return NULL;
}

static const char *process_frame(const struct report *r, int pid,
				 enum folded_process_frame mode, struct strtab *names)
{
	const struct report_target *t = find_target(r, pid);
	const char *comm = t && t->comm[0] ? t->comm : "[unknown]";
	char buf[96];

	/* Folded stacks have no room for a note: when records were lost
	 * and counts are inexact, the root frame says so. */
	const char *mark = r->resync.inexact ? " [counts inexact: records lost]" : "";

	if (mode == FOLDED_PROC_COMM)
		snprintf(buf, sizeof(buf), "%.16s%s", comm, mark);
	else
		snprintf(buf, sizeof(buf), "%.16s (%d)%s", comm, pid, mark);
	return strtab__intern(names, buf);
}

size_t folded__path(const struct report *r, const struct report_stack *s,
		    const struct folded_options *o, struct strtab *names,
		    const char **out, size_t max)
{
	size_t n = 0;

#define PUSH(x) do { if (n < max) out[n++] = (x); } while (0)
	if (o->kind_filter < 0)
		PUSH(kind_name(s->kind));
	if (o->process != FOLDED_PROC_NONE)
		PUSH(process_frame(r, s->pid, o->process, names));
	if (s->preexisting && !s->nframes)
		PUSH("[held before attach]");
	else if (!s->nframes)
		PUSH("[no stack]");
	for (size_t i = s->nframes; i-- > 0;)
		PUSH(s->frames[i].name && s->frames[i].name[0] ?
		     s->frames[i].name : "[unknown]");
	if (s->kind == KIND_FD && s->fd_kind) {
		char buf[64];

		snprintf(buf, sizeof(buf), "[%s]", s->fd_kind);
		PUSH(strtab__intern(names, buf));
	}
#undef PUSH
	return n;
}

const char *folded__sanitize(const char *name, char *buf, size_t size)
{
	size_t n = 0;

	if (!size)
		return buf;
	if (!name || !*name)
		name = "[unknown]";
	for (const unsigned char *p = (const unsigned char *)name;
	     *p && n + 1 < size; p++) {
		unsigned char c = *p;

		if (c == ';')
			c = ':';
		else if (c < 0x20 || c == 0x7f)
			c = ' ';
		buf[n++] = (char)c;
	}
	buf[n] = '\0';
	return buf;
}

/* Deep stacks: LS_MAX_STACK_DEPTH frames plus the synthetic ones. */
#define PATH_MAX_FRAMES 1024

int folded__write(FILE *f, const struct report *r,
		  const struct folded_options *o)
{
	const char *path[PATH_MAX_FRAMES];
	struct strtab *names = strtab__new();
	char name[1024];

	for (size_t i = 0; i < r->nstacks; i++) {
		const struct report_stack *s = &r->stacks[i];
		uint64_t w = folded__weight(s);
		size_t n;

		if ((o->kind_filter >= 0 && (int)s->kind != o->kind_filter) || !w)
			continue;
		n = folded__path(r, s, o, names, path, PATH_MAX_FRAMES);
		for (size_t j = 0; j < n; j++) {
			if (j)
				fputc(';', f);
			fputs(folded__sanitize(path[j], name, sizeof(name)), f);
		}
		fprintf(f, " %" PRIu64 "\n", w);
	}
	strtab__free(names);
	return ferror(f) ? -EIO : 0;
}
