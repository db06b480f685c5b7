/* SPDX-License-Identifier: MIT */
/*
 * Turning normalized frames (module, file offset) into names, at report
 * time, once per distinct frame. Native modules go through elfutils'
 * libdwfl (symbol tables, separate debuginfo by build id, DWARF lines).
 */
#ifndef LS_SYMBOLIZE_H
#define LS_SYMBOLIZE_H

#include <stdbool.h>
#include <stdint.h>

#define SYM_MAX_INLINE 8	/* inlined levels expanded per pc */

/* One source-level frame: a function, or a function inlined into it. */
struct sym_line {
	const char *name;	/* interned: function, or mod+0xoff */
	const char *file;	/* interned source file; NULL if unknown */
	uint32_t line;
	/* Go only: a compiler-made wrapper, and a function raising panics
	 * (see gobin_frame): what the runtime's tracebacks leave out. */
	bool go_wrapper, go_panics;
};

struct frame_sym {
	const char *func;	/* interned; NULL if unknown */
	const char *module;	/* interned module path; NULL if unplaced */
	const char *build_id;	/* interned hex build id, NULL if none */
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

/* ret_addr: the frame is a return address (all but an exact leaf), so
 * the call instruction before it is what gets looked up. */
const struct frame_sym *symbolize__frame(uint64_t frame, bool ret_addr);

#endif
