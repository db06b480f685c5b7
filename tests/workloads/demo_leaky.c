// SPDX-License-Identifier: MIT
/*
 * The program `make demo` traces: a toy request loop with three habits.
 * handle_request() leaks a socket every 4th request and 256 KiB of mmap
 * every other one; cache_put() keeps a bounded cache of 8 mappings (it
 * grows, then plateaus: held, but not a leak); parse_config() opens a
 * file and closes it properly. Runs about 7 seconds, then exits.
 */
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))
#define CACHE_SLOTS 8

static void *cache[CACHE_SLOTS];
static int cache_next;
static volatile int sink;

NOINLINE void cache_put(void)
{
	int slot = cache_next++ % CACHE_SLOTS;

	if (cache[slot])
		munmap(cache[slot], 128 * 1024);
	cache[slot] = mmap(NULL, 128 * 1024, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

NOINLINE void parse_config(void)
{
	int fd = open("/etc/hostname", O_RDONLY);

	if (fd >= 0)
		close(fd);
}

NOINLINE void handle_request(int i)
{
	if (i % 4 == 0)
		sink = socket(AF_INET, SOCK_STREAM, 0);	/* never closed */
	if (i % 2 == 0)
		sink = mmap(NULL, 256 * 1024, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) != MAP_FAILED;
	cache_put();
	parse_config();
}

int main(void)
{
	for (int i = 0; i < 70; i++) {
		handle_request(i);
		usleep(100 * 1000);
	}
	printf("demo_leaky: served 70 requests\n");
	return 0;
}
