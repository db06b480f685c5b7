/* SPDX-License-Identifier: MIT */
/* `leakscope [OPTIONS] -p PID | -- CMD`: trace, then report (tracer.c). */
#ifndef LS_TRACER_H
#define LS_TRACER_H

/* argv[0] is the program name. Returns the exit status: 0, 1 (a runtime
 * failure), 2 (usage), 127 (the command cannot run), or the launched
 * command's own status. */
int tracer__main(int argc, char **argv);

#endif
