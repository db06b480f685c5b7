/* SPDX-License-Identifier: MIT */
/*
 * Turning normalized frames (module, file offset) into names, at report
 * time, once per distinct frame. Native modules go through elfutils'
 * libdwfl (symbol tables, separate debuginfo by build id, DWARF lines).
 *
 * The symbolizer caches every frame it resolved, and per module its
 * libdwfl session and Go tables; it belongs to the collector's tables
 * (tables.h), whose sweep frees the frames no live stack has and the
 * modules that are gone.
 */
#ifndef LS_SYMBOLIZE_H
#define LS_SYMBOLIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SYM_MAX_INLINE 8	/* inlined levels expanded per pc */

/* One source-level frame: a function, or a function inlined into it. */
struct sym_line {
	const char *name;	/* function, or mod+0xoff */
	const char *file;	/* source file; NULL if unknown */
	uint32_t line;
	/* Go only: a compiler-made wrapper, and a function raising panics
	 * (see gobin_frame): what the runtime's tracebacks leave out. */
	bool go_wrapper, go_panics;
};

/* Strings are the tables' (valid until a sweep frees the frame). */
struct frame_sym {
	const char *func;	/* NULL if unknown */
	const char *module;	/* module path; NULL if unplaced */
	const char *build_id;	/* hex build id, NULL if none */
	uint64_t offset;	/* file offset in module, or the raw address */
	const char *name;	/* what reports print: func, or mod+0xoff */
	const char *file;	/* source of the innermost level */
	uint32_t line;
	/* Functions inlined at this pc, innermost first, then the one
	 * that holds them (same as name/file/line when nothing is inlined):
	 * levels[nlevels - 1] is the real (outermost) function. */
	struct sym_line levels[SYM_MAX_INLINE];
	uint32_t nlevels;
};

struct modules;
struct strtab;
struct symbolizer;

/* Names go into strings; frames are placed through mods. */
struct symbolizer *symbolizer__new(struct modules *mods, struct strtab *strings);
void symbolizer__free(struct symbolizer *sz);
/* ret_addr: the frame is a return address (all but an exact leaf), so
 * the call instruction before it is what gets looked up. */
const struct frame_sym *symbolizer__frame(struct symbolizer *sz, uint64_t frame,
					  bool ret_addr);
size_t symbolizer__count(const struct symbolizer *sz);	/* frames cached */
size_t symbolizer__bytes(const struct symbolizer *sz);

/* Mark and sweep: keep what frame resolved to (either way of looking
 * it up) through the next sweep. */
void symbolizer__mark_frame(struct symbolizer *sz, uint64_t frame);
/* Free the frames not marked and the per-module state of modules that
 * are not marked in mods (run before the modules' sweep); clears the
 * marks. Returns how many frames were freed. */
size_t symbolizer__sweep(struct symbolizer *sz);
/* Mark every string the cached frames use. */
void symbolizer__mark_strings(const struct symbolizer *sz, struct strtab *strings);

#endif
