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

const struct elf_info *modules__elf(struct module *m)
{
	const char *why = NULL;

	if (!m->elf_tried) {
		m->elf_tried = true;
		m->elf_err = m->open_path[0] ?
			elfinfo__read(m->open_path, &m->elf, &why) : -1;
	}
	return m->elf_err ? NULL : &m->elf;
}

struct cfi *modules__cfi(struct module *m)
{
	const char *why;

	if (!m->cfi_tried) {
		m->cfi_tried = true;
		if (m->open_path[0])
			m->cfi = cfi__open(m->open_path, &why);
	}
	return m->cfi;
}
