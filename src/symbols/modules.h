/* SPDX-License-Identifier: MIT */
/*
 * The registry of executable files (modules) seen in any traced process.
 * A module is identified by device and inode when known, else by path,
 * so the same library in many processes is parsed and symbolized once.
 * Each module keeps a path leakscope can still open after the process
 * that mapped it is gone (or after it left a container's mount tree).
 */
#ifndef LS_MODULES_H
#define LS_MODULES_H

#include <stdbool.h>
#include <stdint.h>
#include "base/elfinfo.h"

#define MODULE_NONE 0

struct module {
	uint32_t id;
	const char *path;	/* interned; as the target names it */
	const char *open_path;	/* interned; what we open, "" if none */
	uint64_t dev, ino;	/* userspace st_dev encoding; 0 if unknown */
	int pid;		/* a process that mapped it (to reach it again) */
	bool is_vdso;
	bool elf_tried;
	int elf_err;
	struct elf_info elf;	/* valid when elf_tried && !elf_err */
	void *sym;		/* symbolize.c's state for this module */
	bool cfi_tried;
	struct cfi *cfi;	/* unwind tables, NULL if none */
};

/* Find or register a module. pid (or 0) is where the path is valid: used
 * to reach files inside the process's root. */
uint32_t modules__add(const char *path, uint64_t dev, uint64_t ino, int pid);
uint32_t modules__vdso(void);
struct module *modules__get(uint32_t id);
uint32_t modules__count(void);
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

#endif
