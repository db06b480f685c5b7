/* SPDX-License-Identifier: MIT */
/*
 * What a process's memory uses, from the kernel's own accounting:
 * /proc/PID/smaps (per mapping: resident pages, and whether the mapping
 * counts against the commit limit, VmFlags "ac") and /proc/PID/pagemap
 * (which pages of a range are in RAM, for ranges that are part of a
 * mapping only).
 */
#ifndef LS_SMAPS_H
#define LS_SMAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct smaps_vma {
	uint64_t start, end;
	uint64_t rss_bytes;	/* "Rss:" */
	bool accounted;		/* VmFlags "ac": committed memory */
	bool anonymous;		/* no file behind it (inode 0) */
};

/* Parse smaps text: 0 or -EINVAL. The caller frees *out. */
int smaps__parse(const char *text, struct smaps_vma **out, size_t *n);
/* Read and parse /proc/PID/smaps: 0, or -errno (-ESRCH: gone). */
int smaps__read(int pid, struct smaps_vma **out, size_t *n);
/* Bytes of [start, end) in RAM, from an open /proc/PID/pagemap: 0 or
 * -errno. */
int pagemap__resident(int fd, uint64_t start, uint64_t end, uint64_t page_size,
		      uint64_t *bytes);

#endif
