/* SPDX-License-Identifier: MIT */
/*
 * Usage errors of the argp commands (the tracer, convert) as exactly one
 * line that names the problem and a way out. argp's own errors add a
 * "Try --help" paragraph; the commands parse with ARGP_NO_ERRS and say
 * it themselves, through these.
 */
#ifndef LS_CLI_USAGE_H
#define LS_CLI_USAGE_H

#include <argp.h>
#include <stdbool.h>

struct usage {
	const char *prog;	/* "leakscope", "leakscope convert" */
	const struct argp_option *options;	/* to explain ARGP_KEY_ERROR */
	bool said;		/* a line was printed: argp must not add one */
};

/* "PROG: message" on stderr; returns EINVAL, for a parser to return. */
error_t usage__error(struct usage *u, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* ARGP_KEY_ERROR: argp only knows that argv[next - 1] was wrong; say
 * which way (unknown option, missing value, a value given to a flag),
 * unless a line was already printed. */
void usage__key_error(struct usage *u, const struct argp_state *state);

#endif
