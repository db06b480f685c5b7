/* SPDX-License-Identifier: MIT */
/*
 * `leakscope convert`: a JSON report (as the tracer or the agent wrote it)
 * read back and written in other formats.
 *
 *   leakscope convert REPORT.json -o OUT [-o OUT2...] [--format FMT] [--kind KIND]
 */
#ifndef LS_CONVERT_H
#define LS_CONVERT_H

/* `leakscope convert ...`: argv[0] is "convert". Returns the exit
 * status: 0, 1 (a file could not be read or written), 2 (usage). */
int convert__main(int argc, char **argv);

#endif
