/* SPDX-License-Identifier: MIT */
/*
 * What leakscope needs from an ELF file's headers: its loadable segments
 * (to turn file offsets and runtime addresses into link-time addresses),
 * its interpreter, build id, and where the program headers sit (to find
 * the load bias from the auxiliary vector).
 */
#ifndef LS_ELFINFO_H
#define LS_ELFINFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct elf_segment {
	uint64_t vaddr, offset, filesz, memsz, align;
	uint32_t flags;		/* PF_X | PF_W | PF_R */
};

struct elf_info {
	uint16_t type;		/* ET_EXEC, ET_DYN */
	uint64_t phoff;		/* file offset of the program headers */
	uint64_t phdr_vaddr;	/* PT_PHDR's vaddr, or derived from a LOAD */
	bool has_phdr_vaddr;
	struct elf_segment *loads;
	size_t nloads;
	char interp[256];	/* PT_INTERP, "" if none */
	char build_id[41];	/* hex of NT_GNU_BUILD_ID, "" if none */
	uint64_t tls_memsz, tls_align;	/* PT_TLS, 0 if none */
};

/* 0, or -errno with *why set to a reason: -ENOEXEC when the file is not
 * ELF at all, -EINVAL when its headers are truncated or unreadable. */
int elfinfo__read(const char *path, struct elf_info *out, const char **why);
int elfinfo__read_fd(int fd, struct elf_info *out, const char **why);
void elfinfo__free(struct elf_info *info);
/* Link-time address of a file offset inside a loadable segment. */
bool elfinfo__offset_to_vaddr(const struct elf_info *info, uint64_t off,
			      uint64_t *vaddr);
/* File offset of a link-time address (uprobes attach by file offset). */
bool elfinfo__vaddr_to_offset(const struct elf_info *info, uint64_t vaddr,
			      uint64_t *off);

#endif
