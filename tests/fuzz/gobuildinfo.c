// SPDX-License-Identifier: MIT
/*
 * Fuzz target: a .go.buildinfo section, where leakscope reads the Go
 * version of every Go binary it inspects. Parsed inside a real binary
 * (the committed seed elf/go119-mini), so the older layout's pointers to
 * Go strings elsewhere in the file are followed as on a real file; then
 * the version-string parser and the data scan for runtime.buildVersion.
 */
#include "fuzz.h"
#include "golang/gobin_int.h"

#include <stdio.h>
#include <string.h>

static struct gobin *host;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *why = NULL;

	host = gobin__open(LS_SOURCE_DIR "/tests/fuzz/corpus/elf/go119-mini", &why);
	if (!host)
		fuzz_fail("cannot open the host binary: %s", why);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gobin_version v;

	memset(&host->version, 0, sizeof(host->version));
	if (gobin_parse_buildinfo(host, data, size)) {
		v = host->version;
		if (v.major != 1 || !memchr(v.str, '\0', sizeof(v.str)) ||
		    strncmp(v.str, "go1.", 4))
			fuzz_fail("accepted version \"%.64s\" %d.%d.%d", v.str, v.major,
				  v.minor, v.patch);
	}
	gobin_parse_version((const char *)data, size, &v);
	return 0;
}
