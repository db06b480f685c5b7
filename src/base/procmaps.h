/* SPDX-License-Identifier: MIT */
/* Parsing /proc/PID/maps. */
#ifndef LS_PROCMAPS_H
#define LS_PROCMAPS_H

#include <stddef.h>
#include <stdint.h>

struct procmap {
	uint64_t start, end, pgoff, inode;
	uint32_t dev_major, dev_minor;
	char perms[5];		/* "r-xp" */
	char *path;		/* "" for anonymous, "[heap]"...; freed with
				 * the array by procmaps__free */
};

/* Parse the text of a maps file. Returns 0 or -EINVAL naming the line in
 * *bad_line (1-based). The caller frees *out with procmaps__free. */
int procmaps__parse(const char *text, struct procmap **out, size_t *n,
		    size_t *bad_line);
/* Read and parse /proc/PID/maps: 0, -ESRCH if the process is gone. */
int procmaps__read(int pid, struct procmap **out, size_t *n);
void procmaps__free(struct procmap *maps, size_t n);

#endif
