/* SPDX-License-Identifier: MIT */
/*
 * Parser of Go's function table (.gopclntab, runtime.pcHeader), the one
 * symbol table that survives `go build -ldflags="-s -w"`. Formats of Go
 * 1.18 and later (magic 0xfffffff0 for 1.18-1.19, 0xfffffff1 for 1.20+)
 * on 64-bit little-endian targets; older tables are recognized and refused.
 *
 * Layout (all offsets in the header are from the header itself):
 *   header   magic u32, pad u8 u8, minLC u8, ptrSize u8, then 8 words:
 *            nfunc, nfiles, textStart, funcnametab, cutab, filetab,
 *            pctab, functab offsets
 *   functab  nfunc+1 pairs {entry offset u32, _func offset u32}; the
 *            last entry is the end of the text
 *   _func    entryoff, nameoff, args, deferreturn, pcsp, pcfile, pcln,
 *            npcdata, cuOffset (u32 each), [startLine i32 in 1.20+],
 *            funcID u8, flag u8, pad u8, nfuncdata u8, then npcdata u32
 *            offsets into pctab and nfuncdata u32 offsets from
 *            moduledata.gofunc (~0 = none)
 *   pctab    runs of (zig-zag varint value delta, varint pc delta)
 *   files    pcfile gives a per-CU index: cutab[cuOffset + i] is an
 *            offset into filetab of a NUL-terminated path (same in every
 *            version from 1.16 on)
 * Entry offsets are relative to textStart; Go 1.26 writes textStart 0,
 * and the caller supplies the text base (moduledata.text / .text).
 *
 * The parser reads only inside the buffers it was given and never trusts
 * an offset from the file: every read is bounds-checked, a bad table gives
 * an error or an empty answer, never a crash.
 */
#ifndef LS_GOPCLNTAB_H
#define LS_GOPCLNTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GOPCLNTAB_MAGIC_118 0xfffffff0u	/* Go 1.18, 1.19 */
#define GOPCLNTAB_MAGIC_120 0xfffffff1u	/* Go 1.20 and later */
#define GOPCLNTAB_MAGIC_116 0xfffffffau	/* Go 1.16, 1.17: refused */
#define GOPCLNTAB_MAGIC_12  0xfffffffbu	/* Go 1.2 - 1.15: refused */

/* Indexes into a function's pcdata / funcdata tables. */
#define GOPCLNTAB_PCDATA_INLTREEINDEX 2
#define GOPCLNTAB_FUNCDATA_INLTREE 3

/* Reads size bytes at a link-time address anywhere in the binary (for
 * funcdata outside the table); NULL when not in the file. */
typedef const uint8_t *(*gopclntab_read_fn)(void *ctx, uint64_t vaddr,
					     size_t size);

struct gopclntab {
	const uint8_t *data;	/* the whole table, from the header on */
	size_t size;
	uint64_t vaddr;		/* link-time address of the header */
	uint32_t magic;
	int format;		/* 118 or 120 */
	uint64_t nfunc, nfiles;
	uint64_t text_start;	/* from the header; 0 in Go 1.26+ */
	uint64_t text_base;	/* what entry offsets are added to */
	/* Sub-tables: offsets from data, with their sizes. */
	size_t funcname_off, funcname_size;
	size_t cu_off, cu_size;
	size_t filetab_off, filetab_size;
	size_t pctab_off, pctab_size;
	size_t functab_off, functab_size;
	size_t func_hdr_size;	/* 40 (1.18-1.19) or 44 (1.20+) */
	/* Optional: for funcdata (inline trees). 0 / NULL when unknown. */
	uint64_t gofunc;
	gopclntab_read_fn read;
	void *read_ctx;
};

struct gopclntab_func {
	uint32_t index;		/* in the function table */
	const char *name;	/* points into the table */
	uint64_t entry, end;	/* link-time addresses, end exclusive */
	const uint8_t *raw;	/* the _func record */
	uint32_t pcsp, pcfile, pcln, npcdata, cu_offset;
	uint8_t func_id, flag, nfuncdata;
	int32_t start_line;	/* 1.20+, else 0 */
};

/* 0, or -EINVAL / -ENOTSUP with *why set. Does not copy data. */
int gopclntab__init(struct gopclntab *t, const void *data, size_t size,
		    uint64_t vaddr, const char **why);
/* Only the magic: 0 if supported, -ENOTSUP with a reason for old Go,
 * -EINVAL if it is no pclntab at all. */
int gopclntab__check_magic(const void *data, size_t size, const char **why);
/* Entry addresses are text_base + offset. Defaults to the header's
 * textStart; Go 1.26+ needs the real one. */
void gopclntab__set_text_base(struct gopclntab *t, uint64_t text_base);

/* 0, -ERANGE (no such index) or -EINVAL (record out of bounds). */
int gopclntab__func(const struct gopclntab *t, uint32_t index,
		    struct gopclntab_func *out);
/* The function whose [entry, end) holds pc: 0 or -ENOENT. */
int gopclntab__find_pc(const struct gopclntab *t, uint64_t pc,
		       struct gopclntab_func *out);
/* Value of a pc-value table (offset into pctab) at pc, as the runtime
 * computes it: 0, or -ENOENT (no table / pc not covered) / -EINVAL. */
int gopclntab__pcvalue(const struct gopclntab *t,
		       const struct gopclntab_func *f, uint32_t table,
		       uint64_t pc, int32_t *val);
/* pcdata table number i of f at pc (e.g. the inline-tree index). */
int gopclntab__pcdata(const struct gopclntab *t,
		      const struct gopclntab_func *f, uint32_t i, uint64_t pc,
		      int32_t *val);
/* Link-time address of funcdata number i of f, 0 if none/unknown. */
uint64_t gopclntab__funcdata(const struct gopclntab *t,
			     const struct gopclntab_func *f, uint32_t i);
/* File name of per-CU file index fileno of f, NULL if out of range. */
const char *gopclntab__file(const struct gopclntab *t,
			    const struct gopclntab_func *f, int32_t fileno);
/* Name at an offset into funcnametab, NULL if out of range. */
const char *gopclntab__name(const struct gopclntab *t, int32_t nameoff);
/* Source position of pc in f (innermost: inlined bodies give their own
 * file and line). 0 or -ENOENT. */
int gopclntab__fileline(const struct gopclntab *t,
			const struct gopclntab_func *f, uint64_t pc,
			const char **file, int *line);

/* One entry of a function's inline tree. */
struct gopclntab_inl {
	const char *name;	/* the inlined function */
	int32_t parent_pc;	/* offset from the outer entry: an instruction
				 * at the call site */
	int32_t parent;		/* 1.18-1.19 only, else -1 */
	uint8_t func_id;	/* the inlined function's funcID (wrappers) */
};
/* Inline-tree entry ix of f: 0, -ENOENT (no tree) or -EINVAL. */
int gopclntab__inl(const struct gopclntab *t, const struct gopclntab_func *f,
		   int32_t ix, struct gopclntab_inl *out);

#endif
