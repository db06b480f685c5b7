/* SPDX-License-Identifier: MIT */
/*
 * --output-dir: profiles written as files, rotated by total size. Each
 * file is written under a temporary name and renamed, so a reader never
 * sees half a profile; beyond the size bound the oldest *.pb.gz files of
 * the directory (by modification time, those of earlier runs included)
 * are removed, and counted.
 */
#ifndef LS_OUTDIR_H
#define LS_OUTDIR_H

#include <stddef.h>
#include <stdint.h>

struct outdir_file {
	char *path;
	uint64_t bytes;
	uint64_t mtime_ns;
};

struct outdir {
	char *dir;
	uint64_t max_bytes;
	struct outdir_file *files;	/* oldest first */
	size_t n, cap;
	uint64_t bytes;			/* total of files */
	uint64_t written, removed, errors;
};

/* Create dir if needed and list the profiles already there. 0 or -errno
 * (message logged). */
int outdir__open(struct outdir *o, const char *dir, uint64_t max_bytes);
/* Write name (a file name, no '/') with body, then rotate. 0 or -errno. */
int outdir__write(struct outdir *o, const char *name, const void *body, size_t len);
void outdir__close(struct outdir *o);

#endif
