// SPDX-License-Identifier: MIT
/*
 * Go binary inspection (src/gobin.c, gopclntab.c, gobuildinfo.c,
 * goruntime.c), against ground truth from other tools:
 *
 * - tests/workloads/go/goleaky built by Debian's Go 1.19 three ways
 *   (normal, -ldflags="-s -w", -buildmode=pie) into
 *   $LEAKSCOPE_GO_FIXTURES (default build/go-fixtures; built on first
 *   use): `nm` for entries, `go tool addr2line` for func and file:line,
 *   `objdump` for prologues and file offsets, DWARF and .symtab for
 *   what stripped binaries must find by scanning and decoding.
 * - real stripped third-party binaries, one per Go release 1.18-1.27,
 *   fetched from npm by scripts/fetch-go-binaries.sh into
 *   $LEAKSCOPE_GO_BINARIES (default tests/.cache/go-binaries). A test
 *   whose input is missing fails, saying what is missing (a missing
 *   tool is a failure, never a skip: install-deps installs Go).
 * - malformed input: garbage, non-Go ELF, truncated and corrupted
 *   tables, pre-1.18 magics.
 */
#include "check.h"
#include "golang/gobin.h"
#include "golang/gopclntab.h"

#include <capstone/capstone.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define GO "/usr/lib/go-1.19/bin/go"
#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

/* --- helpers ------------------------------------------------------------ */

static bool exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/* The repository root, from where the tests run (tests/unit) or above. */
static const char *root(void)
{
	if (exists("../../tests/workloads/go/build.sh"))
		return "../..";
	return ".";
}

static char *run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *run(const char *fmt, ...)
{
	char cmd[4096], *out = NULL;
	size_t len = 0, cap = 0, n;
	char buf[65536];
	va_list ap;
	FILE *f;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	f = popen(cmd, "r");
	if (!f)
		return strdup("");
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
		if (len + n + 1 > cap) {
			cap = (len + n + 1) * 2;
			out = realloc(out, cap);
		}
		memcpy(out + len, buf, n);
		len += n;
	}
	pclose(f);
	if (!out)
		return strdup("");
	out[len] = '\0';
	return out;
}

static const char *fixture_dir(void)
{
	static char dir[1024];
	const char *env = getenv("LEAKSCOPE_GO_FIXTURES");

	if (!dir[0])
		snprintf(dir, sizeof(dir), "%s", env ? env : "");
	if (!dir[0])
		snprintf(dir, sizeof(dir), "%s/build/go-fixtures", root());
	return dir;
}

/* Path of fixture goleaky[.stripped|.pie|.extpie], built on first use. */
static const char *fixture(const char *variant)
{
	static bool built;
	static char path[4][1100];
	int slot = !strcmp(variant, "") ? 0 : !strcmp(variant, ".stripped") ? 1 :
		   !strcmp(variant, ".pie") ? 2 : 3;

	if (!built) {
		char *out = run("%s/tests/workloads/go/build.sh %s 2>&1", root(),
				fixture_dir());

		if (!exists(fixture_dir()) || strstr(out, "not found"))
			fprintf(stderr, "  building Go fixtures: %s", out);
		free(out);
		built = true;
	}
	snprintf(path[slot], sizeof(path[slot]), "%s/goleaky%s", fixture_dir(),
		 variant);
	return path[slot];
}

static bool have_fixtures(const char **why)
{
	char p[1100];

	snprintf(p, sizeof(p), "%s/goleaky.pie", fixture_dir());
	if (exists(p) || exists(GO))
		return true;
	*why = GO " (golang-1.19-go) not installed and no prebuilt fixtures";
	return false;
}

/* A test that needs inputs from outside (a Go toolchain, a fetched
 * binary): when has_inputs() says they are missing, it fails with why. */
#define TEST_NEEDING(name, has_inputs)                                    \
	static void body_##name(void);                                    \
	TEST(name)                                                        \
	{                                                                 \
		const char *why_ = "";                                    \
		if (!has_inputs(&why_)) {                                 \
			fprintf(stderr, "  missing: %s\n", why_);         \
			check_failures++;                                 \
			return;                                           \
		}                                                         \
		body_##name();                                            \
	}                                                                 \
	static void body_##name(void)

static struct gobin *open_ok(const char *path, unsigned flags)
{
	const char *why = "";
	struct gobin *b = gobin__open_flags(path, flags, &why, NULL);

	if (!b)
		fprintf(stderr, "  cannot open %s: %s\n", path, why);
	return b;
}

struct nm_sym {
	uint64_t addr;
	char *name;
};

/* Text symbols of `nm -n`, sorted by address. */
static struct nm_sym *nm_text(const char *path, size_t *n)
{
	char *out = run("nm -n --defined-only %s", path), *line, *save = NULL;
	struct nm_sym *syms = NULL;
	size_t cap = 0;

	*n = 0;
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *end;
		uint64_t addr = strtoull(line, &end, 16);

		if (end[0] != ' ' || (end[1] != 'T' && end[1] != 't') || end[2] != ' ')
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 1024;
			syms = realloc(syms, cap * sizeof(*syms));
		}
		syms[*n].addr = addr;
		syms[(*n)++].name = strdup(end + 3);
	}
	free(out);
	return syms;
}

static void nm_free(struct nm_sym *syms, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(syms[i].name);
	free(syms);
}

static void norm_name(const char *in, char *out, size_t size)
{
	size_t o = 0;

	for (const char *p = in; *p && o + 6 < size; p++) {
		const char *q = p + 1;

		if (*p == '[')
			while (*q >= '0' && *q <= '9')
				q++;
		if (*p == '[' && q > p + 1 && *q == ']') {
			memcpy(out + o, "[...]", 5);
			o += 5;
			p = q;
			continue;
		}
		out[o++] = *p;
	}
	out[o] = '\0';
}

/* Whether nm has a symbol at addr named name (or name.abi0 if abi0). */
static bool nm_has(const struct nm_sym *s, size_t n, uint64_t addr,
		   const char *name, bool abi0)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (s[mid].addr < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < n && s[lo].addr == addr; lo++) {
		size_t len = strlen(name);
		char norm[1024];

		if (!abi0 && !strcmp(s[lo].name, name))
			return true;
		/* The linker writes array types as [...] in pclntab names:
		 * type..eq.[2]runtime.Frame -> type..eq.[...]runtime.Frame */
		norm_name(s[lo].name, norm, sizeof(norm));
		if (!abi0 && !strcmp(norm, name))
			return true;
		if (abi0 && !strncmp(s[lo].name, name, len) &&
		    !strcmp(s[lo].name + len, ".abi0"))
			return true;
	}
	return false;
}

/* Line number of the first line of path containing text, 0 if none. */
static int line_of(const char *path, const char *text)
{
	char line[1024];
	int no = 0;
	FILE *f = fopen(path, "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		no++;
		if (strstr(line, text)) {
			fclose(f);
			return no;
		}
	}
	fclose(f);
	return 0;
}

static char *copy_file(const char *from, const char *tag, size_t *size)
{
	static int seq;
	char *to = malloc(256), buf[65536];
	int in = open(from, O_RDONLY), out;
	ssize_t n;

	snprintf(to, 256, "/tmp/gobin_test.%d.%d.%s", getpid(), seq++, tag);
	out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0755);
	*size = 0;
	while (in >= 0 && out >= 0 && (n = read(in, buf, sizeof(buf))) > 0) {
		if (write(out, buf, n) != n)
			break;
		*size += n;
	}
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	return to;
}

static void patch_file(const char *path, uint64_t off, const void *bytes,
		       size_t n)
{
	int fd = open(path, O_WRONLY);

	if (fd < 0 || pwrite(fd, bytes, n, off) != (ssize_t)n)
		fprintf(stderr, "  cannot patch %s\n", path);
	if (fd >= 0)
		close(fd);
}

/* Offset in the file of the section called name (readelf), 0 if none. */
static uint64_t section_offset(const char *path, const char *name, uint64_t *size)
{
	char *out = run("readelf -SW %s | grep -F ' %s ' | head -1", path, name);
	char *p = strchr(out, ']');
	char sname[128], type[64];
	unsigned long long addr = 0, off = 0, sz = 0;

	if (!p || sscanf(p + 1, "%127s %63s %llx %llx %llx", sname, type, &addr,
			 &off, &sz) != 5)
		off = 0;
	free(out);
	if (size)
		*size = sz;
	return off;
}

/* Every function, every pc that the lookups give, must be answered
 * without reading out of bounds; the answers themselves are not checked
 * (for corrupted input). Returns the number of functions walked. */
static size_t walk_everything(struct gobin *b)
{
	size_t n = gobin__nfuncs(b), ok = 0;

	for (size_t i = 0; i < n; i++) {
		struct gobin_func f;
		struct gobin_frame fr[8];

		if (gobin__func(b, i, &f))
			continue;
		ok++;
		for (uint64_t pc = f.entry; pc < f.end && pc - f.entry < 4096;
		     pc += 61)
			gobin__func_at(b, pc, fr, 8);
	}
	return ok;
}

/* --- fixtures: version -------------------------------------------------- */

TEST_NEEDING(gobin_fixture_version_matches_go_version, have_fixtures)
{
	char *out = run("%s version", GO), want[64] = "";
	const char *variants[] = { "", ".stripped", ".pie" };
	unsigned flags[] = { 0, GOBIN_IGNORE_SECTIONS };

	/* "go version go1.19.8 linux/amd64" */
	sscanf(out, "go version %63s", want);
	free(out);
	CHECK(!strncmp(want, "go1.19", 6));
	for (size_t v = 0; v < 3; v++)
		for (size_t f = 0; f < 2; f++) {
			struct gobin *b = open_ok(fixture(variants[v]), flags[f]);
			const struct gobin_version *ver;

			if (!b) {
				CHECK(!"open");
				continue;
			}
			ver = gobin__version(b);
			CHECK_EQ_S(ver->str, want);
			CHECK_EQ_I(ver->major, 1);
			CHECK_EQ_I(ver->minor, 19);
			/* Section or, without section headers, the magic. */
			CHECK_EQ_I(ver->source, GOBIN_SRC_BUILDINFO);
			CHECK(gobin__version_ge(b, 1, 18));
			CHECK(!gobin__version_ge(b, 1, 20));
			gobin__free(b);
		}
}

/* No .go.buildinfo (as in esbuild): the version comes from
 * runtime.buildVersion's string header in the data. */
TEST_NEEDING(gobin_version_without_buildinfo, have_fixtures)
{
	const char *path = fixture(".stripped");
	uint64_t off = section_offset(path, ".go.buildinfo", NULL);
	struct gobin *orig = open_ok(path, 0), *b;
	size_t size;
	char *copy = copy_file(path, "nobuildinfo", &size);
	static const uint8_t zeros[32];

	CHECK(off != 0);
	patch_file(copy, off, zeros, sizeof(zeros));
	b = open_ok(copy, 0);
	if (b && orig) {
		CHECK_EQ_I(gobin__version(b)->source, GOBIN_SRC_SCAN);
		CHECK_EQ_S(gobin__version(b)->str, gobin__version(orig)->str);
	}
	gobin__free(b);
	gobin__free(orig);
	unlink(copy);
	free(copy);
}

/* --- fixtures: functions ------------------------------------------------ */

static void check_funcs_against_nm(const char *path)
{
	struct gobin *b = open_ok(path, 0);
	struct nm_sym *syms;
	size_t nsyms, matched = 0, n;

	if (!b) {
		CHECK(!"open");
		return;
	}
	syms = nm_text(path, &nsyms);
	CHECK(nsyms > 1000);
	n = gobin__nfuncs(b);
	CHECK(n > 1000);
	for (size_t i = 0; i < n; i++) {
		struct gobin_func f;

		if (gobin__func(b, i, &f)) {
			CHECK(!"gobin__func");
			continue;
		}
		if (nm_has(syms, nsyms, f.entry, f.name, false) ||
		    nm_has(syms, nsyms, f.entry, f.name, true))
			matched++;
		else if (matched + 5 > i)	/* report the first few */
			fprintf(stderr, "  %s at %#lx not in nm\n", f.name, f.entry);
	}
	CHECK_EQ_U(matched, n);
	nm_free(syms, nsyms);
	gobin__free(b);
}

TEST_NEEDING(gobin_every_function_matches_nm, have_fixtures)
{
	check_funcs_against_nm(fixture(""));
	check_funcs_against_nm(fixture(".pie"));
	if (exists(fixture(".extpie")))	/* needs gcc */
		check_funcs_against_nm(fixture(".extpie"));
}

/* Stripped (-s -w) and section-less readings give the same table. */
TEST_NEEDING(gobin_stripped_matches_normal, have_fixtures)
{
	struct gobin *a = open_ok(fixture(""), 0);
	struct gobin *bins[2] = { open_ok(fixture(".stripped"), 0),
				  open_ok(fixture(""), GOBIN_IGNORE_SECTIONS) };
	size_t frames_compared = 0;

	for (int k = 0; k < 2; k++) {
		struct gobin *b = bins[k];

		if (!a || !b) {
			CHECK(!"open");
			continue;
		}
		CHECK(!gobin__has_symtab(bins[0]));
		CHECK_EQ_U(gobin__nfuncs(b), gobin__nfuncs(a));
		CHECK_EQ_S(gobin__version(b)->str, gobin__version(a)->str);
		for (size_t i = 0; i < gobin__nfuncs(a); i++) {
			struct gobin_func fa, fb;

			if (gobin__func(a, i, &fa) || gobin__func(b, i, &fb)) {
				CHECK(!"gobin__func");
				break;
			}
			if (strcmp(fa.name, fb.name) || fa.entry != fb.entry ||
			    fa.end != fb.end) {
				CHECK_EQ_S(fb.name, fa.name);
				CHECK_EQ_U(fb.entry, fa.entry);
				CHECK_EQ_U(fb.end, fa.end);
				break;
			}
			for (uint64_t pc = fa.entry; pc < fa.end; pc += 29) {
				struct gobin_frame x[8], y[8];
				int nx = gobin__func_at(a, pc, x, 8);
				int ny = gobin__func_at(b, pc, y, 8);

				CHECK_EQ_I(ny, nx);
				for (int j = 0; j < nx && j < ny; j++) {
					if (strcmp(x[j].func, y[j].func) ||
					    x[j].line != y[j].line ||
					    !x[j].file != !y[j].file ||
					    (x[j].file && strcmp(x[j].file, y[j].file))) {
						CHECK_EQ_S(y[j].func, x[j].func);
						CHECK_EQ_I(y[j].line, x[j].line);
						pc = fa.end;
						i = gobin__nfuncs(a);
						break;
					}
					frames_compared++;
				}
			}
		}
	}
	CHECK(frames_compared > 10000);
	gobin__free(a);
	gobin__free(bins[0]);
	gobin__free(bins[1]);
}

/* pcs in a few functions, every 3 bytes, into a file for addr2line. */
static size_t sample_pcs(struct gobin *b, uint64_t *pcs, size_t max,
			 const char *file)
{
	static const char *funcs[] = {
		"main.leakGoroutines", "main.parkForever", "main.leakHeap",
		"main.main", "runtime.newproc1", "runtime.mallocgc",
		"runtime.gopark", "fmt.Fprintln", "runtime.schedule",
	};
	FILE *f = fopen(file, "w");
	size_t n = 0;

	for (size_t i = 0; f && i < ARRAY_SIZE(funcs); i++) {
		uint64_t entry, end;

		CHECK_EQ_I(gobin__func_by_name(b, funcs[i], &entry, &end), 0);
		for (uint64_t pc = entry; pc < end && n < max; pc += 3) {
			pcs[n++] = pc;
			fprintf(f, "%#lx\n", pc);
		}
	}
	if (f)
		fclose(f);
	return n;
}

static void frame_pos(const struct gobin_frame *fr, char *buf, size_t size)
{
	snprintf(buf, size, "%s:%d", fr->file ? fr->file : "?", fr->line);
}

/* pc -> function and file:line against `go tool addr2line`, which reads
 * the same table and gives the outermost function and the innermost
 * position (it cannot read Go PIE binaries). pcs in the padding after a
 * function's code have no position: it prints ":-1", we NULL. */
static void check_go_addr2line(const char *path)
{
	char tmp[] = "/tmp/gobin_test.addrs.XXXXXX";
	struct gobin *b = open_ok(path, 0);
	uint64_t pcs[8192];
	size_t npcs, compared = 0, inlined = 0, padding = 0;
	char *out, *line, *save = NULL;

	close(mkstemp(tmp));
	if (!b) {
		CHECK(!"open");
		return;
	}
	npcs = sample_pcs(b, pcs, ARRAY_SIZE(pcs), tmp);
	out = run("%s tool addr2line %s < %s", GO, path, tmp);
	unlink(tmp);
	line = strtok_r(out, "\n", &save);
	for (size_t i = 0; i < npcs && line; i++) {
		const char *name = line, *pos = strtok_r(NULL, "\n", &save);
		struct gobin_frame fr[8];
		char mine[1200];
		int n = gobin__func_at(b, pcs[i], fr, 8);

		if (!pos || n < 1) {
			CHECK(!"addr2line output or func_at");
			break;
		}
		frame_pos(&fr[0], mine, sizeof(mine));
		if (!strcmp(pos, ":-1") && !fr[0].file) {
			padding++;
			strcpy(mine, pos);
		}
		if (strcmp(fr[n - 1].func, name) || strcmp(mine, pos)) {
			fprintf(stderr, "  pc %#lx:\n", pcs[i]);
			CHECK_EQ_S(fr[n - 1].func, name);
			CHECK_EQ_S(mine, pos);
			break;
		}
		inlined += n > 1;
		compared++;
		line = strtok_r(NULL, "\n", &save);
	}
	CHECK_EQ_U(compared, npcs);
	CHECK(compared > 1000);
	CHECK(inlined > 50);		/* the inline tree was exercised */
	CHECK(padding < compared / 10);
	free(out);
	gobin__free(b);
}

/* The whole inline chain against binutils' addr2line -i, which reads
 * DWARF (the compiler's other record of the same positions): one
 * file:line per frame, innermost first. It names every frame after the
 * outermost function, so only the outermost name is compared. */
static void check_gnu_addr2line(const char *path)
{
	char tmp[] = "/tmp/gobin_test.addrs.XXXXXX";
	struct gobin *b = open_ok(path, 0);
	uint64_t pcs[8192];
	size_t npcs, compared = 0, inlined = 0;
	char *out, *line, *save = NULL;

	close(mkstemp(tmp));
	if (!b) {
		CHECK(!"open");
		return;
	}
	npcs = sample_pcs(b, pcs, ARRAY_SIZE(pcs), tmp);
	out = run("addr2line -a -f -i -e %s < %s", path, tmp);
	unlink(tmp);
	line = strtok_r(out, "\n", &save);
	for (size_t i = 0; i < npcs && line; i++) {
		struct gobin_frame fr[8];
		const char *names[8], *poss[8];
		int n = gobin__func_at(b, pcs[i], fr, 8), k = 0;
		bool ok;

		/* "0x...", then pairs of lines until the next "0x" */
		if (strtoull(line, NULL, 16) != pcs[i]) {
			CHECK(!"addr2line out of step");
			break;
		}
		while ((line = strtok_r(NULL, "\n", &save)) && strncmp(line, "0x", 2)) {
			const char *pos = strtok_r(NULL, "\n", &save);

			if (k < 8) {
				names[k] = line;
				poss[k++] = pos ? pos : "";
			}
		}
		if (!fr[0].file)	/* padding: no DWARF line either */
			continue;
		ok = n == k && !strcmp(names[k - 1], fr[n - 1].func);
		for (int j = 0; ok && j < n; j++) {
			char mine[1200];

			frame_pos(&fr[j], mine, sizeof(mine));
			ok = !strcmp(mine, poss[j]);
		}
		if (!ok) {
			fprintf(stderr, "  pc %#lx: %d frames, addr2line %d:", pcs[i], n, k);
			for (int j = 0; j < k; j++)
				fprintf(stderr, " %s", poss[j]);
			fprintf(stderr, "; ours:");
			for (int j = 0; j < n; j++)
				fprintf(stderr, " %s:%d", fr[j].file, fr[j].line);
			fprintf(stderr, "\n");
			CHECK(!"same frames as addr2line -i");
			break;
		}
		inlined += n > 1;
		compared++;
	}
	CHECK(compared > 1000);
	CHECK(inlined > 50);
	free(out);
	gobin__free(b);
}

TEST_NEEDING(gobin_func_at_matches_go_tool_addr2line, have_fixtures)
{
	check_go_addr2line(fixture(""));
	check_go_addr2line(fixture(".stripped"));
}

TEST_NEEDING(gobin_inline_frames_match_binutils_addr2line, have_fixtures)
{
	check_gnu_addr2line(fixture(""));
	check_gnu_addr2line(fixture(".pie"));
	if (exists(fixture(".extpie")))
		check_gnu_addr2line(fixture(".extpie"));
}

/* makeBuffer is inlined into leakHeap: frames are [makeBuffer at its own
 * lines, leakHeap at the call]. */
TEST_NEEDING(gobin_inlined_frames, have_fixtures)
{
	char src[1024];
	struct gobin *b = open_ok(fixture(".stripped"), 0);
	int call_line, body_first, body_last, seen = 0;
	uint64_t entry, end;

	snprintf(src, sizeof(src), "%s/tests/workloads/go/goleaky/main.go", root());
	call_line = line_of(src, "sink = append(sink, makeBuffer(size))");
	body_first = line_of(src, "b := make([]byte, size)");
	body_last = line_of(src, "return b");
	CHECK(call_line > 0 && body_first > 0 && body_last > body_first);
	if (!b || gobin__func_by_name(b, "main.leakHeap", &entry, &end)) {
		CHECK(!"main.leakHeap");
		gobin__free(b);
		return;
	}
	for (uint64_t pc = entry; pc < end; pc++) {
		struct gobin_frame fr[8];
		int n = gobin__func_at(b, pc, fr, 8);

		if (n < 1 || strcmp(fr[0].func, "main.makeBuffer"))
			continue;
		seen++;
		CHECK_EQ_I(n, 2);
		CHECK(fr[0].inlined);
		CHECK(fr[0].line >= body_first && fr[0].line <= body_last);
		CHECK(fr[0].file && strstr(fr[0].file, "goleaky/main.go"));
		CHECK_EQ_S(fr[1].func, "main.leakHeap");
		CHECK(!fr[1].inlined);
		CHECK_EQ_I(fr[1].line, call_line);
		CHECK_EQ_U(fr[1].entry, entry);
		/* With max 1, only the real function. */
		CHECK_EQ_I(gobin__func_at(b, pc, fr, 1), 1);
		CHECK_EQ_S(fr[0].func, "main.leakHeap");
		if (check_failures)
			break;
	}
	CHECK(seen > 4);
	gobin__free(b);
}

/* Duplicated names: the chosen one is nm's plain name, the others are
 * nm's NAME.abi0 wrappers. */
TEST_NEEDING(gobin_by_name_prefers_abiinternal, have_fixtures)
{
	const char *path = fixture("");
	struct gobin *b = open_ok(path, 0);
	size_t nsyms, dups = 0;
	struct nm_sym *syms = nm_text(path, &nsyms);
	const char *prev = "";

	for (size_t i = 0; b && i < gobin__nfuncs(b); i++) {
		struct gobin_func f, c[4];
		int n;

		gobin__func(b, i, &f);
		n = gobin__funcs_by_name(b, f.name, c, 4);
		CHECK(n >= 1);
		if (n < 2 || !strcmp(prev, f.name))
			continue;
		prev = f.name;
		dups++;
		if (!nm_has(syms, nsyms, c[0].entry, f.name, false))
			fprintf(stderr, "  %s: chose %#lx\n", f.name, c[0].entry);
		CHECK(nm_has(syms, nsyms, c[0].entry, f.name, false));
		CHECK(!c[0].abi0);
		for (int k = 1; k < n && k < 4; k++) {
			CHECK(nm_has(syms, nsyms, c[k].entry, f.name, true));
			CHECK(c[k].abi0);
			CHECK(c[0].wrapper != c[k].wrapper);
		}
	}
	CHECK(dups >= 5);
	/* And a plain one. */
	{
		uint64_t entry = 0, end = 0;

		CHECK_EQ_I(gobin__func_by_name(b, "runtime.newproc1", &entry, &end), 0);
		CHECK(nm_has(syms, nsyms, entry, "runtime.newproc1", false));
		CHECK(end > entry);
		CHECK_EQ_I(gobin__func_by_name(b, "no.such.function", &entry, &end), -ENOENT);
	}
	nm_free(syms, nsyms);
	gobin__free(b);
}

/* The decoded prologue against objdump's disassembly of the same bytes,
 * and the file offset against objdump -F. */
TEST_NEEDING(gobin_prologue_and_offset_match_objdump, have_fixtures)
{
	static const char *funcs[] = { "runtime.newproc1", "runtime.mallocgc",
				       "main.leakHeap", "main.leakGoroutines" };
	const char *paths[] = { fixture(""), fixture(".pie") };

	for (int p = 0; p < 2; p++) {
		struct gobin *b = open_ok(paths[p], 0);
		int fd = open(paths[p], O_RDONLY);

		for (size_t i = 0; b && i < ARRAY_SIZE(funcs); i++) {
			struct gobin_prologue pro;
			uint64_t entry, end, off = 0, a[3] = { 0 };
			unsigned long long foff = 0;
			char *out, *l, *save = NULL, *at;
			char mn[3][64] = { "", "", "" };
			uint8_t disk[16];
			int k = 0;

			CHECK_EQ_I(gobin__func_by_name(b, funcs[i], &entry, &end), 0);
			CHECK_EQ_I(gobin__prologue(b, entry, &pro), 0);
			CHECK(pro.stack_check);
			out = run("objdump -d -F --no-show-raw-insn --start-address=%#lx --stop-address=%#lx %s",
				  entry, entry + 24, paths[p]);
			at = strstr(out, "File Offset: 0x");
			if (at)
				foff = strtoull(at + 13, NULL, 16);
			for (l = strtok_r(out, "\n", &save); l && k < 3; l = strtok_r(NULL, "\n", &save)) {
				char *end_;
				uint64_t addr = strtoull(l, &end_, 16);

				if (end_ == l || *end_ != ':')
					continue;
				a[k] = addr;
				sscanf(end_ + 1, "%63s", mn[k]);
				k++;
			}
			free(out);
			/* cmp 0x10(%r14),%rsp; jbe ...; then the body */
			CHECK_EQ_S(mn[0], "cmp");
			CHECK_EQ_S(mn[1], "jbe");
			CHECK_EQ_U(pro.check_addr, entry);
			CHECK_EQ_U(pro.jbe_addr, a[1]);
			CHECK_EQ_U(pro.body_addr, a[2]);
			CHECK_EQ_U(pro.jbe_len, a[2] - a[1]);
			CHECK_EQ_I(gobin__vaddr_to_offset(b, entry, &off), 0);
			CHECK_EQ_U(off, foff);
			CHECK(pread(fd, disk, sizeof(disk), off) == sizeof(disk) &&
			      !memcmp(disk, gobin__read(b, entry, sizeof(disk)),
				      sizeof(disk)));
		}
		CHECK_EQ_I(gobin__vaddr_to_offset(b, 0x10, &(uint64_t){ 0 }), -ENOENT);
		if (fd >= 0)
			close(fd);
		gobin__free(b);
	}
}

/* --- fixtures: runtime data --------------------------------------------- */

TEST_NEEDING(gobin_g_offsets_dwarf_equals_table_119, have_fixtures)
{
	struct gobin_g_offsets d, t, s;
	struct gobin *b = open_ok(fixture(""), 0);
	struct gobin *nodw = open_ok(fixture(""), GOBIN_IGNORE_DWARF);
	struct gobin *pie = open_ok(fixture(".pie"), 0);

	if (!b || !nodw || !pie) {
		CHECK(!"open");
		goto out;
	}
	CHECK(gobin__has_dwarf(b));
	CHECK_EQ_I(gobin__g_offsets(b, &d), 0);
	CHECK_EQ_I(d.source, GOBIN_SRC_DWARF);
	CHECK_EQ_I(gobin_g_offsets__table(1, 19, &t), 0);
	CHECK_EQ_I(t.source, GOBIN_SRC_TABLE);
	CHECK_EQ_I(t.goid, d.goid);
	CHECK_EQ_I(t.atomicstatus, d.atomicstatus);
	CHECK_EQ_I(t.waitreason, d.waitreason);
	CHECK_EQ_I(t.waitsince, d.waitsince);
	CHECK_EQ_I(t.gopc, d.gopc);
	CHECK_EQ_I(t.startpc, d.startpc);
	CHECK_EQ_I(t.parent_goid, d.parent_goid);	/* -1: 1.21+ only */
	CHECK_EQ_I(t.stack_hi, d.stack_hi);
	CHECK_EQ_I(t.sched_sp, d.sched_sp);
	CHECK_EQ_I(t.sched_pc, d.sched_pc);
	CHECK_EQ_I(t.sched_bp, d.sched_bp);
	CHECK_EQ_I(t.syscallsp, d.syscallsp);
	CHECK_EQ_I(t.syscallpc, d.syscallpc);
	CHECK_EQ_I(t.syscallbp, d.syscallbp);	/* -1: 1.23+ only */
	CHECK_EQ_I(t.m, d.m);
	CHECK_EQ_I(t.m_curg, d.m_curg);
	CHECK_EQ_I(d.goid, 152);			/* design notes */
	CHECK_EQ_I(gobin__g_offsets(nodw, &s), 0);
	CHECK_EQ_I(s.source, GOBIN_SRC_TABLE);
	CHECK_EQ_I(gobin__g_offsets(pie, &s), 0);
	CHECK_EQ_I(s.source, GOBIN_SRC_DWARF);
	CHECK_EQ_I(s.gopc, d.gopc);
	CHECK_EQ_I(gobin_g_offsets__table(1, 17, &s), -ENOTSUP);
	CHECK_EQ_I(gobin_g_offsets__table(2, 0, &s), -ENOTSUP);
out:
	gobin__free(b);
	gobin__free(nodw);
	gobin__free(pie);
}

static void check_same_waitreasons(struct gobin *a, struct gobin *b)
{
	size_t na = 0, nb = 0;

	CHECK_EQ_I(gobin__waitreasons(a, &na, NULL), 0);
	CHECK_EQ_I(gobin__waitreasons(b, &nb, NULL), 0);
	CHECK_EQ_U(nb, na);
	for (size_t i = 0; i < na && i < nb; i++)
		CHECK_EQ_S(gobin__waitreason_name(b, i), gobin__waitreason_name(a, i));
}

TEST_NEEDING(gobin_waitreasons_symtab_decode_scan_table, have_fixtures)
{
	struct gobin *sym = open_ok(fixture(""), 0);
	struct gobin *dec = open_ok(fixture(""), GOBIN_IGNORE_SYMTAB);
	struct gobin *scan = NULL;
	enum gobin_source src;
	uint64_t entry, end, off;
	size_t n, size;
	char *copy = NULL;
	uint8_t traps[16];

	if (!sym || !dec) {
		CHECK(!"open");
		goto out;
	}
	CHECK_EQ_I(gobin__waitreasons(sym, &n, &src), 0);
	CHECK_EQ_I(src, GOBIN_SRC_SYMTAB);
	CHECK_EQ_U(n, 27);	/* Go 1.19's runtime2.go */
	CHECK_EQ_S(gobin__waitreason_name(sym, 0), "");
	CHECK_EQ_S(gobin__waitreason_name(sym, 14), "chan receive");
	CHECK_EQ_I(gobin__waitreason_value(sym, "chan receive"), 14);
	CHECK_EQ_I(gobin__waitreason_value(sym, "select"), 9);
	CHECK_EQ_I(gobin__waitreason_value(sym, "no such reason"), -ENOENT);
	CHECK(gobin__waitreason_name(sym, 27) == NULL);
	CHECK_EQ_I(gobin__waitreasons(dec, &n, &src), 0);
	CHECK_EQ_I(src, GOBIN_SRC_DECODE);
	check_same_waitreasons(sym, dec);
	/* Break waitReason.String: the data scan must find the same. */
	CHECK_EQ_I(gobin__func_by_name(dec, "runtime.waitReason.String", &entry, &end), 0);
	CHECK_EQ_I(gobin__vaddr_to_offset(dec, entry, &off), 0);
	copy = copy_file(fixture(".stripped"), "nowrstring", &size);
	memset(traps, 0xcc, sizeof(traps));
	patch_file(copy, off, traps, sizeof(traps));
	scan = open_ok(copy, 0);
	if (scan) {
		CHECK_EQ_I(gobin__waitreasons(scan, &n, &src), 0);
		CHECK_EQ_I(src, GOBIN_SRC_SCAN);
		check_same_waitreasons(sym, scan);
	}
out:
	gobin__free(sym);
	gobin__free(dec);
	gobin__free(scan);
	if (copy)
		unlink(copy);
	free(copy);
}

/* Globals: .symtab against what a stripped reading finds (same file). */
TEST_NEEDING(gobin_globals_symtab_equals_stripped_reading, have_fixtures)
{
	static const char *names[] = {
		"runtime.firstmoduledata", "runtime.buildVersion",
		"runtime.waitReasonStrings", "runtime.allgs", "runtime.allglen",
		"runtime.allgptr",
	};
	const char *paths[] = { fixture(""), fixture(".pie"), fixture(".extpie") };

	for (int p = 0; p < 3; p++) {
		struct gobin *sym, *strip, *nosec;

		if (p == 2 && !exists(paths[p]))	/* needs gcc */
			break;
		sym = open_ok(paths[p], 0);
		strip = open_ok(paths[p], GOBIN_IGNORE_SYMTAB);
		nosec = open_ok(paths[p], GOBIN_IGNORE_SECTIONS);
		if (!sym || !strip || !nosec) {
			CHECK(!"open");
			continue;
		}
		for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
			uint64_t want = 0, got = 0;
			enum gobin_source s1, s2;

			CHECK_EQ_I(gobin__global(sym, names[i], &want, &s1), 0);
			CHECK_EQ_I(s1, GOBIN_SRC_SYMTAB);
			CHECK_EQ_I(gobin__global(strip, names[i], &got, &s2), 0);
			CHECK(s2 == GOBIN_SRC_SCAN || s2 == GOBIN_SRC_DECODE);
			if (got != want)
				fprintf(stderr, "  %s in %s\n", names[i], paths[p]);
			CHECK_EQ_U(got, want);
			got = 0;
			CHECK_EQ_I(gobin__global(nosec, names[i], &got, NULL), 0);
			CHECK_EQ_U(got, want);
		}
		{
			uint64_t a = 0;

			CHECK_EQ_I(gobin__global(strip, "runtime.nosuchvar", &a, NULL), -ENOTSUP);
			CHECK_EQ_I(gobin__global(sym, "runtime.nosuchvar", &a, NULL), -ENOENT);
			/* funcdata base: go.func.* against the moduledata word */
			CHECK(gobin__gofunc(sym) != 0);
			CHECK_EQ_U(gobin__gofunc(strip), gobin__gofunc(sym));
			CHECK_EQ_U(gobin__gofunc(nosec), gobin__gofunc(sym));
		}
		gobin__free(sym);
		gobin__free(strip);
		gobin__free(nosec);
	}
}

/* --- live processes: the offsets against a running runtime ------------- */

struct live {
	pid_t pid;
	int stdin_w;
};

/* Starts path with a pipe on stdin that is kept open (esbuild, LSP
 * servers and the fixture then wait) and output to /dev/null. */
static bool live_start(struct live *l, const char *rel, const char *a1,
		       const char *a2, const char *a3)
{
	char path[PATH_MAX];
	char *argv[] = { path, (char *)a1, (char *)a2, (char *)a3, NULL };
	char mem[64];
	int p[2];

	if (!realpath(rel, path) || pipe(p))
		return false;
	l->pid = fork();
	if (l->pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(p[0], 0);
		dup2(null, 1);
		dup2(null, 2);
		close(p[1]);
		if (chdir("/tmp"))
			_exit(126);
		execv(path, argv);
		_exit(127);
	}
	close(p[0]);
	l->stdin_w = p[1];
	if (l->pid <= 0)
		return false;
	/* Read before the exec, memory would be the forked copy of this
	 * process: wait until the new program runs. */
	snprintf(mem, sizeof(mem), "/proc/%d/exe", l->pid);
	for (int t = 0; t < 200; t++) {
		char exe[4096], self[4096];
		ssize_t n = readlink(mem, exe, sizeof(exe) - 1);
		ssize_t m = readlink("/proc/self/exe", self, sizeof(self) - 1);

		if (n > 0 && m > 0 && (n != m || memcmp(exe, self, n)))
			break;
		usleep(10000);
	}
	return true;
}

static void live_stop(struct live *l)
{
	if (l->pid > 0) {
		kill(l->pid, SIGKILL);
		waitpid(l->pid, NULL, 0);
	}
	close(l->stdin_w);
}

static uint64_t peek(struct live *l, uint64_t addr, int size)
{
	uint64_t v = 0;
	struct iovec local = { &v, size }, remote = { (void *)addr, size };

	/* process_vm_readv rather than /proc/PID/mem: the same check
	 * (ptrace access), and valgrind passes it through. */
	if (process_vm_readv(l->pid, &local, 1, &remote, 1, 0) != size) {
		if (getenv("GOBIN_TEST_DEBUG"))
			fprintf(stderr, "  peek %#lx: %s\n", addr, strerror(errno));
		return UINT64_MAX;
	}
	return v;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Reads allgs in the running process (non-PIE: link-time addresses are
 * run-time addresses) and checks every field of the layout. With
 * main_reason, goroutine 1 must be waiting for that reason. */
static void check_live(const char *path, const char *a1, const char *a2,
		       const char *a3, const char *main_reason)
{
	struct gobin *b = open_ok(path, 0);
	struct gobin_g_offsets g;
	uint64_t allgs, allglen, allgptr, n = 0, prev = 0;
	int waiting = 0, checked_pcs = 0;
	struct live l = { -1, -1 };
	uint64_t goids[256];

	if (!b || gobin__is_pie(b) || gobin__g_offsets(b, &g) ||
	    gobin__global(b, "runtime.allgs", &allgs, NULL) ||
	    gobin__global(b, "runtime.allglen", &allglen, NULL) ||
	    gobin__global(b, "runtime.allgptr", &allgptr, NULL) ||
	    !live_start(&l, path, a1, a2, a3)) {
		CHECK(!"setup");
		goto out;
	}
	/* Wait until the goroutine count holds still for 300 ms. */
	for (int t = 0, stable = 0; t < 100 && stable < 6; t++) {
		sleep_ms(50);
		n = peek(&l, allglen, 8);
		stable = n == prev && n > 1 && n < 100000 ? stable + 1 : 0;
		prev = n;
	}
	if (main_reason)	/* until main has parked */
		for (int t = 0; t < 100; t++) {
			uint64_t g1 = peek(&l, peek(&l, allgptr, 8), 8);
			const char *r = gobin__waitreason_name(
				b, (unsigned)peek(&l, g1 + g.waitreason, 1));

			if (r && !strcmp(r, main_reason))
				break;
			sleep_ms(50);
		}
	CHECK(n > 1 && n < 100000);
	CHECK_EQ_U(peek(&l, allgs + 8, 8), n);		/* len(allgs) */
	CHECK_EQ_U(peek(&l, allgs, 8), peek(&l, allgptr, 8));
	for (uint64_t i = 0; i < n && i < ARRAY_SIZE(goids); i++) {
		uint64_t gp = peek(&l, peek(&l, allgptr, 8) + 8 * i, 8);
		uint64_t goid = peek(&l, gp + g.goid, 8);
		uint32_t status = (uint32_t)peek(&l, gp + g.atomicstatus, 4) & ~0x1000u;
		unsigned reason = (unsigned)peek(&l, gp + g.waitreason, 1);
		uint64_t startpc = peek(&l, gp + g.startpc, 8);
		uint64_t gopc = peek(&l, gp + g.gopc, 8);
		struct gobin_frame fr[8];

		goids[i] = goid;
		CHECK(status <= 10);	/* _Gidle .. _Gpreempted (+1) */
		if (i == 0) {
			CHECK_EQ_U(goid, 1);	/* main goroutine first */
			if (main_reason) {
				CHECK_EQ_U(status, 4);	/* _Gwaiting */
				CHECK_EQ_S(gobin__waitreason_name(b, reason), main_reason);
			}
		}
		if (status == 6)	/* _Gdead: fields are stale */
			continue;
		CHECK(goid >= 1 && goid < 1000000);
		for (uint64_t j = 0; j < i; j++)
			if (goids[j] == goid) {
				CHECK(!"unique goid");
				break;
			}
		if (status == 4) {
			uint64_t lo = peek(&l, gp, 8), hi = peek(&l, gp + g.stack_hi, 8);
			uint64_t sp = peek(&l, gp + g.sched_sp, 8);
			uint64_t pc = peek(&l, gp + g.sched_pc, 8);

			waiting++;
			CHECK(gobin__waitreason_name(b, reason) != NULL);
			/* parked: it stopped on its own stack, in a function */
			CHECK(lo < hi && sp >= lo && sp < hi);
			CHECK(gobin__func_at(b, pc, fr, 8) >= 1);
		}
		if (g.parent_goid >= 0 && goid > 1)
			CHECK(peek(&l, gp + g.parent_goid, 8) < goid);
		if (goid > 1 && startpc) {
			/* startpc is a function entry, gopc inside one */
			if (gobin__func_at(b, startpc, fr, 8) >= 1)
				CHECK_EQ_U(fr[0].entry, startpc);
			else
				CHECK(!"startpc in a function");
			CHECK(gobin__func_at(b, gopc, fr, 8) >= 1);
			checked_pcs++;
		}
		/* waitsince: 0 or a nanotime() in the past */
		CHECK(peek(&l, gp + g.waitsince, 8) < (uint64_t)INT64_MAX);
		if (check_failures) {
			fprintf(stderr, "  %s: g %lu at %#lx\n", path, i, gp);
			break;
		}
	}
	CHECK(waiting >= 1);
	CHECK(checked_pcs >= 1);
out:
	if (l.pid > 0)
		live_stop(&l);
	gobin__free(b);
}

TEST_NEEDING(gobin_live_fixture_offsets, have_fixtures)
{
	check_live(fixture(".stripped"), NULL, NULL, NULL, "chan receive");
	check_live(fixture(""), NULL, NULL, NULL, "chan receive");
}

/* --- malformed input ---------------------------------------------------- */

TEST(gobin_rejects_non_go_and_garbage)
{
	const char *why = "";
	char path[] = "/tmp/gobin_test.garbage.XXXXXX";
	int fd = mkstemp(path);
	uint8_t junk[8192];
	enum gobin_fault fault = GOBIN_OK;
	struct gobin *b;

	errno = 0;
	CHECK(gobin__open_flags("/nonexistent/leakscope", 0, &why, &fault) == NULL);
	CHECK_EQ_I(errno, ENOENT);
	CHECK(strstr(why, "cannot open") != NULL);
	CHECK_EQ_I(fault, GOBIN_UNREADABLE);

	srand(7);
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = rand();
	CHECK(write(fd, junk, sizeof(junk)) == sizeof(junk));
	close(fd);
	b = gobin__open_flags(path, 0, &why, &fault);
	CHECK(b == NULL);
	CHECK_EQ_S(why, "not an ELF file");
	CHECK_EQ_I(fault, GOBIN_NOT_ELF);
	CHECK(truncate(path, 0) == 0);
	CHECK(gobin__open(path, &why) == NULL);
	CHECK_EQ_S(why, "not an ELF file");
	unlink(path);

	b = gobin__open_flags("/bin/ls", 0, &why, &fault);
	CHECK(b == NULL);
	CHECK(strstr(why, "not a Go binary") != NULL);
	CHECK_EQ_I(fault, GOBIN_NOT_GO);
	CHECK(gobin__open_flags("/tmp", 0, &why, &fault) == NULL);
	CHECK_EQ_I(fault, GOBIN_NOT_ELF);
	gobin__free(NULL);
}

static void check_old_magic(uint32_t magic, const char *expect)
{
	const char *path = fixture(".stripped");
	uint64_t off = section_offset(path, ".gopclntab", NULL);
	const char *why = "";
	size_t size;
	char *copy = copy_file(path, "oldmagic", &size);
	enum gobin_fault fault = GOBIN_OK;
	struct gobin *b;

	CHECK(off != 0);
	patch_file(copy, off, &magic, 4);
	errno = 0;
	b = gobin__open_flags(copy, 0, &why, &fault);
	CHECK(b == NULL);
	CHECK_EQ_I(errno, ENOTSUP);
	CHECK_EQ_I(fault, GOBIN_UNSUPPORTED);
	CHECK(strstr(why, expect) != NULL);
	gobin__free(b);
	unlink(copy);
	free(copy);
}

TEST_NEEDING(gobin_rejects_go_older_than_118, have_fixtures)
{
	uint8_t hdr[80] = { 0xfa, 0xff, 0xff, 0xff, 0, 0, 1, 8 };
	const char *why = "";
	struct gopclntab t;

	check_old_magic(GOPCLNTAB_MAGIC_116, "older than 1.18");
	check_old_magic(GOPCLNTAB_MAGIC_12, "older than 1.18");
	CHECK_EQ_I(gopclntab__init(&t, hdr, sizeof(hdr), 0, &why), -ENOTSUP);
	CHECK_EQ_S(why, "Go 1.16/1.17 pclntab (older than 1.18) is not supported");
	hdr[0] = 0x12;
	CHECK_EQ_I(gopclntab__init(&t, hdr, sizeof(hdr), 0, &why), -EINVAL);
}

/* Truncated files: open fails cleanly or reads only what is there. */
TEST_NEEDING(gobin_truncated_files, have_fixtures)
{
	const char *path = fixture(".stripped");
	uint64_t size_pcln = 0, off = section_offset(path, ".gopclntab", &size_pcln);
	size_t size;
	char *copy = copy_file(path, "trunc", &size);
	uint64_t cuts[] = { 52, 64, 200, 4096, off + 8, off + 72, off + 100,
			    off + size_pcln / 3, off + size_pcln / 2,
			    off + size_pcln - 1, size / 2, size - 1 };
	int opened = 0;

	for (size_t i = 0; i < ARRAY_SIZE(cuts); i++) {
		const char *why = "";
		struct gobin *b;
		size_t s2;
		char *c = copy_file(path, "trunc", &s2);

		CHECK(truncate(c, cuts[i]) == 0);
		b = gobin__open(c, &why);
		if (b) {
			opened++;
			walk_everything(b);
			gobin__free(b);
		} else {
			CHECK(why && why[0]);
		}
		unlink(c);
		free(c);
	}
	/* Cut inside the table: never a valid table. */
	CHECK(opened < (int)ARRAY_SIZE(cuts));
	unlink(copy);
	free(copy);
}

/* The table itself, truncated at every length near the start and at many
 * lengths after, then with random bytes corrupted: never out of bounds
 * (run under valgrind or ASan to see that). */
TEST_NEEDING(gobin_pclntab_truncated_and_corrupted_in_memory, have_fixtures)
{
	const char *path = fixture(".stripped");
	uint64_t size = 0, off = section_offset(path, ".gopclntab", &size);
	int fd = open(path, O_RDONLY);
	uint8_t *tab = malloc(size), *bad = malloc(size);
	int ok_inits = 0, rejected = 0;

	CHECK(fd >= 0 && pread(fd, tab, size, off) == (ssize_t)size);
	close(fd);
	for (uint64_t len = 0; len < size; len = len < 300 ? len + 1 : len + size / 97) {
		struct gopclntab t;
		const char *why = "";
		uint8_t *copy = malloc(len ? len : 1);	/* exact size for valgrind */

		memcpy(copy, tab, len);
		if (gopclntab__init(&t, copy, len, 0x1000, &why)) {
			rejected++;
			CHECK(why && why[0]);
		} else {
			ok_inits++;
			for (uint32_t i = 0; i < t.nfunc; i += 7) {
				struct gopclntab_func f;
				const char *file;
				int line;
				int32_t v;

				if (gopclntab__func(&t, i, &f))
					continue;
				gopclntab__fileline(&t, &f, f.entry + 5, &file, &line);
				gopclntab__pcdata(&t, &f, 2, f.entry + 5, &v);
				gopclntab__find_pc(&t, f.entry + 1, &f);
			}
		}
		free(copy);
	}
	CHECK(rejected > 300);
	srand(42);
	for (int round = 0; round < 20; round++) {
		struct gopclntab t;
		const char *why = "";

		memcpy(bad, tab, size);
		for (int k = 0; k < 3000; k++)
			bad[8 + rand() % (size - 8)] = rand();
		if (gopclntab__init(&t, bad, size, 0x400000, &why))
			continue;
		for (uint32_t i = 0; i < t.nfunc; i++) {
			struct gopclntab_func f;
			struct gopclntab_inl inl;
			const char *file;
			int line;
			int32_t v;

			if (gopclntab__func(&t, i, &f))
				continue;
			gopclntab__fileline(&t, &f, f.entry + 3, &file, &line);
			gopclntab__fileline(&t, &f, f.end - 1, &file, &line);
			gopclntab__pcdata(&t, &f, 2, f.entry + 3, &v);
			gopclntab__inl(&t, &f, 0, &inl);
		}
	}
	CHECK(ok_inits > 0);
	free(tab);
	free(bad);
}

/* --- real stripped binaries from npm ------------------------------------ */

struct npm_bin {
	const char *path;	/* under the fetch directory */
	const char *version;	/* as `strings` shows it */
	const char *args[3];	/* makes it wait on stdin, for the live test */
};

static const struct npm_bin npm_bins[] = {
	{ "esbuild-linux-64-0.14.39/package/bin/esbuild", "go1.18.1", { NULL } },
	{ "esbuild-linux-x64-0.15.18/package/bin/esbuild", "go1.19.3", { NULL } },
	{ "esbuild-linux-x64-0.17.19/package/bin/esbuild", "go1.20.4", { NULL } },
	{ "bufbuild-buf-linux-x64-1.28.1/package/bin/buf", "go1.21.4", { "beta", "studio-agent", "--port=0" } },
	{ "esbuild-linux-x64-0.23.1/package/bin/esbuild", "go1.22.5", { NULL } },
	{ "esbuild-linux-x64-0.24.2/package/bin/esbuild", "go1.23.1", { NULL } },
	{ "bufbuild-buf-linux-x64-1.55.1/package/bin/buf", "go1.24.4", { "beta", "lsp" } },
	{ "esbuild-linux-x64-0.27.7/package/bin/esbuild", "go1.25.7", { NULL } },
	{ "esbuild-linux-x64-0.28.2/package/bin/esbuild", "go1.26.5", { NULL } },
	{ "typescript-native-preview-linux-x64-7.0.0-dev.20260707.2/package/lib/tsgo", "go1.26.4", { "--lsp", "--stdio" } },
	{ "bufbuild-buf-linux-x64-1.75.0/package/bin/buf", "go1.27.3", { "lsp", "serve" } },
};

static const char *npm_path(size_t i)
{
	static char path[1200];
	const char *env = getenv("LEAKSCOPE_GO_BINARIES");

	if (env)
		snprintf(path, sizeof(path), "%s/%s", env, npm_bins[i].path);
	else
		snprintf(path, sizeof(path), "%s/tests/.cache/go-binaries/%s",
			 root(), npm_bins[i].path);
	return path;
}

/* Whether function fn has an instruction id with a memory operand
 * disp(%reg) (not RIP/RSP-based) of the given width, as destination
 * (store) or source. */
static bool has_access(struct gobin *b, csh cs, const char *fn, unsigned id,
		       int width, bool store, int64_t disp)
{
	uint64_t entry, end;
	const uint8_t *code;
	cs_insn *in;
	size_t n;
	bool found = false;

	if (gobin__func_by_name(b, fn, &entry, &end) ||
	    !(code = gobin__read(b, entry, end - entry)))
		return false;
	n = cs_disasm(cs, code, end - entry, entry, 0, &in);
	for (size_t i = 0; i < n && !found; i++) {
		const cs_x86 *x = &in[i].detail->x86;
		int mem = store ? 0 : 1;

		if (in[i].id != id || x->op_count < 2)
			continue;
		found = x->operands[mem].type == X86_OP_MEM &&
			x->operands[mem].size == width &&
			x->operands[mem].mem.disp == disp &&
			x->operands[mem].mem.base != X86_REG_RIP &&
			x->operands[mem].mem.base != X86_REG_RSP;
	}
	if (n)
		cs_free(in, n);
	return found;
}

static void check_npm_binary(size_t idx)
{
	static const char *required[] = {
		"runtime.newproc1", "runtime.mallocgc", "runtime.profilealloc",
		"runtime.casgstatus", "runtime.goexit0", "runtime.gdestroy",
		"runtime.newproc", "runtime.gopark",
	};
	const char *path = npm_path(idx);
	struct gobin *b = open_ok(path, 0);
	struct gobin *nosec = open_ok(path, GOBIN_IGNORE_SECTIONS);
	const struct gobin_version *v;
	struct gobin_g_offsets g;
	uint64_t md, text, bv;
	size_t nwr;
	csh cs;

	if (!b || !nosec) {
		CHECK(!"open");
		goto out;
	}
	v = gobin__version(b);
	CHECK_EQ_S(v->str, npm_bins[idx].version);
	CHECK_EQ_S(gobin__version(nosec)->str, npm_bins[idx].version);
	CHECK(!gobin__has_symtab(b));
	CHECK_EQ_U(gobin__nfuncs(nosec), gobin__nfuncs(b));

	for (size_t i = 0; i < ARRAY_SIZE(required); i++) {
		struct gobin_func c[4];
		struct gobin_frame fr[8];
		struct gobin_prologue pro;
		uint64_t e2 = 0, end2 = 0;
		int n = gobin__funcs_by_name(b, required[i], c, 4), nf;

		/* gdestroy was split out of goexit0 in 1.22 */
		if (!strcmp(required[i], "runtime.gdestroy") && v->minor < 22) {
			CHECK_EQ_I(n, 0);
			continue;
		}
		if (n < 1) {
			fprintf(stderr, "  %s: %s not found\n", path, required[i]);
			CHECK(!"function found");
			continue;
		}
		CHECK(!c[0].abi0);
		CHECK(!c[0].wrapper);
		CHECK_EQ_I(gobin__prologue(b, c[0].entry, &pro), 0);
		if (!strcmp(required[i], "runtime.casgstatus")) {
			/* nosplit: no stack check */
			CHECK(!c[0].stack_check);
		} else {
			CHECK(c[0].stack_check);	/* ABIInternal */
			CHECK(pro.jbe_addr > c[0].entry &&
			      pro.jbe_addr < c[0].entry + 16);
			/* frame pointer pushed right after the jbe from 1.21 */
			if (v->minor >= 21)
				CHECK_EQ_U(pro.push_rbp_addr, pro.body_addr);
		}
		nf = gobin__func_at(b, c[0].entry, fr, 8);
		CHECK(nf >= 1);
		if (nf >= 1) {
			CHECK_EQ_S(fr[nf - 1].func, required[i]);
			CHECK_EQ_U(fr[nf - 1].entry, c[0].entry);
			CHECK(fr[nf - 1].file && strstr(fr[nf - 1].file, "runtime/"));
			CHECK(fr[nf - 1].line > 0);
		}
		CHECK_EQ_I(gobin__func_by_name(nosec, required[i], &e2, &end2), 0);
		CHECK_EQ_U(e2, c[0].entry);
		CHECK_EQ_U(end2, c[0].end);
	}

	/* moduledata.text is where function offsets start (1.26+: textStart
	 * is 0 in the pclntab header) and is .text's address. */
	CHECK_EQ_I(gobin__moduledata(b, &md, NULL), 0);
	text = *(const uint64_t *)gobin__read(b, md + 22 * 8, 8);
	{
		char *out = run("readelf -SW %s | grep -F ' .text ' | head -1", path);
		char *p = strchr(out, ']');
		char name[64], type[64];
		unsigned long long addr = 0;

		CHECK(p && sscanf(p + 1, "%63s %63s %llx", name, type, &addr) == 3);
		CHECK_EQ_U(text, addr);
		free(out);
	}

	/* runtime.buildVersion found in the data holds the version. */
	CHECK_EQ_I(gobin__global(b, "runtime.buildVersion", &bv, NULL), 0);
	{
		uint64_t ptr = *(const uint64_t *)gobin__read(b, bv, 8);
		uint64_t len = *(const uint64_t *)gobin__read(b, bv + 8, 8);
		const char *s = (const char *)gobin__read(b, ptr, len);

		CHECK(s && len == strlen(v->str) && !memcmp(s, v->str, len));
	}

	/* allgs, allglen, allgptr: three distinct words in writable memory */
	{
		uint64_t a[3] = { 0 };

		CHECK_EQ_I(gobin__global(b, "runtime.allgs", &a[0], NULL), 0);
		CHECK_EQ_I(gobin__global(b, "runtime.allglen", &a[1], NULL), 0);
		CHECK_EQ_I(gobin__global(b, "runtime.allgptr", &a[2], NULL), 0);
		CHECK(a[0] && a[1] && a[2] && a[0] != a[1] && a[1] != a[2] &&
		      a[0] != a[2]);
		CHECK(a[0] > md && a[1] > md && a[2] > md);
	}

	/* The g layout table against this release's own code. */
	CHECK_EQ_I(gobin__g_offsets(b, &g), 0);
	CHECK_EQ_I(g.source, GOBIN_SRC_TABLE);
	CHECK(cs_open(CS_ARCH_X86, CS_MODE_64, &cs) == CS_ERR_OK);
	cs_option(cs, CS_OPT_DETAIL, CS_OPT_ON);
	CHECK(has_access(b, cs, "runtime.casgstatus", X86_INS_CMPXCHG, 4, true, g.atomicstatus));
	CHECK(has_access(b, cs, "runtime.newproc1", X86_INS_MOV, 8, true, g.goid));
	CHECK(has_access(b, cs, "runtime.newproc1", X86_INS_MOV, 8, true, g.gopc));
	CHECK(has_access(b, cs, "runtime.newproc1", X86_INS_MOV, 8, true, g.startpc));
	if (v->minor >= 21) {
		CHECK(g.parent_goid > 0);
		CHECK(has_access(b, cs, "runtime.newproc1", X86_INS_MOV, 8, false, g.goid));
		CHECK(has_access(b, cs, "runtime.newproc1", X86_INS_MOV, 8, true, g.parent_goid));
	} else {
		CHECK_EQ_I(g.parent_goid, -1);
	}
	CHECK(has_access(b, cs, "runtime.gopark", X86_INS_MOV, 1, true, g.waitreason));
	CHECK_EQ_I(g.waitsince, g.goid + 16);	/* goid, schedlink, waitsince */
	/* where a parked goroutine stopped: mcall saves its caller's pc, sp
	 * and frame pointer in g.sched */
	CHECK(has_access(b, cs, "runtime.mcall", X86_INS_MOV, 8, true, g.sched_pc));
	CHECK(has_access(b, cs, "runtime.mcall", X86_INS_MOV, 8, true, g.sched_sp));
	CHECK(has_access(b, cs, "runtime.mcall", X86_INS_MOV, 8, true, g.sched_bp));
	/* ... and one in a system call: reentersyscall saves them apart */
	CHECK(has_access(b, cs, "runtime.reentersyscall", X86_INS_MOV, 8, true, g.syscallsp));
	CHECK(has_access(b, cs, "runtime.reentersyscall", X86_INS_MOV, 8, true, g.syscallpc));
	if (v->minor >= 23)
		CHECK(has_access(b, cs, "runtime.reentersyscall", X86_INS_MOV, 8, true,
				 g.syscallbp));
	else
		CHECK_EQ_I(g.syscallbp, -1);
	/* the goroutine behind the system stack: systemstack loads g.m and,
	 * on its way back, m.curg */
	CHECK(has_access(b, cs, "runtime.systemstack", X86_INS_MOV, 8, false, g.m));
	CHECK(has_access(b, cs, "runtime.systemstack", X86_INS_MOV, 8, false, g.m_curg));
	cs_close(&cs);

	/* Wait reasons from the binary: "chan receive" moved in 1.26. */
	CHECK_EQ_I(gobin__waitreasons(b, &nwr, NULL), 0);
	CHECK(nwr >= 27 && nwr < 100);
	CHECK_EQ_S(gobin__waitreason_name(b, 1), "GC assist marking");
	CHECK_EQ_I(gobin__waitreason_value(b, "chan receive"), v->minor >= 26 ? 19 : 14);
	CHECK_EQ_I(gobin__waitreason_value(b, "chan send"), v->minor >= 26 ? 20 : 15);

	CHECK(walk_everything(b) == gobin__nfuncs(b));
	check_live(path, npm_bins[idx].args[0], npm_bins[idx].args[1],
		   npm_bins[idx].args[2], NULL);
out:
	gobin__free(b);
	gobin__free(nosec);
}

#define NPM_TEST(n, idx)                                                   \
	static bool have_npm_##n(const char **why)                         \
	{                                                                  \
		if (exists(npm_path(idx)))                                 \
			return true;                                       \
		*why = "no binary (run scripts/fetch-go-binaries.sh "      \
		       "tests/.cache/go-binaries)";                        \
		return false;                                              \
	}                                                                  \
	TEST_NEEDING(gobin_npm_##n, have_npm_##n)                               \
	{                                                                  \
		check_npm_binary(idx);                                     \
	}

NPM_TEST(go118_esbuild, 0)
NPM_TEST(go119_esbuild, 1)
NPM_TEST(go120_esbuild, 2)
NPM_TEST(go121_buf, 3)
NPM_TEST(go122_esbuild, 4)
NPM_TEST(go123_esbuild, 5)
NPM_TEST(go124_buf, 6)
NPM_TEST(go125_esbuild_no_buildinfo, 7)
NPM_TEST(go126_esbuild_no_buildinfo, 8)
NPM_TEST(go126_tsgo, 9)
NPM_TEST(go127_buf, 10)
