// SPDX-License-Identifier: MIT
/*
 * Fuzz target: the text of /proc/PID/maps (base/procmaps.c), read for
 * every traced process and by the agent for every process it picks up.
 * The kernel writes it, but paths are the process's own choosing (any
 * bytes but '\n', and a name with "\n" is escaped by the kernel only in
 * some versions), so a line may hold anything.
 */
#include "fuzz.h"
#include "base/procmaps.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_text(data, size);
	struct procmap *maps = NULL;
	size_t n = 0, bad = 0;

	if (!procmaps__parse(text, &maps, &n, &bad)) {
		for (size_t i = 0; i < n; i++)
			if (maps[i].end < maps[i].start || strlen(maps[i].perms) != 4 ||
			    !maps[i].path)
				fuzz_fail("entry %zu accepted malformed", i);
		procmaps__free(maps, n);
	} else if (!bad) {
		fuzz_fail("an error without the bad line's number");
	}
	free(text);
	return 0;
}
