/* SPDX-License-Identifier: MIT */
/*
 * Go binary inspection: what the probes and the symbolizer need to know
 * about an x86-64 Go executable built by Go 1.18 or later, statically
 * linked or not, PIE or not, with or without symbols and DWARF.
 *
 *   version            .go.buildinfo (section, or its magic in a data
 *                      segment), else runtime.buildVersion (symbol, or a
 *                      Go string header in the data segments that points at
 *                      a "go1.N..." string), else unknown
 *   functions          .gopclntab (section, or its magic when section
 *                      headers are missing or it has none, as in PIEs
 *                      linked by gcc): entry/end by name, name and
 *                      file:line (with inlined frames) by pc. Entry
 *                      offsets count from the header's textStart, or in
 *                      Go 1.26+ (textStart 0) from moduledata.text, else
 *                      .text, else the first executable segment
 *   probe placement    the stack-check prologue, decoded with capstone
 *   runtime data       runtime.firstmoduledata and a few globals, from
 *                      .symtab or, when stripped, from the moduledata and
 *                      by decoding runtime functions
 *   runtime.g layout   from DWARF when present, else a per-version table;
 *                      wait-reason names read from the binary itself
 *
 * Addresses are link-time virtual addresses; add the load bias of a PIE
 * at run time, and use gobin__vaddr_to_offset() for uprobes.
 *
 * Not thread-safe: lookups build indexes lazily. Strings returned point
 * into the mapped file and live until gobin__free().
 */
#ifndef LS_GOBIN_H
#define LS_GOBIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct gobin;

enum gobin_source {
	GOBIN_SRC_NONE = 0,
	GOBIN_SRC_BUILDINFO,	/* .go.buildinfo */
	GOBIN_SRC_SYMTAB,	/* .symtab */
	GOBIN_SRC_SCAN,		/* found in a stripped binary's data */
	GOBIN_SRC_DECODE,	/* decoded from a runtime function's code */
	GOBIN_SRC_DWARF,	/* .debug_info */
	GOBIN_SRC_TABLE,	/* leakscope's own per-version table */
};
const char *gobin_source__str(enum gobin_source src);

struct gobin_version {
	int major, minor, patch;	/* 1, 19, 8; all 0 when unknown */
	char str[64];			/* "go1.19.8"; "" when unknown */
	enum gobin_source source;
};

/* Why gobin__open_flags failed, for callers that decide on it (the
 * text in *why is for people). */
enum gobin_fault {
	GOBIN_OK = 0,
	GOBIN_UNREADABLE,	/* cannot open or map the file */
	GOBIN_NOT_ELF,		/* not an ELF file at all (a script, a directory) */
	GOBIN_NOT_GO,		/* ELF without a Go function table: native code */
	GOBIN_UNSUPPORTED,	/* Go (or broken ELF) we cannot read: another
				 * architecture, an old or corrupt table */
};

/*
 * Opens path. NULL with errno set and *why a reason on failure:
 * "not an ELF file", "not a Go binary (no .gopclntab)", "Go 1.16/1.17
 * pclntab (older than 1.18) is not supported", "truncated .gopclntab",
 * ... (static strings or a thread-local buffer: copy before the next call).
 */
struct gobin *gobin__open(const char *path, const char **why);
/* Same, ignoring parts of the file (flags): to test the paths taken for
 * stripped binaries on one that is not, and to compare the two answers.
 * fault (may be NULL) says which kind of failure it was. */
#define GOBIN_IGNORE_SYMTAB 0x1u	/* as if built with -ldflags=-s */
#define GOBIN_IGNORE_DWARF 0x2u		/* as if built with -ldflags=-w */
#define GOBIN_IGNORE_SECTIONS 0x4u	/* as if section headers were gone */
struct gobin *gobin__open_flags(const char *path, unsigned flags,
				const char **why, enum gobin_fault *fault);
void gobin__free(struct gobin *bin);

const char *gobin__path(const struct gobin *bin);
const struct gobin_version *gobin__version(const struct gobin *bin);
/* True when the version is known and >= major.minor. */
bool gobin__version_ge(const struct gobin *bin, int major, int minor);
bool gobin__has_symtab(const struct gobin *bin);
bool gobin__has_dwarf(const struct gobin *bin);
bool gobin__is_pie(const struct gobin *bin);	/* ET_DYN */

/* File offset of a link-time address (uprobes attach by file offset):
 * vaddr - p_vaddr + p_offset of the PT_LOAD holding it. 0 or -ENOENT. */
int gobin__vaddr_to_offset(const struct gobin *bin, uint64_t vaddr,
			   uint64_t *off);
/* Bytes of the file at a link-time address, NULL if not file-backed. */
const uint8_t *gobin__read(const struct gobin *bin, uint64_t vaddr,
			   size_t size);

/* --- functions (.gopclntab) ------------------------------------------ */

struct gobin_func {
	const char *name;
	uint64_t entry, end;	/* end exclusive (next function's entry) */
	bool stack_check;	/* starts with Go's stack-bound check */
	/* By-name lookups only, when a name exists twice: */
	bool wrapper;		/* calls the other function of its name */
	bool abi0;		/* judged ABI0: a wrapper that loads g into R14
				 * from TLS, or the (assembly) body that an
				 * ABIInternal wrapper calls */
};

/* Number of functions in the table, and the i-th in address order. */
size_t gobin__nfuncs(const struct gobin *bin);
int gobin__func(const struct gobin *bin, size_t i, struct gobin_func *out);

/*
 * The function named name, ABIInternal (register arguments). Go emits
 * some names twice, one ABIInternal and one ABI0 (`nm` shows the latter
 * as NAME.abi0): for Go code an ABI0 wrapper that calls the body, for
 * assembly an ABIInternal wrapper that calls the ABI0 body. Ranking: not
 * judged ABI0, then starting with the stack check (`cmp 0x10(%r14),%rsp`
 * or `lea -N(%rsp),%r12; cmp 0x10(%r14),%r12`), then not a wrapper, then
 * the largest. 0 or -ENOENT.
 */
int gobin__func_by_name(struct gobin *bin, const char *name,
			uint64_t *entry, uint64_t *end);
/* Every function of that name, the preferred one first. Returns how many
 * exist (may exceed max; out gets at most max), 0 if none. */
int gobin__funcs_by_name(struct gobin *bin, const char *name,
			 struct gobin_func *out, size_t max);

struct gobin_frame {
	const char *func;	/* "main.leakHeap", inlined callee if inlined */
	const char *file;	/* NULL if unknown */
	int line;		/* 0 if unknown */
	uint64_t entry;		/* entry of the real (outermost) function */
	bool inlined;		/* inlined into the next frame */
	/* What the runtime's tracebacks do with this frame: a compiler-made
	 * wrapper (<autogenerated> method and ABI wrappers) is left out
	 * unless what it called raised a panic; panics marks gopanic,
	 * sigpanic and panicwrap, the callees that keep their wrapper. */
	bool wrapper, panics;
};

/*
 * Frames at pc, innermost first: each inlined call, then the real
 * function (like runtime.CallersFrames). Returns the number of frames
 * written (at most max; max >= 1), or -ENOENT if pc is in no function.
 * Pass a return address minus 1 for call sites, as tracebacks do.
 */
int gobin__func_at(struct gobin *bin, uint64_t pc, struct gobin_frame *frames,
		   size_t max);

/*
 * What walking a goroutine's stack needs at pc, as the runtime's own
 * traceback does it (no frame pointer needed): the function holding pc
 * (its name and entry) and the pcsp value there, the bytes between the
 * stack pointer and the frame's return address. pc is used as given (the
 * runtime looks a return address up as is: the call left the stack
 * pointer where it is after the return). 0 or -ENOENT.
 */
int gobin__frame_size(struct gobin *bin, uint64_t pc, const char **func,
		      uint64_t *entry, int32_t *spdelta);

/* --- probe placement (capstone) --------------------------------------- */

struct gobin_prologue {
	bool stack_check;	/* cmp <rsp|r12>, 0x10(%r14) found */
	uint64_t check_addr;	/* the first instruction of the check */
	uint64_t jbe_addr;	/* the jbe/jna after the cmp (emulated by
				 * uprobes: a cheap probe point), 0 if none */
	uint8_t jbe_len;	/* 2 or 6 */
	uint64_t body_addr;	/* first instruction after the jbe */
	uint64_t push_rbp_addr;	/* `push %rbp` within the next few
				 * instructions (Go 1.21+ frames), 0 if none */
};
/* Decodes the first instructions at entry. 0, -ENOENT (not in the
 * file), -EINVAL (undecodable). */
int gobin__prologue(struct gobin *bin, uint64_t entry,
		    struct gobin_prologue *out);

/* --- runtime data ------------------------------------------------------ */

/* Address of runtime.firstmoduledata: .symtab, else the pointer to the
 * pclntab header that starts it, searched in the data segments. */
int gobin__moduledata(struct gobin *bin, uint64_t *vaddr,
		      enum gobin_source *src);
/* moduledata.gofunc (base of funcdata), 0 if not found. */
uint64_t gobin__gofunc(struct gobin *bin);

/*
 * Address of a runtime global. Any symbol through .symtab; stripped
 * binaries: runtime.firstmoduledata, runtime.buildVersion,
 * runtime.waitReasonStrings (found in data), runtime.allgs,
 * runtime.allglen, runtime.allgptr (decoded from runtime.forEachG and
 * runtime.forEachGRace). Not yet for stripped binaries: runtime.mbuckets
 * (runtime.MemProfile reads it, but its code differs too much between
 * releases for one rule). 0, -ENOENT, -ENOTSUP (name not known to the
 * stripped path).
 */
int gobin__global(struct gobin *bin, const char *name, uint64_t *vaddr,
		  enum gobin_source *src);

/* Byte offsets of runtime.g fields; -1 when the field does not exist in
 * this version (parentGoid before 1.21, syscallbp before 1.23). Besides
 * g, where its m is and the m's current goroutine (m.curg): the creating
 * goroutine, seen from the system stack it runs newproc on. */
struct gobin_g_offsets {
	int goid, atomicstatus, waitreason, waitsince, gopc, startpc,
	    parent_goid;
	int stack_hi;			/* g.stack.hi: where its stack ends */
	int sched_sp, sched_pc, sched_bp;	/* g.sched: where it stopped */
	int syscallsp, syscallpc, syscallbp;	/* ... or entered a syscall */
	int m, m_curg;			/* g.m, m.curg */
	enum gobin_source source;	/* DWARF or TABLE */
};
/* 0, or -ENOTSUP (no DWARF and version not in the table). */
int gobin__g_offsets(struct gobin *bin, struct gobin_g_offsets *out);
/* The table alone (for tests and for binaries without DWARF). */
int gobin_g_offsets__table(int major, int minor, struct gobin_g_offsets *out);

/*
 * Wait reasons (runtime.g.waitreason values): read from the binary's own
 * runtime.waitReasonStrings (symbol, or found in data by its first
 * entries "" and "GC assist marking"), else leakscope's table for 1.19.
 * Value -> name: NULL if out of range. Name -> value: -ENOENT if absent.
 */
int gobin__waitreasons(struct gobin *bin, size_t *count,
		       enum gobin_source *src);
const char *gobin__waitreason_name(struct gobin *bin, unsigned value);
int gobin__waitreason_value(struct gobin *bin, const char *name);

/* Addresses referenced RIP-relative by func's instructions, in order
 * (globals it reads or writes). Returns how many (at most max). */
int gobin__rip_refs(struct gobin *bin, const char *func, uint64_t *targets,
		    size_t max);
/* runtime.MemProfileRate's address decoded from runtime.profilealloc
 * (for stripped binaries): 0 or -ENOENT. */
int gobin__decode_memprofilerate(struct gobin *bin, uint64_t *vaddr);
/* Offset of the current g from the thread pointer (%fs), from the code
 * or from the executable's PT_TLS (memsz, align): 0 or -ENOENT. */
int gobin__tls_g_offset(struct gobin *bin, uint64_t tls_memsz, uint64_t tls_align,
			int64_t *off);
/* The first direct `call callee` inside func: 0 or -ENOENT. */
int gobin__find_call(struct gobin *bin, const char *func, const char *callee,
		     uint64_t *call_vaddr);

#endif
