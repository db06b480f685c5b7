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

struct frame_sym {
	const char *func;	/* interned; NULL if unknown */
	const char *file;	/* interned source file; NULL if unknown */
	uint32_t line;
	const char *module;	/* interned module path; NULL if unplaced */
	uint64_t offset;	/* file offset in module, or the raw address */
	const char *name;	/* what reports print: func, or mod+0xoff */
};

/* ret_addr: the frame is a return address (all but an exact leaf), so
 * the call instruction before it is what gets looked up. */
const struct frame_sym *symbolize__frame(uint64_t frame, bool ret_addr);

#endif
