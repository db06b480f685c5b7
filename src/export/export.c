// SPDX-License-Identifier: MIT
#include "export/export.h"
#include "export/folded.h"
#include "export/pprof.h"
#include "export/svg.h"
#include "report/report.h"
#include "report/json_write.h"
#include "report/text.h"
#include "base/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const format_names[EXPORT_FORMAT_MAX] = {
	[EXPORT_AUTO] = "auto",		[EXPORT_TEXT] = "text",
	[EXPORT_JSON] = "json",		[EXPORT_FOLDED] = "folded",
	[EXPORT_PPROF] = "pprof",	[EXPORT_SVG] = "svg",
};

const char *export__format_name(int format)
{
	return format >= 0 && format < EXPORT_FORMAT_MAX ? format_names[format] : "?";
}

int export__format_from_name(const char *name)
{
	static const struct { const char *name; int format; } aliases[] = {
		{ "txt", EXPORT_TEXT }, { "collapsed", EXPORT_FOLDED },
		{ "pb.gz", EXPORT_PPROF }, { "pb", EXPORT_PPROF },
	};

	for (int f = EXPORT_TEXT; f < EXPORT_FORMAT_MAX; f++)
		if (strcmp(name, format_names[f]) == 0)
			return f;
	for (size_t i = 0; i < ARRAY_SIZE(aliases); i++)
		if (strcmp(name, aliases[i].name) == 0)
			return aliases[i].format;
	return -1;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n > m && strcmp(s + n - m, suffix) == 0;
}

int export__format_from_path(const char *path)
{
	static const struct { const char *ext; int format; } exts[] = {
		{ ".txt", EXPORT_TEXT }, { ".json", EXPORT_JSON },
		{ ".folded", EXPORT_FOLDED }, { ".collapsed", EXPORT_FOLDED },
		{ ".pb.gz", EXPORT_PPROF }, { ".pprof", EXPORT_PPROF },
		{ ".svg", EXPORT_SVG },
	};

	for (size_t i = 0; i < ARRAY_SIZE(exts); i++)
		if (ends_with(path, exts[i].ext))
			return exts[i].format;
	return EXPORT_AUTO;
}

int export__check_path(const char *path)
{
	int fd;

	if (!strcmp(path, "-"))
		return 0;
	fd = open(path, O_WRONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd >= 0) {
		close(fd);
		return 0;
	}
	if (errno == ENXIO)	/* a FIFO nobody reads yet */
		return 0;
	if (errno != ENOENT)
		return -errno;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	close(fd);
	unlink(path);
	return 0;
}

int export__fallback_path(const char *path, char *buf, size_t size)
{
	const char *dir = getenv("TMPDIR"), *base = strrchr(path, '/'), *ext;

	base = base ? base + 1 : path;
	ext = strchr(base + (base[0] == '.'), '.');
	if (!dir || !*dir)
		dir = "/tmp";
	for (int n = 0; n < 100; n++) {
		int fd;

		snprintf(buf, size, "%s/leakscope-%d-%d%s", dir, (int)getpid(), n, ext ? ext : "");
		fd = open(buf, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd >= 0) {
			close(fd);
			return 0;
		}
		if (errno != EEXIST)
			return -errno;
	}
	return -EEXIST;
}

/* The report seen through a kind filter, for the writers that have none
 * of their own (text, JSON): a shallow copy, stacks copied by value. */
static struct report *filtered(const struct report *r, int kind)
{
	struct report *v = xmalloc(sizeof(*v));

	*v = *r;
	v->stacks = r->nstacks ? xcalloc(r->nstacks, sizeof(*v->stacks)) : NULL;
	v->nstacks = 0;
	for (size_t i = 0; i < r->nstacks; i++)
		if ((int)r->stacks[i].kind == kind)
			v->stacks[v->nstacks++] = r->stacks[i];
	for (int k = 0; k < KIND_MAX; k++)
		v->has_kind[k] = k == kind;
	return v;
}

int export__write(FILE *f, const struct report *r, int format,
		  const struct export_options *o)
{
	struct folded_options fo = { o->kind_filter, o->process };
	struct pprof_options po = { o->kind_filter };
	struct svg_options so = { o->kind_filter, o->svg_title };
	struct text_options to = { .top = o->text_top };
	struct report *view = NULL;
	int err;

	if (o->kind_filter >= KIND_MAX)
		return -EINVAL;
	if ((format == EXPORT_TEXT || format == EXPORT_JSON) && o->kind_filter >= 0)
		r = view = filtered(r, o->kind_filter);
	switch (format) {
	case EXPORT_TEXT:
		err = report_text__write(f, r, &to) ? -EIO : 0;
		break;
	case EXPORT_JSON:
		err = report_json__write(f, r) ? -EIO : 0;
		break;
	case EXPORT_FOLDED:
		err = folded__write(f, r, &fo);
		break;
	case EXPORT_PPROF:
		err = pprof__write(f, r, &po);
		break;
	case EXPORT_SVG:
		err = svg__write(f, r, &so);
		break;
	default:
		err = -EINVAL;
	}
	if (view) {
		free(view->stacks);
		free(view);
	}
	return err;
}

/* Reports hold paths, command names and stacks: a file we create is
 * readable by its owner only (an existing file keeps its mode). */
static FILE *create_private(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	FILE *f;

	if (fd < 0)
		return NULL;
	f = fdopen(fd, "w");
	if (!f)
		close(fd);
	return f;
}

int export__write_file_opts(const struct report *r, const char *path,
			    int format, const struct export_options *o)
{
	bool to_stdout = strcmp(path, "-") == 0;
	FILE *f;
	int err;

	if (format == EXPORT_AUTO)
		format = export__format_from_path(path);
	if (format == EXPORT_AUTO)
		format = EXPORT_TEXT;
	if (to_stdout && format == EXPORT_PPROF && isatty(STDOUT_FILENO)) {
		fprintf(stderr, "leakscope: not writing a binary pprof profile to "
			"a terminal (use -o FILE.pb.gz, or pipe it)\n");
		return -EINVAL;
	}
	f = to_stdout ? stdout : create_private(path);
	if (!f) {
		err = -errno;
		fprintf(stderr, "leakscope: cannot write %s: %s\n", path, strerror(-err));
		return err;
	}
	err = export__write(f, r, format, o);
	if (to_stdout) {
		if (fflush(f) && !err)
			err = -errno;
	} else if (fclose(f) && !err) {
		err = -errno;
	}
	if (err)
		fprintf(stderr, "leakscope: writing %s (%s) failed: %s\n",
			to_stdout ? "to stdout" : path, export__format_name(format),
			strerror(-err));
	return err;
}

int export__write_file(const struct report *r, const char *path, int format,
		       int kind_filter)
{
	struct export_options o = EXPORT_OPTIONS_DEFAULT;

	o.kind_filter = kind_filter;
	return export__write_file_opts(r, path, format, &o);
}
