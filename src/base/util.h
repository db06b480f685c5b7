/* SPDX-License-Identifier: MIT */
/* Small helpers every module uses: checked allocation, clocks, strings. */
#ifndef LS_UTIL_H
#define LS_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

/* Allocation failure in the collector is not recoverable: these abort
 * with a message instead of returning NULL into every caller. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Grow *arr (of *cap elements of size elem) to hold at least need. */
void grow_array(void **arr, size_t *cap, size_t need, size_t elem);

#define NS_PER_S 1000000000ULL
#define NS_PER_MS 1000000ULL
#define NS_PER_US 1000ULL

uint64_t now_ns(void);		/* CLOCK_MONOTONIC, same clock as BPF */
uint64_t realtime_ns(void);	/* wall clock, for reports */

uint64_t hash_bytes(const void *p, size_t n, uint64_t seed);
static inline uint64_t hash_u64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

/* Read a whole small file (procfs) into a NUL-terminated buffer. */
char *read_file(const char *path, size_t *len);
/* Read the first line of a file, without the newline. 0 or -errno. */
int read_line(const char *path, char *buf, size_t size);

#endif
