// SPDX-License-Identifier: MIT
#include "trace/preexisting.h"
#include "ledgers/fdtable.h"
#include "base/hashmap.h"
#include "ledgers/process.h"
#include "base/procmaps.h"
#include "base/strtab.h"
#include "symbols/tables.h"
#include "base/util.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const tcp_states[] = {
	"", "established", "syn-sent", "syn-recv", "fin-wait1", "fin-wait2",
	"time-wait", "close", "close-wait", "last-ack", "listen", "closing",
};

/* "0100007F:1F90" (little-endian IPv4) or 32 hex digits (IPv6). */
static void format_endpoint(const char *hex, char *out, size_t size)
{
	char addr[64] = "?";
	unsigned port = 0;
	const char *colon = strchr(hex, ':');
	size_t len = colon ? (size_t)(colon - hex) : 0;

	if (colon)
		port = (unsigned)strtoul(colon + 1, NULL, 16);
	if (len == 8) {
		struct in_addr a = { (in_addr_t)strtoul(hex, NULL, 16) };

		inet_ntop(AF_INET, &a, addr, sizeof(addr));
		snprintf(out, size, "%s:%u", addr, port);
	} else if (len == 32) {
		struct in6_addr a;

		for (int w = 0; w < 4; w++) {
			char word[9];
			uint32_t v;

			memcpy(word, hex + 8 * w, 8);
			word[8] = 0;
			v = (uint32_t)strtoul(word, NULL, 16);
			memcpy(&a.s6_addr[4 * w], &v, 4);	/* kernel order */
		}
		inet_ntop(AF_INET6, &a, addr, sizeof(addr));
		snprintf(out, size, "[%s]:%u", addr, port);
	} else {
		snprintf(out, size, "%s", hex);
	}
}

/* Descriptions are copies the map owns (preexisting__socket_names_free):
 * a netns may hold thousands of sockets, and only the process's own are
 * kept. */
static void put_name(struct u64map *names, uint64_t inode, const char *desc)
{
	uint64_t old;

	if (inode == U64MAP_EMPTY)	/* a number the map cannot hold */
		return;
	if (u64map__get(names, inode, &old))
		free((char *)(uintptr_t)old);
	u64map__put(names, inode, (uint64_t)(uintptr_t)xstrdup(desc));
}

void preexisting__socket_names_free(struct u64map *names)
{
	uint64_t v;
	size_t it = 0;

	while (u64map__next(names, &it, NULL, &v))
		free((char *)(uintptr_t)v);
	u64map__free(names);
}

/* The next line of text into buf (cut to its size), advancing *p;
 * false at the end. */
static bool next_line(const char **p, char *buf, size_t size)
{
	const char *nl;
	size_t len;

	if (!**p)
		return false;
	nl = strchr(*p, '\n');
	len = nl ? (size_t)(nl - *p) : strlen(*p);
	snprintf(buf, size, "%.*s", (int)MIN(len, size - 1), *p);
	*p += len + (nl ? 1 : 0);
	return true;
}

void preexisting__parse_listening(const char *text, struct u64map *ports)
{
	char line[512];
	const char *p = text;

	while (next_line(&p, line, sizeof(line))) {
		char local[64];
		unsigned st;
		const char *colon;

		if (sscanf(line, "%*s %63s %*s %x", local, &st) == 2 && st == 10 &&
		    (colon = strchr(local, ':')))
			u64map__put(ports, strtoul(colon + 1, NULL, 16) + 1, 1);
	}
}

/*
 * inode -> description, for the inet tables of /proc/PID/net. What a
 * process held before attach is grouped by these descriptions, so a
 * connection is described by what it is for, not by its own ports: the
 * listening endpoint that accepted it, or the remote endpoint it reaches.
 *   tcp 0.0.0.0:6379 (listening)
 *   tcp 127.0.0.1:6379 accepted (established)
 *   tcp -> 10.0.0.5:5432 (established)
 */
void preexisting__parse_inet(const char *proto, const char *text,
			     const struct u64map *listening, struct u64map *names)
{
	char line[512];
	const char *p = text;

	if (!next_line(&p, line, sizeof(line)))	/* header */
		return;
	while (next_line(&p, line, sizeof(line))) {
		char local[64], remote[64], l[80], r[80], desc[256];
		const char *state;
		unsigned st;
		unsigned long inode;
		uint64_t v;

		if (sscanf(line, "%*s %63s %63s %x %*s %*s %*s %*s %*s %lu",
			   local, remote, &st, &inode) != 4 || !inode)
			continue;
		format_endpoint(local, l, sizeof(l));
		format_endpoint(remote, r, sizeof(r));
		state = st < ARRAY_SIZE(tcp_states) ? tcp_states[st] : "?";
		if (st == 10)	/* TCP_LISTEN */
			snprintf(desc, sizeof(desc), "%s %s (listening)", proto, l);
		else if (!strncmp(proto, "udp", 3))
			snprintf(desc, sizeof(desc), "%s %s", proto, l);
		else if (strchr(local, ':') &&
			 u64map__get(listening, strtoul(strchr(local, ':') + 1, NULL, 16) + 1, &v))
			snprintf(desc, sizeof(desc), "%s %s accepted (%s)", proto, l, state);
		else
			snprintf(desc, sizeof(desc), "%s -> %s (%s)", proto, r, state);
		put_name(names, inode, desc);
	}
}

/* /proc/PID/net/unix: "Num RefCount Protocol Flags Type St Inode Path". */
void preexisting__parse_unix(const char *text, struct u64map *names)
{
	char line[PATH_MAX + 128];
	const char *p = text;

	if (!next_line(&p, line, sizeof(line)))
		return;
	while (next_line(&p, line, sizeof(line))) {
		unsigned long inode;
		char name[PATH_MAX] = "", desc[PATH_MAX + 16];
		int n = sscanf(line, "%*s %*s %*s %*s %*s %*s %lu %4095s", &inode, name);

		if (n < 1 || !inode)
			continue;
		snprintf(desc, sizeof(desc), "unix %s", name[0] ? name : "(unnamed)");
		put_name(names, inode, desc);
	}
}

static char *net_table(int pid, const char *proto)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/net/%s", pid, proto);
	return read_file(path, NULL);
}

static struct u64map *socket_names(int pid)
{
	static const char *const inet[] = { "tcp", "tcp6", "udp", "udp6" };
	struct u64map *names = u64map__new(64), *listening = u64map__new(16);
	char *texts[4], *unix_text;

	for (int i = 0; i < 4; i++) {
		texts[i] = net_table(pid, inet[i]);
		if (texts[i] && i < 2)
			preexisting__parse_listening(texts[i], listening);
	}
	for (int i = 0; i < 4; i++) {
		if (texts[i])
			preexisting__parse_inet(inet[i], texts[i], listening, names);
		free(texts[i]);
	}
	unix_text = net_table(pid, "unix");
	if (unix_text)
		preexisting__parse_unix(unix_text, names);
	free(unix_text);
	u64map__free(listening);
	return names;
}

bool preexisting__socket_name(int pid, uint64_t inode, char *buf, size_t size)
{
	struct u64map *names = socket_names(pid);
	uint64_t v = 0;
	bool found = u64map__get(names, inode, &v);

	if (found)
		snprintf(buf, size, "%s", (const char *)(uintptr_t)v);
	preexisting__socket_names_free(names);
	return found;
}

static uint32_t fd_mode(int pid, int fd)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d/fd/%d", pid, fd);
	return stat(path, &st) == 0 ? st.st_mode : 0;
}

int preexisting__scan_fds(struct process *p, uint64_t now_ns, uint64_t *count)
{
	struct strtab *strings = p->tables->strings;
	struct u64map *sockets = NULL;
	char dir[64], link[80], target[PATH_MAX];
	struct dirent *d;
	DIR *dp;

	snprintf(dir, sizeof(dir), "/proc/%d/fd", p->pid);
	dp = opendir(dir);
	if (!dp)
		return -errno;
	while ((d = readdir(dp))) {
		unsigned long long inode;
		const char *path = NULL;
		struct fd_item *it;
		enum fd_kind kind;
		ssize_t n;
		int fd;

		if (d->d_name[0] < '0' || d->d_name[0] > '9')
			continue;
		fd = atoi(d->d_name);
		if (fdtable__get(&p->fds, fd))
			continue;	/* already seen created since attach */
		snprintf(link, sizeof(link), "%s/%d", dir, fd);
		n = readlink(link, target, sizeof(target) - 1);
		if (n <= 0)
			continue;	/* closed meanwhile */
		target[n] = '\0';
		kind = fd_kind_from_link(target, fd_mode(p->pid, fd));
		if (kind == FD_SOCKET && sscanf(target, "socket:[%llu]", &inode) == 1) {
			uint64_t v;

			if (!sockets)
				sockets = socket_names(p->pid);
			path = strtab__intern(strings, u64map__get(sockets, inode, &v) ?
							(const char *)(uintptr_t)v : target);
		} else if (kind == FD_FILE || kind == FD_DIR || kind == FD_CHARDEV ||
			   kind == FD_BLOCKDEV || kind == FD_FIFO || kind == FD_MEMFD) {
			path = strtab__intern(strings, target);
		}
		it = fdtable__open(&p->fds, fd, kind, path, 0, now_ns);
		if (it)
			it->preexisting = 1;
		(*count)++;
	}
	closedir(dp);
	if (sockets)
		preexisting__socket_names_free(sockets);
	return 0;
}

static bool is_kernel_area(const char *path)
{
	return !strcmp(path, "[vvar]") || !strcmp(path, "[vdso]") ||
	       !strcmp(path, "[vsyscall]") || !strcmp(path, "[vvar_vclock]");
}

static int scan_maps(struct process *p, uint64_t now_ns,
		     struct preexisting_counts *c)
{
	struct procmap *maps;
	size_t n;
	int err = procmaps__read(p->pid, &maps, &n);

	if (err)
		return err;
	for (size_t i = 0; i < n; i++) {
		const struct procmap *m = &maps[i];
		uint64_t len = m->end - m->start;

		if (is_kernel_area(m->path))
			continue;
		if (!strcmp(m->path, "[heap]")) {
			/* The heap so far, as one growth of unknown origin. */
			struct brk_segment *s;

			grow_array((void **)&p->brk.segs, &p->brk.cap, p->brk.n + 1,
				   sizeof(*s));
			memmove(p->brk.segs + 1, p->brk.segs, p->brk.n * sizeof(*s));
			s = &p->brk.segs[0];
			*s = (struct brk_segment){ m->start, m->end, now_ns, 0, 1 };
			p->brk.n++;
			p->brk.bytes += len;
			if (p->brk.top < m->end)
				p->brk.top = m->end;
			c->heap_bytes += len;
			continue;
		}
		mappings__adopt(&p->maps, m->start, len, now_ns,
				m->inode ? MAPPING_FILE : 0,
				strtab__intern(p->tables->strings,
					       m->path[0] ? m->path : "[anonymous]"));
		c->mappings++;
		c->mapped_bytes += len;
	}
	procmaps__free(maps, n);
	return 0;
}

int preexisting__scan(struct process *p, uint64_t now_ns,
		      struct preexisting_counts *out)
{
	struct preexisting_counts c = { 0 };
	int err = preexisting__scan_fds(p, now_ns, &c.fds);

	if (!err)
		err = scan_maps(p, now_ns, &c);
	if (out)
		*out = c;
	return err;
}
