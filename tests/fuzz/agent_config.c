// SPDX-License-Identifier: MIT
/*
 * Fuzz target: the agent's config file (agent/config_file.c), each
 * setting applied through the agent's one option table
 * (agent_options__set), as `leakscope agent --config FILE` does. A
 * refused file must say which line and why.
 */
#include "fuzz.h"
#include "agent/config_file.h"
#include "agent/options.h"

#include <stdlib.h>
#include <string.h>

/* What `--config` does with each line. */
static int set(void *ctx, const char *key, const char *value, char *err, size_t errlen)
{
	return agent_options__set(ctx, key, value, err, errlen);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct agent_options o;
	char err[512] = "";
	char *text = fuzz_text(data, size);

	agent_options__defaults(&o);
	if (agent_config__parse(text, set, &o, err, sizeof(err)) &&
	    strncmp(err, "line ", 5))
		fuzz_fail("a refused config without its line: \"%s\"", err);
	agent_options__free(&o);
	free(text);
	return 0;
}
