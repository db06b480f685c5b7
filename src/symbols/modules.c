// SPDX-License-Identifier: MIT
#include "symbols/modules.h"
#include "symbols/cfi.h"
#include "base/hashmap.h"
#include "base/strtab.h"
#include "base/util.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* Module ids share a frame with a 48-bit offset (stacks.h): 16 bits. */
#define MAX_MODULE_ID 0xffffu

struct modules {
	struct strtab *strings;
	struct module **mods;	/* mods[id - 1]; NULL once swept */
	size_t nmods, capmods;
	struct u64map *by_key;	/* hash(dev, ino) or hash(path) -> id */
	uint32_t *free_ids;	/* ids of swept modules, taken first (from
				 * the end of the array: the lowest) */
	size_t nfree, capfree;
	size_t live;
};

struct modules *modules__new(struct strtab *strings)
{
	struct modules *mods = xcalloc(1, sizeof(*mods));

	mods->strings = strings;
	mods->by_key = u64map__new(64);
	return mods;
}

static void module__free(struct module *m)
{
	if (m->elf_tried && !m->elf_err)
		elfinfo__free(&m->elf);
	cfi__free(m->cfi);
	if (m->open_fd >= 0)
		close(m->open_fd);
	free(m);
}

void modules__free(struct modules *mods)
{
	if (!mods)
		return;
	for (size_t i = 0; i < mods->nmods; i++)
		if (mods->mods[i])
			module__free(mods->mods[i]);
	free(mods->mods);
	free(mods->free_ids);
	u64map__free(mods->by_key);
	free(mods);
}

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
 * (m->open_fd, closed with the module) keeps reaching it after the
 * process exits.
 */
static void find_open_path(struct modules *mods, struct module *m, int pid)
{
	char buf[4096 + 64];
	int fd;

	m->open_path = "";
	if (m->is_vdso || m->path[0] != '/')
		return;
	if (same_file(m->path, m->dev, m->ino)) {
		m->open_path = m->path;
		return;
	}
	if (pid <= 0)
		return;
	snprintf(buf, sizeof(buf), "/proc/%d/root%s", pid, m->path);
	if (!same_file(buf, m->dev, m->ino))
		return;
	fd = open(buf, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	m->open_fd = fd;
	snprintf(buf, sizeof(buf), "/proc/self/fd/%d", fd);
	m->open_path = strtab__intern(mods->strings, buf);
}

static uint32_t take_id(struct modules *mods)
{
	if (mods->nfree)
		return mods->free_ids[--mods->nfree];
	if (mods->nmods >= MAX_MODULE_ID)
		return MODULE_NONE;
	grow_array((void **)&mods->mods, &mods->capmods, mods->nmods + 1, sizeof(*mods->mods));
	mods->mods[mods->nmods] = NULL;
	return (uint32_t)++mods->nmods;
}

uint32_t modules__add(struct modules *mods, const char *path, uint64_t dev,
		      uint64_t ino, int pid)
{
	uint64_t key = key_of(path, dev, ino), v;
	struct module *m;
	uint32_t id;

	if (u64map__get(mods->by_key, key, &v))
		return (uint32_t)v;
	id = take_id(mods);
	if (id == MODULE_NONE)
		return MODULE_NONE;
	m = xcalloc(1, sizeof(*m));
	m->id = id;
	m->key = key;
	m->path = strtab__intern(mods->strings, path);
	m->dev = dev;
	m->ino = ino;
	m->open_fd = -1;
	m->is_vdso = strcmp(path, "[vdso]") == 0;
	m->pid = pid;
	find_open_path(mods, m, pid);
	mods->mods[id - 1] = m;
	mods->live++;
	u64map__put(mods->by_key, key, id);
	return id;
}

uint32_t modules__vdso(struct modules *mods)
{
	return modules__add(mods, "[vdso]", 0, 0, 0);
}

uint32_t modules__add_held(struct modules *mods, const char *path)
{
	struct stat st;
	struct module *m;
	uint32_t id;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return MODULE_NONE;
	if (fstat(fd, &st) ||
	    (id = modules__add(mods, path, st.st_dev, st.st_ino, 0)) == MODULE_NONE) {
		close(fd);
		return MODULE_NONE;
	}
	m = modules__get(mods, id);
	if (m->open_fd >= 0) {	/* held already */
		close(fd);
		return id;
	}
	/* opened by its path while that still leads to it: the fd is for
	 * when it no longer does (modules__path) */
	m->open_fd = fd;
	snprintf(m->fd_path, sizeof(m->fd_path), "/proc/self/fd/%d", fd);
	if (!m->open_path[0])
		m->open_path = m->fd_path;
	return id;
}

uint32_t modules__find_readable(struct modules *mods, uint64_t dev, uint64_t ino)
{
	if (!ino)
		return MODULE_NONE;
	for (size_t i = 0; i < mods->nmods; i++) {
		struct module *m = mods->mods[i];

		if (m && m->ino == ino && m->dev == dev && modules__elf(m))
			return m->id;
	}
	return MODULE_NONE;
}

struct module *modules__get(const struct modules *mods, uint32_t id)
{
	return id && id <= mods->nmods ? mods->mods[id - 1] : NULL;
}

uint32_t modules__count(const struct modules *mods)
{
	return (uint32_t)mods->live;
}

size_t modules__bytes(const struct modules *mods)
{
	size_t n = sizeof(*mods) + mods->capmods * sizeof(*mods->mods) +
		   mods->capfree * sizeof(*mods->free_ids) + u64map__bytes(mods->by_key);

	for (size_t i = 0; i < mods->nmods; i++) {
		const struct module *m = mods->mods[i];

		if (!m)
			continue;
		n += sizeof(*m) + cfi__bytes(m->cfi);
		if (m->elf_tried && !m->elf_err)
			n += m->elf.nloads * sizeof(*m->elf.loads);
	}
	return n;
}

/* The file a process maps at dev/ino, through /proc/PID/map_files: held
 * open in m (the file may be gone from every directory), or false. */
static bool reach_through_process(struct module *m)
{
	char path[64], line[4096 + 128], buf[96];
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", m->pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		unsigned long long start, end, inode;
		unsigned major, minor;
		int fd;

		if (sscanf(line, "%llx-%llx %*s %*s %x:%x %llu", &start, &end, &major,
			   &minor, &inode) != 5 || inode != m->ino ||
		    makedev(major, minor) != m->dev)
			continue;
		snprintf(buf, sizeof(buf), "/proc/%d/map_files/%llx-%llx", m->pid, start, end);
		fd = open(buf, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		snprintf(m->fd_path, sizeof(m->fd_path), "/proc/self/fd/%d", fd);
		if (!same_file(m->fd_path, m->dev, m->ino)) {
			close(fd);
			continue;
		}
		if (m->open_fd >= 0)
			close(m->open_fd);
		m->open_fd = fd;
		found = true;
	}
	fclose(f);
	return found;
}

const char *modules__path(struct module *m)
{
	if (!m->open_path[0] || !m->ino || same_file(m->open_path, m->dev, m->ino))
		return m->open_path;
	if (m->open_fd >= 0 && m->fd_path[0] && same_file(m->fd_path, m->dev, m->ino))
		m->open_path = m->fd_path;	/* a file we hold open */
	else
		m->open_path = m->pid > 0 && reach_through_process(m) ? m->fd_path : "";
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

void modules__mark(struct modules *mods, uint32_t id)
{
	struct module *m = modules__get(mods, id);

	if (m)
		m->marked = true;
}

bool modules__marked(const struct modules *mods, uint32_t id)
{
	const struct module *m = modules__get(mods, id);

	return m && m->marked;
}

void modules__mark_strings(const struct modules *mods, struct strtab *strings)
{
	for (size_t i = 0; i < mods->nmods; i++) {
		const struct module *m = mods->mods[i];

		if (m) {
			strtab__mark(strings, m->path);
			strtab__mark(strings, m->open_path);
		}
	}
}

/* After a sweep the registry is made again for what it holds: ids above
 * the highest kept one are not listed as free (ids stay what they are),
 * free ids are taken lowest first, and the index fits the modules kept. */
static void rebuild(struct modules *mods)
{
	size_t top = mods->nmods, cap = 0;

	while (top && !mods->mods[top - 1])
		top--;
	mods->nmods = top;
	mods->capmods = top;
	mods->mods = xrealloc(mods->mods, (top ? top : 1) * sizeof(*mods->mods));
	free(mods->free_ids);
	mods->free_ids = NULL;
	mods->nfree = 0;
	u64map__free(mods->by_key);
	mods->by_key = u64map__new(mods->live);
	for (size_t i = top; i-- > 0;) {
		if (mods->mods[i]) {
			u64map__put(mods->by_key, mods->mods[i]->key, mods->mods[i]->id);
			continue;
		}
		grow_array((void **)&mods->free_ids, &cap, mods->nfree + 1, sizeof(*mods->free_ids));
		mods->free_ids[mods->nfree++] = (uint32_t)i + 1;
	}
	mods->capfree = cap;
}

size_t modules__sweep(struct modules *mods)
{
	size_t freed = 0;

	for (size_t i = 0; i < mods->nmods; i++) {
		struct module *m = mods->mods[i];

		if (!m)
			continue;
		if (m->marked) {
			m->marked = false;
			/* a cache of what every process that ran this code
			 * needed: start again from what is needed now */
			cfi__forget_rules(m->cfi);
			continue;
		}
		mods->mods[i] = NULL;
		module__free(m);
		freed++;
	}
	mods->live -= freed;
	if (freed)
		rebuild(mods);
	return freed;
}
