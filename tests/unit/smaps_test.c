// SPDX-License-Identifier: MIT
/* What a process's memory uses, read from the kernel: smaps parsed per
 * mapping against the kernel's own sum (smaps_rollup), and pagemap's
 * resident pages against mincore(). */
#include "check.h"
#include "base/smaps.h"
#include "base/util.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

static uint64_t rollup_rss(void)
{
	char line[256];
	unsigned long long kb = 0;
	FILE *f = fopen("/proc/self/smaps_rollup", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "Rss: %llu kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb * 1024;
}

static uint64_t parsed_rss(size_t *n)
{
	struct smaps_vma *v;
	uint64_t sum = 0;

	if (smaps__read(getpid(), &v, n))
		return 0;
	for (size_t i = 0; i < *n; i++)
		sum += v[i].rss_bytes;
	free(v);
	return sum;
}

TEST(smaps_mappings_add_up_to_the_kernels_rollup)
{
	uint64_t before = 0, rollup = 0, after = 1;
	size_t n = 0;

	/* reading allocates: compare once the process held still */
	for (int i = 0; i < 10 && before != after; i++) {
		before = parsed_rss(&n);
		rollup = rollup_rss();
		after = parsed_rss(&n);
	}
	CHECK(n > 5);
	CHECK(rollup > 0);
	CHECK_EQ_U(before, after);
	CHECK_EQ_U(before, rollup);
}

TEST(smaps_sees_protection_and_commit)
{
	char *rw = mmap(NULL, 8 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *none = mmap(NULL, 8 * 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct smaps_vma *v;
	size_t n = 0;
	int seen = 0;

	CHECK(rw != MAP_FAILED && none != MAP_FAILED);
	rw[0] = 1;
	CHECK_EQ_I(smaps__read(getpid(), &v, &n), 0);
	for (size_t i = 0; i < n; i++) {
		if (v[i].start <= (uint64_t)(uintptr_t)rw && (uint64_t)(uintptr_t)rw < v[i].end) {
			CHECK(v[i].accounted && v[i].anonymous && v[i].rss_bytes >= 4096);
			seen++;
		}
		if (v[i].start <= (uint64_t)(uintptr_t)none && (uint64_t)(uintptr_t)none < v[i].end) {
			CHECK(!v[i].accounted && v[i].rss_bytes == 0);
			seen++;
		}
	}
	CHECK_EQ_I(seen, 2);
	free(v);
	munmap(rw, 8 * 4096);
	munmap(none, 8 * 4096);
}

TEST(pagemap_resident_pages_equal_mincore)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE), len = 64 * page, want = 0;
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	unsigned char vec[64];
	uint64_t got = 1;
	int fd = open("/proc/self/pagemap", O_RDONLY);

	CHECK(p != MAP_FAILED && fd >= 0);
	for (size_t i = 0; i < 64; i += 3)	/* every third page */
		p[i * page] = 1;
	CHECK_EQ_I(mincore(p, len, vec), 0);
	for (size_t i = 0; i < 64; i++)
		want += vec[i] & 1;
	CHECK_EQ_I(pagemap__resident(fd, (uint64_t)(uintptr_t)p, (uint64_t)(uintptr_t)p + len,
				     page, &got), 0);
	CHECK_EQ_U(got, want * page);
	CHECK_EQ_U(want, 22);
	close(fd);
	munmap(p, len);
}
