// SPDX-License-Identifier: MIT
#include "base/procmem.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
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

/* A gap up to this is read through rather than cut: one iovec more
 * costs the kernel about as much as copying a few KiB. */
#define FIELDS_GAP 4096
#define FIELDS_CHUNK (256u << 10)	/* most bytes in one range */
#define FIELDS_BATCH (16u << 20)	/* bytes read before extracting */

struct fields_range {
	size_t first, last;	/* objects [first, last] in the caller's order */
};

static void read_ranges(int pid, const uint64_t *addrs, size_t off, size_t len,
			const struct fields_range *rg, size_t nrg, uint8_t *out, uint8_t *ok)
{
	struct procmem_req *reqs = calloc(nrg ? nrg : 1, sizeof(*reqs));
	size_t total = 0, at = 0;
	uint8_t *buf;

	for (size_t r = 0; r < nrg; r++)
		total += addrs[rg[r].last] - addrs[rg[r].first] + len;
	buf = malloc(total ? total : 1);
	if (!reqs || !buf) {
		free(reqs);
		free(buf);
		return;
	}
	for (size_t r = 0; r < nrg; r++) {
		size_t size = addrs[rg[r].last] - addrs[rg[r].first] + len;

		reqs[r] = (struct procmem_req){ addrs[rg[r].first] + off, buf + at, size, 0 };
		at += size;
	}
	procmem__read_many(pid, reqs, nrg);
	for (size_t r = 0; r < nrg; r++) {
		if (!reqs[r].ok)
			continue;
		for (size_t i = rg[r].first; i <= rg[r].last; i++) {
			memcpy(out + i * len, (uint8_t *)reqs[r].buf + (addrs[i] - addrs[rg[r].first]),
			       len);
			ok[i] = 1;
		}
	}
	free(reqs);
	free(buf);
}

size_t procmem__read_fields(int pid, const uint64_t *addrs, size_t n, size_t off,
			    size_t len, uint8_t *out, uint8_t *ok)
{
	struct fields_range *rg = NULL;
	size_t nrg = 0, caprg = 0, batch = 0, done = 0;

	memset(ok, 0, n);
	for (size_t i = 0; i < n; i++) {
		struct fields_range *last = nrg ? &rg[nrg - 1] : NULL;

		/* in the caller's order: extend while the next object is
		 * just ahead (allgs lists gs mostly in address order) */
		if (last && addrs[i] > addrs[last->last] &&
		    addrs[i] - addrs[last->last] <= FIELDS_GAP + len &&
		    addrs[i] - addrs[last->first] + len <= FIELDS_CHUNK && last->last + 1 == i) {
			batch += addrs[i] - addrs[last->last];
			last->last = i;
		} else {
			if (batch >= FIELDS_BATCH) {
				read_ranges(pid, addrs, off, len, rg, nrg, out, ok);
				nrg = batch = 0;
			}
			if (nrg == caprg) {
				struct fields_range *grown;

				caprg = caprg ? caprg * 2 : 1024;
				grown = realloc(rg, caprg * sizeof(*rg));
				if (!grown)
					break;
				rg = grown;
			}
			rg[nrg++] = (struct fields_range){ i, i };
			batch += len;
		}
	}
	read_ranges(pid, addrs, off, len, rg, nrg, out, ok);
	free(rg);
	for (size_t i = 0; i < n; i++)
		done += ok[i];
	return done;
}
