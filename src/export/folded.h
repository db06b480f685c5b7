/* SPDX-License-Identifier: MIT */
/*
 * Folded stacks ("collapsed" format): one line per stack, frames from
 * the root to the leaf joined by ';', a space and an integer weight
 * (bytes for memory kinds, a count for fd and goroutine). flamegraph.pl,
 * inferno and speedscope read it:
 *
 *   mmap;leaky (4242);main;leak_mmap 8388608
 *   fd;leaky (4242);main;open_many;open [file] 3
 *
 * The path of a stack (which the SVG flame graph shares) is, root first:
 * the kind (only when no kind filter is given, so a file never adds bytes
 * to counts unseen), the process ("comm (pid)"), the frames outermost
 * first, then for fds the fd kind as a leaf "[socket]". A stack held
 * before tracing began has the single frame "[held before attach]", one
 * with no frames "[no stack]".
 */
#ifndef LS_EXPORT_FOLDED_H
#define LS_EXPORT_FOLDED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct report;
struct report_stack;

#define EXPORT_ALL_KINDS (-1)

/* The process frame at the root of every stack. pid keeps processes
 * apart; comm merges runs of the same program (and diffs across runs,
 * whose pids differ); none leaves only the program's own frames. */
enum folded_process_frame {
	FOLDED_PROC_PID = 0,	/* "leaky (4242)" */
	FOLDED_PROC_COMM,	/* "leaky" */
	FOLDED_PROC_NONE,
};

struct strtab;

struct folded_options {
	int kind_filter;	/* an enum ls_kind, or EXPORT_ALL_KINDS */
	enum folded_process_frame process;
};

/* What a stack weighs in a graph: bytes for memory kinds, else count. */
uint64_t folded__weight(const struct report_stack *s);

/* The stack's path, root first, into out[0..max), not yet sanitized:
 * the report's strings, constants, and frames made up here (the process,
 * "[socket]") kept in names, where equal ones are one pointer. Returns
 * the number of entries (at most max). */
size_t folded__path(const struct report *r, const struct report_stack *s,
		    const struct folded_options *o, struct strtab *names,
		    const char **out, size_t max);

/* A frame name fit for a folded line: ';' becomes ':', control
 * characters become spaces, an empty name "[unknown]". Writes into buf
 * (truncating) and returns it. */
const char *folded__sanitize(const char *name, char *buf, size_t size);

/* Write every stack that passes the filter and weighs more than 0, in
 * report order. 0 or -EIO. */
int folded__write(FILE *f, const struct report *r,
		  const struct folded_options *o);

#endif
