// SPDX-License-Identifier: MIT
#include "ledgers/fdtable.h"
#include "base/util.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *const kind_names[FD_KIND_MAX] = {
	[FD_UNKNOWN] = "unknown",	[FD_FILE] = "file",
	[FD_DIR] = "directory",		[FD_SOCKET] = "socket",
	[FD_PIPE] = "pipe",		[FD_FIFO] = "fifo",
	[FD_CHARDEV] = "chardev",	[FD_BLOCKDEV] = "blockdev",
	[FD_EVENTFD] = "eventfd",	[FD_EPOLL] = "epoll",
	[FD_TIMERFD] = "timerfd",	[FD_SIGNALFD] = "signalfd",
	[FD_INOTIFY] = "inotify",	[FD_FANOTIFY] = "fanotify",
	[FD_MEMFD] = "memfd",		[FD_SECRETMEM] = "secretmem",
	[FD_PIDFD] = "pidfd",		[FD_USERFAULTFD] = "userfaultfd",
	[FD_PERF_EVENT] = "perf_event",	[FD_IO_URING] = "io_uring",
	[FD_MOUNT_API] = "mount_api",
};

const char *fd_kind_name(enum fd_kind k)
{
	return k < FD_KIND_MAX && kind_names[k] ? kind_names[k] : "unknown";
}

enum fd_kind fd_kind_from_mode(uint32_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG: return FD_FILE;
	case S_IFDIR: return FD_DIR;
	case S_IFSOCK: return FD_SOCKET;
	case S_IFIFO: return FD_FIFO;
	case S_IFCHR: return FD_CHARDEV;
	case S_IFBLK: return FD_BLOCKDEV;
	default: return FD_UNKNOWN;
	}
}

enum fd_kind fd_kind_from_link(const char *link, uint32_t mode)
{
	static const struct { const char *prefix; enum fd_kind kind; } map[] = {
		{ "socket:", FD_SOCKET },
		{ "pipe:", FD_PIPE },
		{ "anon_inode:[eventfd]", FD_EVENTFD },
		{ "anon_inode:[eventpoll]", FD_EPOLL },
		{ "anon_inode:[timerfd]", FD_TIMERFD },
		{ "anon_inode:[signalfd]", FD_SIGNALFD },
		{ "anon_inode:inotify", FD_INOTIFY },
		{ "anon_inode:[fanotify]", FD_FANOTIFY },
		{ "anon_inode:[pidfd]", FD_PIDFD },
		{ "anon_inode:[userfaultfd]", FD_USERFAULTFD },
		{ "anon_inode:[perf_event]", FD_PERF_EVENT },
		{ "anon_inode:[io_uring]", FD_IO_URING },
		{ "anon_inode:[fscontext]", FD_MOUNT_API },
		{ "/memfd:", FD_MEMFD },
		{ "/secretmem", FD_SECRETMEM },
		{ "pidfd:", FD_PIDFD },
	};

	for (size_t i = 0; link && i < ARRAY_SIZE(map); i++)
		if (strncmp(link, map[i].prefix, strlen(map[i].prefix)) == 0)
			return map[i].kind;
	return fd_kind_from_mode(mode);
}

void fdtable__init(struct fdtable *t)
{
	memset(t, 0, sizeof(*t));
}

void fdtable__clear(struct fdtable *t)
{
	for (size_t i = 0; i < t->cap; i++)
		free(t->fds[i]);
	free(t->fds);
	fdtable__init(t);
}

struct fd_item *fdtable__open(struct fdtable *t, int fd, enum fd_kind kind,
			      const char *path, uint32_t stack,
			      uint64_t ts_ns)
{
	struct fd_item *it;

	if (fd < 0)
		return NULL;
	if ((size_t)fd >= t->cap) {
		size_t old = t->cap;

		grow_array((void **)&t->fds, &t->cap, (size_t)fd + 1,
			   sizeof(*t->fds));
		memset(t->fds + old, 0, (t->cap - old) * sizeof(*t->fds));
	}
	it = t->fds[fd];
	if (!it) {
		it = xmalloc(sizeof(*it));
		t->fds[fd] = it;
		t->count++;
	}
	it->birth_ns = ts_ns;
	it->path = path;
	it->stack = stack;
	it->kind = kind;
	it->preexisting = 0;
	return it;
}

const struct fd_item *fdtable__get(const struct fdtable *t, int fd)
{
	return fd >= 0 && (size_t)fd < t->cap ? t->fds[fd] : NULL;
}

int fdtable__close(struct fdtable *t, int fd)
{
	if (fd < 0 || (size_t)fd >= t->cap || !t->fds[fd])
		return 0;
	free(t->fds[fd]);
	t->fds[fd] = NULL;
	t->count--;
	return 1;
}

size_t fdtable__close_range(struct fdtable *t, unsigned first, unsigned last)
{
	size_t n = 0;

	for (size_t fd = first; fd <= last && fd < t->cap; fd++)
		n += fdtable__close(t, (int)fd);
	return n;
}

void fdtable__copy(struct fdtable *dst, const struct fdtable *src)
{
	fdtable__clear(dst);
	for (size_t fd = 0; fd < src->cap; fd++) {
		const struct fd_item *s = src->fds[fd];

		if (s)
			*fdtable__open(dst, (int)fd, s->kind, s->path,
				       s->stack, s->birth_ns) = *s;
	}
}
