// SPDX-License-Identifier: MIT
/* A plugin loaded with dlopen after leakscope attached: its frames must
 * still be named (the module map follows new executable mappings). */
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

static volatile long sink;

__attribute__((noinline)) void plugin_leak_site(int n)
{
	for (int i = 0; i < n; i++) {
		sink = open("/etc/hostname", O_RDONLY);
		sink = (long)mmap(NULL, 3 * 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	}
}

void plugin_entry(int n)
{
	plugin_leak_site(n);
	sink++;
}
