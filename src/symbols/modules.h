/* SPDX-License-Identifier: MIT */
/*
 * The registry of executable files (modules) seen in any traced process.
 * A module is identified by device and inode when known, else by path,
 * so the same library in many processes is parsed and symbolized once.
 * Each module keeps a path leakscope can still open after the process
 * that mapped it is gone (or after it left a container's mount tree).
 *
 * The registry belongs to the collector's tables (tables.h). Modules no
 * address space and no stack refers to any more are freed by a sweep,
 * with what they hold open (ELF headers, unwind tables, a file
 * descriptor); their ids go to later modules.
 */
#ifndef LS_MODULES_H
#define LS_MODULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "base/elfinfo.h"

#define MODULE_NONE 0

struct strtab;

struct module {
	uint32_t id;
	const char *path;	/* in the tables' strings; as the target names it */
	const char *open_path;	/* in the tables' strings; what we open, "" if none */
	int open_fd;		/* held open for open_path ("/proc/self/fd/N"), or -1 */
	uint64_t dev, ino;	/* userspace st_dev encoding; 0 if unknown */
	uint64_t key;		/* in the registry's index */
	int pid;		/* a process that mapped it (to reach it again) */
	char fd_path[32];	/* open_path once reached through map_files,
				 * or of a file held open (modules__add_held) */
	bool is_vdso;
	bool elf_tried;
	int elf_err;
	struct elf_info elf;	/* valid when elf_tried && !elf_err */
	bool cfi_tried;
	struct cfi *cfi;	/* unwind tables, NULL if none */
	bool marked;
};

struct modules;

/* strings: where module paths are kept (the same tables' strings). */
struct modules *modules__new(struct strtab *strings);
void modules__free(struct modules *mods);
/* Find or register a module. pid (or 0) is where the path is valid: used
 * to reach files inside the process's root. MODULE_NONE when every id a
 * frame can hold (16 bits) is taken. */
uint32_t modules__add(struct modules *mods, const char *path, uint64_t dev,
		      uint64_t ino, int pid);
uint32_t modules__vdso(struct modules *mods);
/* Register a file by a path we can open now (the command leakscope is
 * about to launch) and hold it open: its exec is placed from it even if,
 * by the time the exec record is read, the process is gone and the path
 * it ran by no longer leads to it (relative, renamed, replaced). */
uint32_t modules__add_held(struct modules *mods, const char *path);
/* A module of the file at dev/ino whose ELF headers we can read (held
 * open, or reached earlier), or MODULE_NONE. */
uint32_t modules__find_readable(struct modules *mods, uint64_t dev, uint64_t ino);
/* NULL for MODULE_NONE and for the id of a module that was swept. */
struct module *modules__get(const struct modules *mods, uint32_t id);
uint32_t modules__count(const struct modules *mods);
size_t modules__bytes(const struct modules *mods);
/* A path to open the module's file by, checked to still be that file
 * (a deploy may have renamed a new binary over it): else reached again
 * through a process that maps it, else "" (its frames stay unnamed rather
 * than named from another file). */
const char *modules__path(struct module *m);
/* Headers of the module's ELF file, parsed once; NULL if unreadable. */
const struct elf_info *modules__elf(struct module *m);
/* Unwind tables of the module, parsed once; NULL if it has none. */
struct cfi *modules__cfi(struct module *m);
/* Kernel dev_t (major<<20 | minor) to the userspace encoding. */
uint64_t modules__kdev_to_dev(uint32_t kdev);

/* Mark and sweep: keep module id through the next sweep. */
void modules__mark(struct modules *mods, uint32_t id);
bool modules__marked(const struct modules *mods, uint32_t id);
/* Mark the paths of every module in the strings (before their sweep). */
void modules__mark_strings(const struct modules *mods, struct strtab *strings);
/* Free the modules not marked since the last sweep, clear the marks and
 * the unwind-rule caches of the others; returns how many were freed. */
size_t modules__sweep(struct modules *mods);

#endif
