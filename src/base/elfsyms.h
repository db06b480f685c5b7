/* SPDX-License-Identifier: MIT */
/*
 * An ELF file's function symbols and code, for placing probes on named
 * functions of any binary (a shared library or a static executable):
 * defined functions from .dynsym and .symtab, the bytes at a link-time
 * address, and where a PLT stub leads (the symbol of its GOT slot), so a
 * function that only jumps through the PLT can be followed.
 */
#ifndef LS_ELFSYMS_H
#define LS_ELFSYMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct elfsyms;

struct elf_func {
	const char *name;	/* valid while the elfsyms is open */
	uint64_t vaddr, size;	/* link-time */
	bool dynamic;		/* from .dynsym (exported) */
};

/* NULL with *why set ("not an ELF file", "cannot open: ..."). */
struct elfsyms *elfsyms__open(const char *path, const char **why);
void elfsyms__free(struct elfsyms *s);
/* Every defined function symbol, .dynsym first; stops when fn returns
 * non-zero and returns that. */
int elfsyms__each_func(const struct elfsyms *s,
		       int (*fn)(void *ctx, const struct elf_func *f), void *ctx);
/* Defined function by exact name: 0 or -ENOENT. */
int elfsyms__func(const struct elfsyms *s, const char *name, struct elf_func *out);
/* The defined function starting at vaddr: 0 or -ENOENT; _nth_at: its
 * n-th name there (aliases), n from 0. */
int elfsyms__func_at(const struct elfsyms *s, uint64_t vaddr, struct elf_func *out);
int elfsyms__func_nth_at(const struct elfsyms *s, uint64_t vaddr, size_t n,
			 struct elf_func *out);
/* Is vaddr in a PLT section (.plt, .plt.sec, .plt.got)? */
bool elfsyms__in_plt(const struct elfsyms *s, uint64_t vaddr);
/* The symbol a GOT slot is relocated to (the name a PLT stub jumping
 * through it calls), or NULL. */
const char *elfsyms__got_symbol(const struct elfsyms *s, uint64_t got_vaddr);
/* Bytes of the file at a link-time address (inside a PT_LOAD); returns
 * how many were read, 0 if none. */
size_t elfsyms__read(const struct elfsyms *s, uint64_t vaddr, void *buf, size_t len);
/* File offset of a link-time address (what uprobes attach to). */
bool elfsyms__file_offset(const struct elfsyms *s, uint64_t vaddr, uint64_t *off);

#endif
