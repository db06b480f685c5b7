/* SPDX-License-Identifier: MIT */
/*
 * Where a process's executable code is: the executable mappings of one
 * address space, each pointing to a module and the file offset it maps.
 * Filled from /proc/PID/maps while the process is alive, and from events
 * (exec's auxiliary vector, mmap of an executable file) so that a process
 * that exits before the collector catches up can still be symbolized.
 */
#ifndef LS_ADDRSPACE_H
#define LS_ADDRSPACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct as_vma {
	uint64_t start, end, pgoff;
	uint32_t module;
};

struct modules;

struct addrspace {
	struct modules *mods;	/* where the modules of v live */
	struct as_vma *v;	/* sorted by start, disjoint */
	size_t n, cap;
	uint32_t gen;		/* bumped when mappings change meaning */
	uint64_t last_proc_read_ns;
};

void addrspace__init(struct addrspace *as, struct modules *mods);
void addrspace__clear(struct addrspace *as);
/* dst's code map becomes src's (same module registry). */
void addrspace__copy(struct addrspace *dst, const struct addrspace *src);
/* Add a mapping, replacing whatever it overlaps. */
void addrspace__add(struct addrspace *as, uint64_t start, uint64_t end,
		    uint64_t pgoff, uint32_t module);
/* Re-read the executable mappings of /proc/PID/maps: 0 or -errno. */
int addrspace__read_proc(struct addrspace *as, int pid);
/* Rebuild from an exec: the program file (ino/dev known), its
 * interpreter and vDSO, placed where the auxiliary vector says. False
 * when the program's file could not be read (its frames and its loader's
 * stay unplaced until /proc shows them). */
bool addrspace__from_exec(struct addrspace *as, int pid, const char *path,
			  uint64_t dev, uint64_t ino, const uint64_t *auxv,
			  size_t auxv_words);
bool addrspace__resolve(const struct addrspace *as, uint64_t addr,
			uint32_t *module, uint64_t *file_offset);
/* Keep the modules of every mapping through the next sweep. */
void addrspace__mark(const struct addrspace *as);

#endif
