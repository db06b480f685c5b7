/* SPDX-License-Identifier: MIT */
/*
 * Reading another process's memory (process_vm_readv), never writing it.
 * Used for what the Go runtime keeps about itself: goroutine states,
 * the heap profile's buckets, the list of all goroutines.
 */
#ifndef LS_PROCMEM_H
#define LS_PROCMEM_H

#include <stddef.h>
#include <stdint.h>

/* 0, or -errno (-ESRCH gone, -EFAULT not mapped). Partial reads fail. */
int procmem__read(int pid, uint64_t addr, void *buf, size_t len);
int procmem__read_u64(int pid, uint64_t addr, uint64_t *out);

struct procmem_req {
	uint64_t addr;
	void *buf;
	size_t len;
	int ok;			/* set: 1 if read in full */
};
/* Many small reads in few syscalls. Returns how many succeeded. */
size_t procmem__read_many(int pid, struct procmem_req *reqs, size_t n);

/*
 * The same field (len bytes at off) of n objects at addrs[i], into
 * out + i * len; ok[i] says whether it was read. Objects close together
 * in memory (the next one starts within a few KiB, as the Go runtime's
 * g structs do in its spans) are read as one range: the kernel's cost is
 * per iovec far more than per byte. Returns how many were read.
 */
size_t procmem__read_fields(int pid, const uint64_t *addrs, size_t n, size_t off,
			    size_t len, uint8_t *out, uint8_t *ok);

#endif
