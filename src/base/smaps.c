// SPDX-License-Identifier: MIT
#include "base/smaps.h"
#include "base/util.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A mapping's first line: "7f0c-7f0d rw-p 00000000 00:00 0   [heap]". */
static bool parse_header(const char *line, struct smaps_vma *v)
{
	uint64_t pgoff, inode;
	unsigned maj, mnr;
	char perms[8];

	if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %7s %" SCNx64 " %x:%x %" SCNu64,
		   &v->start, &v->end, perms, &pgoff, &maj, &mnr, &inode) != 7 ||
	    v->end < v->start)
		return false;
	v->anonymous = inode == 0;
	v->rss_bytes = 0;
	v->accounted = false;
	return true;
}

/* A mapping's first line starts "start-end " (hex); every other line
 * is "Name: value". */
static bool is_header(const char *line)
{
	size_t tok = strcspn(line, " ");

	return tok && line[tok] == ' ' && memchr(line, '-', tok) && !memchr(line, ':', tok);
}

/* "VmFlags: rd wr mr mw me ac sd" */
static bool has_flag(const char *flags, const char *flag)
{
	for (const char *p = flags; (p = strstr(p, flag)); p += 2)
		if ((p == flags || p[-1] == ' ') && (p[2] == ' ' || p[2] == '\0'))
			return true;
	return false;
}

int smaps__parse(const char *text, struct smaps_vma **out, size_t *n)
{
	struct smaps_vma *v = NULL;
	size_t cap = 0, count = 0;

	for (const char *p = text; *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		char line[512];
		unsigned long long kb;

		snprintf(line, sizeof(line), "%.*s", (int)MIN(len, sizeof(line) - 1), p);
		p += len + (nl != NULL);
		if (sscanf(line, "Rss: %llu kB", &kb) == 1 && count) {
			v[count - 1].rss_bytes = kb * 1024;
		} else if (!strncmp(line, "VmFlags:", 8) && count) {
			v[count - 1].accounted = has_flag(line + 8, "ac");
		} else if (is_header(line)) {
			grow_array((void **)&v, &cap, count + 1, sizeof(*v));
			if (!parse_header(line, &v[count])) {
				free(v);
				return -EINVAL;
			}
			count++;
		}
	}
	*out = v;
	*n = count;
	return 0;
}

int smaps__read(int pid, struct smaps_vma **out, size_t *n)
{
	char path[64];
	size_t len;
	char *text;
	int err;

	snprintf(path, sizeof(path), "/proc/%d/smaps", pid);
	text = read_file(path, &len);
	if (!text)
		return errno == ENOENT ? -ESRCH : -errno;
	err = smaps__parse(text, out, n);
	free(text);
	return err;
}

#define PAGEMAP_PRESENT (1ULL << 63)
#define PAGEMAP_CHUNK 4096	/* entries per read: 32 KiB */

int pagemap__resident(int fd, uint64_t start, uint64_t end, uint64_t page_size,
		      uint64_t *bytes)
{
	uint64_t buf[PAGEMAP_CHUNK], pages = 0;
	uint64_t first = start / page_size, last = (end + page_size - 1) / page_size;

	*bytes = 0;
	while (first < last) {
		size_t want = MIN(last - first, (uint64_t)PAGEMAP_CHUNK);
		ssize_t got = pread(fd, buf, want * 8, (off_t)(first * 8));

		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return got < 0 ? -errno : -EIO;
		for (size_t i = 0; i < (size_t)got / 8; i++)
			pages += (buf[i] & PAGEMAP_PRESENT) != 0;
		first += (uint64_t)got / 8;
	}
	*bytes = pages * page_size;
	return 0;
}
