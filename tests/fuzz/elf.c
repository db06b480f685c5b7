// SPDX-License-Identifier: MIT
/*
 * Fuzz target: an ELF file, as leakscope meets every executable and
 * library a traced process maps (the agent inspects every exec on the
 * host, so a crafted file reaches this). Headers and segments
 * (base/elfinfo.c), then everything Go binary inspection reads from the
 * sections and segments: section table, .symtab, .gopclntab found by
 * name or by its magic, the version, moduledata, runtime globals, probe
 * placement by decoding code (golang/gobin.c, gobuildinfo.c,
 * goruntime.c). Once as is, once as if stripped of section headers.
 */
#include "fuzz.h"
#include "base/elfinfo.h"
#include "golang/gobin.h"

#include <unistd.h>

#define MAX_FUNCS 64

static const char *const probed[] = {
	"runtime.newproc.func1", "runtime.newproc1", "runtime.goexit0",
	"runtime.gdestroy", "runtime.mallocgc", "runtime.profilealloc",
	"runtime.mProf_Free", "main.main",
};

static void inspect_go(struct gobin *b, const struct elf_info *ei)
{
	struct gobin_g_offsets goff;
	enum gobin_source src;
	uint64_t a, e, refs[8];
	size_t nwr;
	int64_t tls;

	gobin__version(b);
	for (size_t i = 0; i < gobin__nfuncs(b) && i < MAX_FUNCS; i++) {
		struct gobin_frame frames[8];
		struct gobin_prologue pro;
		struct gobin_func f;

		if (gobin__func(b, i, &f))
			continue;
		gobin__func_at(b, f.entry, frames, 8);
		if (f.end > f.entry)
			gobin__func_at(b, f.end - 1, frames, 8);
		gobin__prologue(b, f.entry, &pro);
	}
	for (size_t i = 0; i < sizeof(probed) / sizeof(probed[0]); i++) {
		struct gobin_func all[4];

		gobin__func_by_name(b, probed[i], &a, &e);
		gobin__funcs_by_name(b, probed[i], all, 4);
		gobin__rip_refs(b, probed[i], refs, 8);
	}
	gobin__moduledata(b, &a, &src);
	gobin__gofunc(b);
	gobin__global(b, "runtime.allgs", &a, &src);
	gobin__global(b, "runtime.allglen", &a, &src);
	gobin__global(b, "runtime.waitReasonStrings", &a, &src);
	gobin__global(b, "runtime.buildVersion", &a, &src);
	gobin__g_offsets(b, &goff);
	if (!gobin__waitreasons(b, &nwr, &src)) {
		for (unsigned v = 0; v < nwr + 1 && v < 64; v++)
			gobin__waitreason_name(b, v);
		gobin__waitreason_value(b, "chan receive");
	}
	gobin__decode_memprofilerate(b, &a);
	gobin__tls_g_offset(b, ei->tls_memsz, ei->tls_align, &tls);
	gobin__find_call(b, "runtime.newproc.func1", "runtime.runqput", &a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned flags[] = { 0, GOBIN_IGNORE_SECTIONS };
	struct elf_info ei = { 0 };
	const char *why;
	char path[64];
	int fd = fuzz_file(data, size, path, sizeof(path));

	if (fd < 0)
		return 0;
	if (!elfinfo__read_fd(fd, &ei, &why))
		for (size_t i = 0; i < ei.nloads; i++) {
			uint64_t v, o;

			elfinfo__offset_to_vaddr(&ei, ei.loads[i].offset, &v);
			elfinfo__vaddr_to_offset(&ei, ei.loads[i].vaddr + ei.loads[i].filesz / 2, &o);
		}
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		struct gobin *b = gobin__open_flags(path, flags[i], &why, NULL);

		if (b) {
			inspect_go(b, &ei);
			gobin__free(b);
		}
	}
	elfinfo__free(&ei);
	close(fd);
	return 0;
}
