// SPDX-License-Identifier: MIT
/*
 * Fuzz target: the socket tables of /proc/PID/net (tcp, tcp6, udp, udp6,
 * unix), read when leakscope attaches to describe the sockets a process
 * already holds (trace/preexisting.c). Unix socket paths are chosen by
 * whoever bound them. The first byte picks the table; tcp and tcp6 are
 * read for their listening ports first, as leakscope does.
 */
#include "fuzz.h"
#include "base/hashmap.h"
#include "trace/preexisting.h"

#include <stdlib.h>

static const char *const protos[] = { "tcp", "tcp6", "udp", "udp6", "unix" };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct u64map *names, *listening;
	const char *proto;
	char *text;

	if (size < 1)
		return 0;
	proto = protos[data[0] % (sizeof(protos) / sizeof(protos[0]))];
	text = fuzz_text(data + 1, size - 1);
	names = u64map__new(16);
	listening = u64map__new(16);
	if (proto[0] == 'u' && proto[1] == 'n') {
		preexisting__parse_unix(text, names);
	} else {
		if (proto[0] == 't')
			preexisting__parse_listening(text, listening);
		preexisting__parse_inet(proto, text, listening, names);
	}
	u64map__free(listening);
	preexisting__socket_names_free(names);
	free(text);
	return 0;
}
