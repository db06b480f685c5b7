/* SPDX-License-Identifier: MIT */
/*
 * Numbers, durations and sizes as command-line options and the agent's
 * config file write them: one reading of each, for every command. Each
 * returns 0, -EINVAL (not that kind of text) or -ERANGE (outside the
 * range), and leaves *out alone on error.
 */
#ifndef LS_PARSE_H
#define LS_PARSE_H

#include <stdint.h>

/* Longest duration any option takes (~115 days): a typo like "60000000"
 * is caught instead of meaning "never". */
#define PARSE_SECONDS_MAX 1e7

/* Decimal digits only (no sign, no "0x"), min <= value <= max. */
int parse__uint(const char *s, uint64_t min, uint64_t max, uint64_t *out);
/* A process id: 1 to INT_MAX. */
int parse__pid(const char *s, int *out);
/* "90", "1.5", "90s", "250ms", "1.5m", "2h" -> seconds, from 0 to
 * PARSE_SECONDS_MAX. */
int parse__seconds(const char *s, double *out);
/* "512", "4K", "4KiB", "64M", "1G" (powers of 1024) -> bytes, up to 1e18. */
int parse__size(const char *s, uint64_t *out);

#endif
