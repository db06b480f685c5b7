/* SPDX-License-Identifier: MIT */
/*
 * The fd ledger of one process: for every open fd we saw created, what
 * it is, the path for files, the stack that created it and when. Indexed
 * directly by fd number (fds are small and dense).
 */
#ifndef LS_FDTABLE_H
#define LS_FDTABLE_H

#include <stddef.h>
#include <stdint.h>

enum fd_kind {
	FD_UNKNOWN = 0,
	FD_FILE,
	FD_DIR,
	FD_SOCKET,
	FD_PIPE,
	FD_FIFO,
	FD_CHARDEV,
	FD_BLOCKDEV,
	FD_EVENTFD,
	FD_EPOLL,
	FD_TIMERFD,
	FD_SIGNALFD,
	FD_INOTIFY,
	FD_FANOTIFY,
	FD_MEMFD,
	FD_SECRETMEM,
	FD_PIDFD,
	FD_USERFAULTFD,
	FD_PERF_EVENT,
	FD_IO_URING,
	FD_MOUNT_API,
	FD_KIND_MAX,
};

const char *fd_kind_name(enum fd_kind k);
/* Kind from an st_mode / i_mode file type, FD_UNKNOWN if it says nothing. */
enum fd_kind fd_kind_from_mode(uint32_t mode);
/* Kind from a /proc/PID/fd link: "socket:[1]", "anon_inode:[eventfd]"... */
enum fd_kind fd_kind_from_link(const char *link, uint32_t mode);

struct fd_item {
	uint64_t birth_ns;
	const char *path;	/* in the tables' strings; files, memfd names, or NULL */
	uint32_t stack;
	uint8_t kind;		/* enum fd_kind */
	uint8_t preexisting;	/* open at attach, creator unknown */
};

struct fdtable {
	struct fd_item **fds;	/* fds[n] is NULL when n is not tracked */
	size_t cap;
	size_t count;
};

void fdtable__init(struct fdtable *t);
void fdtable__clear(struct fdtable *t);
/* Record a new fd; an fd already there was closed without our seeing it
 * (lost event) and is replaced. Returns the new item. */
struct fd_item *fdtable__open(struct fdtable *t, int fd, enum fd_kind kind,
			      const char *path, uint32_t stack,
			      uint64_t ts_ns);
const struct fd_item *fdtable__get(const struct fdtable *t, int fd);
/* 1 if the fd was tracked and is now released, 0 if it was unknown. */
int fdtable__close(struct fdtable *t, int fd);
/* close_range(first, last): returns how many tracked fds it released. */
size_t fdtable__close_range(struct fdtable *t, unsigned first, unsigned last);
void fdtable__copy(struct fdtable *dst, const struct fdtable *src);

#endif
