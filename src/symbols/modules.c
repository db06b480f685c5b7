// SPDX-License-Identifier: MIT
#include "symbols/modules.h"
#include "symbols/cfi.h"
#include "base/hashmap.h"
#include "base/intern.h"
#include "base/util.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static struct module **mods;	/* mods[id - 1] */
static size_t nmods, capmods;
static struct u64map *by_key;	/* hash(dev, ino) or hash(path) -> id */

uint64_t modules__kdev_to_dev(uint32_t kdev)
{
	return makedev(kdev >> 20, kdev & ((1U << 20) - 1));
}

static uint64_t key_of(const char *path, uint64_t dev, uint64_t ino)
{
	uint64_t k;

	if (ino) {
		uint64_t pair[2] = { dev, ino };

		k = hash_bytes(pair, sizeof(pair), 1);
	} else {
		k = hash_bytes(path, strlen(path), 2);
	}
	return k == U64MAP_EMPTY ? k - 1 : k;
}

static bool same_file(const char *p, uint64_t dev, uint64_t ino)
{
	struct stat st;

	return stat(p, &st) == 0 && (!ino || (st.st_ino == ino && st.st_dev == dev));
}

/*
 * A path we can open for this module. The target's own path works unless
 * the target lives in another mount namespace or the file was replaced;
 * then its root (/proc/PID/root) still reaches it, and an fd we keep open
 * keeps reaching it after the process exits.
 */
static const char *find_open_path(const char *path, uint64_t dev,
				   uint64_t ino, int pid)
{
	char buf[4096 + 64];
	int fd;

	if (path[0] != '/')
		return "";
	if (same_file(path, dev, ino))
		return path;
	if (pid <= 0)
		return "";
	snprintf(buf, sizeof(buf), "/proc/%d/root%s", pid, path);
	if (!same_file(buf, dev, ino))
		return "";
	fd = open(buf, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return "";
	snprintf(buf, sizeof(buf), "/proc/self/fd/%d", fd);
	return intern(buf);
}

uint32_t modules__add(const char *path, uint64_t dev, uint64_t ino, int pid)
{
	uint64_t key = key_of(path, dev, ino), v;
	struct module *m;

	if (!by_key)
		by_key = u64map__new(64);
	if (u64map__get(by_key, key, &v))
		return (uint32_t)v;
	m = xcalloc(1, sizeof(*m));
	m->id = (uint32_t)nmods + 1;
	m->path = intern(path);
	m->dev = dev;
	m->ino = ino;
	m->is_vdso = strcmp(path, "[vdso]") == 0;
	m->pid = pid;
	m->open_path = m->is_vdso ? "" : intern(find_open_path(path, dev, ino, pid));
	grow_array((void **)&mods, &capmods, nmods + 1, sizeof(*mods));
	mods[nmods++] = m;
	u64map__put(by_key, key, m->id);
	return m->id;
}

uint32_t modules__vdso(void)
{
	return modules__add("[vdso]", 0, 0, 0);
}

struct module *modules__get(uint32_t id)
{
	return id && id <= nmods ? mods[id - 1] : NULL;
}

uint32_t modules__count(void)
{
	return (uint32_t)nmods;
}

/* The file a process maps at dev/ino, through /proc/PID/map_files: an
 * fd to it (kept: the file may be gone from every directory), or "". */
static const char *reach_through_process(int pid, uint64_t dev, uint64_t ino)
{
	char path[64], line[4096 + 128], buf[96];
	const char *found = "";
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "re");
	if (!f)
		return "";
	while (fgets(line, sizeof(line), f)) {
		unsigned long long start, end, inode;
		unsigned major, minor;
		int fd;

		if (sscanf(line, "%llx-%llx %*s %*s %x:%x %llu", &start, &end, &major,
			   &minor, &inode) != 5 || inode != ino ||
		    makedev(major, minor) != dev)
			continue;
		snprintf(buf, sizeof(buf), "/proc/%d/map_files/%llx-%llx", pid, start, end);
		fd = open(buf, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		snprintf(buf, sizeof(buf), "/proc/self/fd/%d", fd);
		if (same_file(buf, dev, ino)) {
			found = intern(buf);
			break;
		}
		close(fd);
	}
	fclose(f);
	return found;
}

const char *modules__path(struct module *m)
{
	if (!m->open_path[0] || !m->ino || same_file(m->open_path, m->dev, m->ino))
		return m->open_path;
	m->open_path = m->pid > 0 ? reach_through_process(m->pid, m->dev, m->ino) : "";
	return m->open_path;
}

const struct elf_info *modules__elf(struct module *m)
{
	const char *why = NULL;

	if (!m->elf_tried) {
		m->elf_tried = true;
		m->elf_err = modules__path(m)[0] ?
			elfinfo__read(m->open_path, &m->elf, &why) : -1;
	}
	return m->elf_err ? NULL : &m->elf;
}

struct cfi *modules__cfi(struct module *m)
{
	const char *why;

	if (!m->cfi_tried) {
		m->cfi_tried = true;
		if (modules__path(m)[0])
			m->cfi = cfi__open(m->open_path, &why);
	}
	return m->cfi;
}
