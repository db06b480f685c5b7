// SPDX-License-Identifier: MIT
#include "agent/outdir.h"
#include "base/logfmt.h"
#include "base/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool is_profile(const char *name)
{
	size_t n = strlen(name);

	return n > 6 && !strcmp(name + n - 6, ".pb.gz") && name[0] != '.';
}

static void add_file(struct outdir *o, char *path, uint64_t bytes, uint64_t mtime_ns)
{
	grow_array((void **)&o->files, &o->cap, o->n + 1, sizeof(*o->files));
	o->files[o->n++] = (struct outdir_file){ path, bytes, mtime_ns };
	o->bytes += bytes;
}

static int by_age(const void *a, const void *b)
{
	const struct outdir_file *x = a, *y = b;

	if (x->mtime_ns != y->mtime_ns)
		return x->mtime_ns < y->mtime_ns ? -1 : 1;
	return strcmp(x->path, y->path);
}

static int mkdirs(const char *dir)
{
	char *copy = xstrdup(dir);
	int err = 0;

	for (char *s = copy + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(copy, 0755) && errno != EEXIST)
			err = -errno;
		*s = '/';
	}
	if (!err && mkdir(copy, 0755) && errno != EEXIST)
		err = -errno;
	free(copy);
	return err;
}

int outdir__open(struct outdir *o, const char *dir, uint64_t max_bytes)
{
	struct dirent *d;
	DIR *dp;
	int err;

	memset(o, 0, sizeof(*o));
	o->dir = xstrdup(dir);
	o->max_bytes = max_bytes;
	err = mkdirs(dir);
	if (!err && !(dp = opendir(dir)))
		err = -errno;
	if (err) {
		LOG_E("cannot use the output directory (check the path and permissions)",
		      "dir=%s err=%s", logfmt__q(dir), logfmt__q(strerror(-err)));
		return err;
	}
	while ((d = readdir(dp))) {
		struct stat st;
		char *path;

		if (!is_profile(d->d_name))
			continue;
		path = xasprintf("%s/%s", dir, d->d_name);
		if (stat(path, &st) || !S_ISREG(st.st_mode)) {
			free(path);
			continue;
		}
		add_file(o, path, st.st_size,
			 (uint64_t)st.st_mtim.tv_sec * NS_PER_S + st.st_mtim.tv_nsec);
	}
	closedir(dp);
	if (o->n > 1)	/* files is NULL in an empty directory */
		qsort(o->files, o->n, sizeof(*o->files), by_age);
	return 0;
}

/* Remove the oldest files while over the bound; the newest always stays. */
static void rotate(struct outdir *o)
{
	size_t drop = 0;

	while (o->bytes > o->max_bytes && o->n - drop > 1) {
		struct outdir_file *f = &o->files[drop++];

		if (unlink(f->path) && errno != ENOENT) {
			o->errors++;
			LOG_W("cannot remove an old profile", "path=%s err=%s",
			      logfmt__q(f->path), logfmt__q(strerror(errno)));
		} else {
			o->removed++;
		}
		o->bytes -= f->bytes;
		free(f->path);
	}
	memmove(o->files, o->files + drop, (o->n - drop) * sizeof(*o->files));
	o->n -= drop;
}

int outdir__write(struct outdir *o, const char *name, const void *body, size_t len)
{
	char *tmp = xasprintf("%s/.%s.tmp", o->dir, name);
	char *path = xasprintf("%s/%s", o->dir, name);
	int fd, err = 0;

	/* profiles hold paths and stacks: the owner's only */
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, body, len) != (ssize_t)len)
		err = -errno ? -errno : -EIO;
	if (fd >= 0 && close(fd) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err) {
		unlink(tmp);
		o->errors++;
		LOG_W("cannot write a profile file", "path=%s err=%s", logfmt__q(path),
		      logfmt__q(strerror(-err)));
		free(tmp);
		free(path);
		return err;
	}
	free(tmp);
	o->written++;
	add_file(o, path, len, realtime_ns());	/* newest: appended last */
	rotate(o);
	return 0;
}

void outdir__close(struct outdir *o)
{
	for (size_t i = 0; i < o->n; i++)
		free(o->files[i].path);
	free(o->files);
	free(o->dir);
	memset(o, 0, sizeof(*o));
}
