// SPDX-License-Identifier: MIT
/*
 * leakscope: trace processes and report, per call stack, what they still
 * hold. This file only picks the command; each lives in its own room:
 *   leakscope [OPTIONS] -p PID | -- CMD   cli/tracer.c
 *   leakscope agent [OPTIONS]             agent/agent.c
 *   leakscope convert REPORT.json -o OUT  cli/convert.c
 *   leakscope check                       cli/check.c
 */
#include "agent/agent.h"
#include "cli/check.h"
#include "cli/convert.h"
#include "cli/tracer.h"

#include <string.h>

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "convert"))
		return convert__main(argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "agent"))
		return agent__main(argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "check"))
		return check__main(argc - 1, argv + 1);
	return tracer__main(argc, argv);
}
