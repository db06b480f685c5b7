// SPDX-License-Identifier: MIT
#include "base/procmem.h"

#include <errno.h>
#include <sys/uio.h>

int procmem__read(int pid, uint64_t addr, void *buf, size_t len)
{
	struct iovec local = { buf, len };
	struct iovec remote = { (void *)(uintptr_t)addr, len };
	ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);

	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EFAULT;
}

int procmem__read_u64(int pid, uint64_t addr, uint64_t *out)
{
	return procmem__read(pid, addr, out, sizeof(*out));
}

size_t procmem__read_many(int pid, struct procmem_req *reqs, size_t n)
{
	enum { BATCH = 512 };	/* well under IOV_MAX (1024) */
	struct iovec local[BATCH], remote[BATCH];
	size_t done = 0, ok = 0;

	while (done < n) {
		size_t k = n - done < BATCH ? n - done : BATCH, got;
		ssize_t r;

		for (size_t i = 0; i < k; i++) {
			local[i] = (struct iovec){ reqs[done + i].buf, reqs[done + i].len };
			remote[i] = (struct iovec){ (void *)(uintptr_t)reqs[done + i].addr,
						    reqs[done + i].len };
			reqs[done + i].ok = 0;
		}
		r = process_vm_readv(pid, local, k, remote, k, 0);
		if (r < 0) {
			if (errno == ESRCH)
				return ok;
			r = 0;
		}
		/* The kernel stops at the first unreadable remote iovec:
		 * count what came in full, retry the rest one by one. */
		got = 0;
		for (size_t i = 0; i < k; i++) {
			if ((size_t)r >= reqs[done + i].len) {
				r -= reqs[done + i].len;
				reqs[done + i].ok = 1;
				ok++;
				got++;
				continue;
			}
			break;
		}
		for (size_t i = got; i < k; i++) {
			struct procmem_req *q = &reqs[done + i];

			if (procmem__read(pid, q->addr, q->buf, q->len) == 0) {
				q->ok = 1;
				ok++;
			}
		}
		done += k;
	}
	return ok;
}
