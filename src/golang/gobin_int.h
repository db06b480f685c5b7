/* SPDX-License-Identifier: MIT */
/* What gobin.c, gobuildinfo.c and goruntime.c share; not for other users. */
#ifndef LS_GOBIN_INT_H
#define LS_GOBIN_INT_H

#include "base/elfinfo.h"
#include "golang/gobin.h"
#include "golang/gopclntab.h"

#include <capstone/capstone.h>
#include <elf.h>
#include <libelf.h>

/* Word indexes into runtime.moduledata, the same from 1.18 to 1.27:
 * pcHeader, 6 slices (funcnametab ... ftab = words 1-18), findfunctab,
 * minpc, maxpc, then text. */
#define GOBIN_MD_PCHEADER 0
#define GOBIN_MD_FUNCNAMETAB 1
#define GOBIN_MD_MINPC 20
#define GOBIN_MD_TEXT 22
#define GOBIN_MD_ETEXT 23

struct gobin_section {
	const char *name;
	uint64_t addr, offset, size, flags, entsize;
	uint32_t type, link;
};

struct gobin_wr {		/* one wait reason */
	char *name;
};

struct gobin {
	char *path;
	int fd;
	const uint8_t *map;
	size_t map_size;
	Elf *elf;
	struct elf_info ei;
	struct gobin_section *secs;	/* secs[i] is ELF section i + 1 */
	size_t nsecs;
	const Elf64_Sym *syms;
	size_t nsyms;
	const char *strtab;
	size_t strtab_size;
	bool has_dwarf;
	struct gopclntab pcln;
	struct gobin_version version;

	/* Built on first use. */
	uint32_t *byname;
	csh cs;
	bool cs_ok, cs_failed;
	bool md_done, gofunc_done, wr_done, goff_done;
	int md_err, goff_err;
	uint64_t md, gofunc;
	enum gobin_source md_src;
	struct gobin_wr *wr;
	size_t nwr;
	enum gobin_source wr_src;
	struct gobin_g_offsets goff;
	/* funcIDs the traceback rules need; their numbers change between
	 * releases, so they are read from the binary's own functions.
	 * -1: not known. */
	bool fid_done;
	int fid_wrapper, fid_panic[3];
	/* gostack.c: what walking a stack needs at each pc seen */
	struct u64map *pcinfo_index;	/* link-time pc -> index */
	struct gobin_pcinfo *pcinfos;
	size_t npcinfos, cap_pcinfos;
};

struct gobin_pcinfo {
	int32_t spdelta;
	uint8_t found, goexit, top, entry;
};

const char *gobin_why(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
size_t gobin_avail(const struct gobin *bin, uint64_t vaddr);
const uint8_t *gobin_segment_data(const struct gobin *bin,
				  const struct elf_segment *s);
const struct gobin_section *gobin_section(const struct gobin *bin,
					  const char *name);
const uint8_t *gobin_section_data(const struct gobin *bin,
				  const struct gobin_section *s);
bool gobin_symbol(const struct gobin *bin, const char *name, uint64_t *value,
		  uint64_t *size);
/* Up to max_insns instructions at addr; free with cs_free(*insns, n). */
size_t gobin_disasm(struct gobin *bin, uint64_t addr, size_t max_bytes,
		    size_t max_insns, cs_insn **insns);
bool gobin_read_u64(const struct gobin *bin, uint64_t vaddr, uint64_t *v);

/* gobuildinfo.c */
void gobin_read_version(struct gobin *bin);
/* "go1.21.4" -> 1, 21, 4; false if s has no "go1." version. */
bool gobin_parse_version(const char *s, size_t len, struct gobin_version *v);
/* The version from a .go.buildinfo header at p (avail bytes to the end of
 * its section or segment); sets bin->version. Older headers point at Go
 * strings elsewhere in bin. */
bool gobin_parse_buildinfo(struct gobin *bin, const uint8_t *p, size_t avail);
/* Candidates for runtime.buildVersion's string header in the data (see
 * gobuildinfo.c): how many distinct ones, the best in *best. */
int gobin_scan_version(const struct gobin *bin, struct gobin_version *best,
		       uint64_t *header_vaddr);

/* goruntime.c */
void gobin_runtime_free(struct gobin *bin);
/* gostack.c */
void gobin_pcinfo_free(struct gobin *bin);

#endif
