// SPDX-License-Identifier: MIT
#include "base/procmaps.h"
#include "base/util.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 55d1c8a00000-55d1c8a02000 r--p 00000000 fe:01 1312 /usr/bin/cat */
static int parse_line(const char *line, struct procmap *m)
{
	int path_at = 0;
	char perms[8];

	if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %7s %" SCNx64 " %x:%x %" SCNu64 " %n",
		   &m->start, &m->end, perms, &m->pgoff, &m->dev_major,
		   &m->dev_minor, &m->inode, &path_at) < 7 || !path_at)
		return -EINVAL;
	if (m->end < m->start || strlen(perms) != 4)
		return -EINVAL;
	memcpy(m->perms, perms, 5);
	m->path = xstrdup(line + path_at);
	return 0;
}

int procmaps__parse(const char *text, struct procmap **out, size_t *n,
		    size_t *bad_line)
{
	struct procmap *v = NULL;
	size_t cap = 0, count = 0, lineno = 0;
	const char *p = text;

	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		char line[4096 + 128];

		lineno++;
		if (len >= sizeof(line))
			len = sizeof(line) - 1;
		memcpy(line, p, len);
		line[len] = '\0';
		p = nl ? nl + 1 : p + strlen(p);
		if (!len)
			continue;
		grow_array((void **)&v, &cap, count + 1, sizeof(*v));
		if (parse_line(line, &v[count]) < 0) {
			procmaps__free(v, count);
			if (bad_line)
				*bad_line = lineno;
			return -EINVAL;
		}
		count++;
	}
	*out = v;
	*n = count;
	return 0;
}

void procmaps__free(struct procmap *maps, size_t n)
{
	for (size_t i = 0; maps && i < n; i++)
		free(maps[i].path);
	free(maps);
}

int procmaps__read(int pid, struct procmap **out, size_t *n)
{
	char path[64];
	char *text;
	int err;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	text = read_file(path, NULL);
	if (!text)
		return errno == ENOENT ? -ESRCH : -errno;
	err = procmaps__parse(text, out, n, NULL);
	free(text);
	return err;
}
