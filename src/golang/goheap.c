// SPDX-License-Identifier: MIT
#include "golang/goheap.h"
#include "base/procmem.h"
#include "base/util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define BUCKET_HEADER 48
#define MEM_PROFILE 1		/* bucketType memProfile */

long goheap__walk(int pid, uint64_t mbuckets_var, goheap_fn fn, void *ctx,
		  size_t max_buckets)
{
	struct goheap_bucket *b = xmalloc(sizeof(*b));
	uint64_t addr, hdr[6], rec[16];	/* active, future[3] */
	long n = 0;
	int err;

	err = procmem__read_u64(pid, mbuckets_var, &addr);
	while (!err && addr) {
		if ((size_t)n >= max_buckets) {
			err = -ELOOP;
			break;
		}
		err = procmem__read(pid, addr, hdr, sizeof(hdr));
		if (err)
			break;
		/* hdr: next, allnext, typ, hash, size, nstk */
		if (hdr[2] != MEM_PROFILE || hdr[5] > GOHEAP_MAX_STACK) {
			err = -EINVAL;	/* not a memory bucket: wrong address */
			break;
		}
		b->addr = addr;
		b->size = hdr[4];
		b->nstk = (uint32_t)hdr[5];
		err = procmem__read(pid, addr + BUCKET_HEADER, b->pcs, 8 * b->nstk);
		if (!err)
			err = procmem__read(pid, addr + BUCKET_HEADER + 8 * b->nstk, rec,
					    sizeof(rec));
		if (err)
			break;
		b->allocs = rec[0];
		b->frees = rec[1];
		b->alloc_bytes = rec[2];
		b->free_bytes = rec[3];
		for (int i = 0; i < 4; i++)
			b->pending[i] = rec[4 + i] + rec[8 + i] + rec[12 + i];
		fn(ctx, b);
		n++;
		addr = hdr[1];	/* allnext */
	}
	free(b);
	return err ? err : n;
}
