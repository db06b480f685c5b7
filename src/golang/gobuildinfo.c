// SPDX-License-Identifier: MIT
/*
 * The Go version a binary was built with, tried in this order:
 *
 * 1. .go.buildinfo: 32-byte header "\xff Go buildinf:", pointer size,
 *    flags. Flag 0x2 (Go 1.18+): the version and module info follow the
 *    header as uvarint-length-prefixed strings. Without it (older
 *    toolchains): two pointers at offset 16 to Go string headers
 *    {data, len}. The header is found by section name or, when section
 *    headers are gone, by its magic at a 16-byte boundary of a writable
 *    segment.
 * 2. runtime.buildVersion, a Go string variable: by symbol when .symtab
 *    is there.
 * 3. Stripped binaries with no build info (esbuild ships so): the string
 *    header of runtime.buildVersion still sits in the data segment. Every
 *    8-aligned {pointer, length} pair in writable segments whose bytes
 *    read exactly "go1.N", "go1.N.M" or "go1.NrcK" is a candidate; one
 *    distinct candidate wins, several are resolved in favour of the most
 *    specific (with a patch or rc number), then the newest.
 * 4. Otherwise unknown (all zero): the pclntab magic only tells 1.18-1.19
 *    from 1.20+, which callers can read from the table if they must.
 */
#include "golang/gobin_int.h"
#include "base/util.h"

#include <ctype.h>
#include <string.h>

#define BUILDINFO_MAGIC "\xff Go buildinf:"
#define BUILDINFO_MAGIC_LEN 14
#define BUILDINFO_HDR 32

bool gobin_parse_version(const char *s, size_t len, struct gobin_version *v)
{
	const char *end = s + len, *p = NULL, *q;
	size_t n;

	for (const char *c = s; c + 4 <= end; c++)
		if (!memcmp(c, "go1.", 4) && c + 4 < end && isdigit((unsigned char)c[4])) {
			p = c;
			break;
		}
	if (!p)
		return false;
	memset(v, 0, sizeof(*v));
	v->major = 1;
	q = p + 4;
	while (q < end && isdigit((unsigned char)*q) && v->minor < 10000)
		v->minor = v->minor * 10 + (*q++ - '0');
	if (q + 1 < end && *q == '.' && isdigit((unsigned char)q[1])) {
		q++;
		while (q < end && isdigit((unsigned char)*q) && v->patch < 10000)
			v->patch = v->patch * 10 + (*q++ - '0');
	}
	/* The string runs to the first space ("go1.22.0 X:boringcrypto"). */
	for (q = p; q < end && !isspace((unsigned char)*q) && *q; q++)
		;
	n = MIN((size_t)(q - p), sizeof(v->str) - 1);
	memcpy(v->str, p, n);
	v->str[n] = '\0';
	return true;
}

static bool read_uvarint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	uint64_t val = 0;

	for (int shift = 0; shift < 64; shift += 7) {
		uint8_t b;

		if (*p >= end)
			return false;
		b = *(*p)++;
		val |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*v = val;
			return true;
		}
	}
	return false;
}

bool gobin_read_u64(const struct gobin *bin, uint64_t vaddr, uint64_t *v)
{
	const uint8_t *p = gobin__read(bin, vaddr, 8);

	if (!p)
		return false;
	memcpy(v, p, 8);
	return true;
}

/* A Go string header {data, len} at vaddr. */
static bool read_gostring(const struct gobin *bin, uint64_t vaddr,
			  const char **s, size_t *len)
{
	uint64_t data, n;

	if (!gobin_read_u64(bin, vaddr, &data) ||
	    !gobin_read_u64(bin, vaddr + 8, &n) || n > 4096)
		return false;
	*s = (const char *)gobin__read(bin, data, n);
	*len = n;
	return *s != NULL;
}

bool gobin_parse_buildinfo(struct gobin *bin, const uint8_t *p, size_t avail)
{
	struct gobin_version v;
	const char *s;
	size_t len;

	if (avail < BUILDINFO_HDR || memcmp(p, BUILDINFO_MAGIC, BUILDINFO_MAGIC_LEN))
		return false;
	if (p[15] & 0x2) {
		const uint8_t *q = p + BUILDINFO_HDR, *end = p + avail;
		uint64_t n;

		if (!read_uvarint(&q, end, &n) || n > (uint64_t)(end - q))
			return false;
		s = (const char *)q;
		len = n;
	} else {
		uint64_t ptr;

		if (p[14] != 8 || (p[15] & 0x1))	/* 64-bit little-endian */
			return false;
		memcpy(&ptr, p + 16, 8);
		if (!read_gostring(bin, ptr, &s, &len))
			return false;
	}
	if (!gobin_parse_version(s, len, &v))
		return false;
	v.source = GOBIN_SRC_BUILDINFO;
	bin->version = v;
	return true;
}

static bool version_from_buildinfo(struct gobin *bin)
{
	const struct gobin_section *sec = gobin_section(bin, ".go.buildinfo");
	const uint8_t *d = gobin_section_data(bin, sec);

	if (d)
		return gobin_parse_buildinfo(bin, d, sec->size);
	for (size_t i = 0; i < bin->ei.nloads; i++) {
		const struct elf_segment *s = &bin->ei.loads[i];

		d = gobin_segment_data(bin, s);
		if (!d || !(s->flags & PF_W))
			continue;
		for (uint64_t off = 0; off + BUILDINFO_HDR <= s->filesz; off += 16)
			if (d[off] == 0xff &&
			    gobin_parse_buildinfo(bin, d + off, s->filesz - off))
				return true;
	}
	return false;
}

static bool version_from_symbol(struct gobin *bin)
{
	struct gobin_version v;
	uint64_t addr;
	const char *s;
	size_t len;

	if (!gobin_symbol(bin, "runtime.buildVersion", &addr, NULL) ||
	    !read_gostring(bin, addr, &s, &len) ||
	    !gobin_parse_version(s, len, &v))
		return false;
	v.source = GOBIN_SRC_SYMTAB;
	bin->version = v;
	return true;
}

/* Exactly "go1.N", "go1.N.M", "go1.NrcK" or "go1.NbetaK". */
static bool is_version_string(const char *s, size_t len)
{
	size_t i = 4;

	if (len < 5 || memcmp(s, "go1.", 4) || !isdigit((unsigned char)s[4]))
		return false;
	while (i < len && isdigit((unsigned char)s[i]))
		i++;
	if (i == len)
		return true;
	if (s[i] == '.')
		i++;
	else if (len - i > 2 && !memcmp(s + i, "rc", 2))
		i += 2;
	else if (len - i > 4 && !memcmp(s + i, "beta", 4))
		i += 4;
	else
		return false;
	if (i == len || !isdigit((unsigned char)s[i]))
		return false;
	while (i < len && isdigit((unsigned char)s[i]))
		i++;
	return i == len;
}

static bool better_version(const struct gobin_version *a, size_t alen,
			   const struct gobin_version *b, size_t blen)
{
	bool aspec = alen > 6 && strpbrk(a->str + 4, ".rcbeta");
	bool bspec = blen > 6 && strpbrk(b->str + 4, ".rcbeta");

	if (aspec != bspec)
		return aspec;
	if (a->minor != b->minor)
		return a->minor > b->minor;
	return a->patch > b->patch;
}

/* Fallback 3 (see the top): scan the data for runtime.buildVersion. */
int gobin_scan_version(const struct gobin *bin, struct gobin_version *best,
		       uint64_t *header_vaddr)
{
	size_t best_len = 0;
	int distinct = 0;

	for (size_t i = 0; i < bin->ei.nloads; i++) {
		const struct elf_segment *s = &bin->ei.loads[i];
		const uint8_t *d = gobin_segment_data(bin, s);

		if (!d || !(s->flags & PF_W))
			continue;
		for (uint64_t off = 0; off + 16 <= s->filesz; off += 8) {
			struct gobin_version v;
			uint64_t ptr, len;
			const char *str;

			memcpy(&len, d + off + 8, 8);
			if (len < 5 || len > 24)
				continue;
			memcpy(&ptr, d + off, 8);
			str = (const char *)gobin__read(bin, ptr, len);
			if (!str || !is_version_string(str, len) ||
			    !gobin_parse_version(str, len, &v))
				continue;
			if (distinct && !strcmp(v.str, best->str))
				continue;
			if (!distinct || better_version(&v, len, best, best_len)) {
				*best = v;
				best_len = len;
				if (header_vaddr)
					*header_vaddr = s->vaddr + off;
			}
			distinct++;
		}
	}
	best->source = GOBIN_SRC_SCAN;
	return distinct;
}

void gobin_read_version(struct gobin *bin)
{
	struct gobin_version v;

	memset(&bin->version, 0, sizeof(bin->version));
	if (version_from_buildinfo(bin) || version_from_symbol(bin))
		return;
	if (gobin_scan_version(bin, &v, NULL) > 0)
		bin->version = v;
}

const struct gobin_version *gobin__version(const struct gobin *bin)
{
	return &bin->version;
}

bool gobin__version_ge(const struct gobin *bin, int major, int minor)
{
	const struct gobin_version *v = &bin->version;

	if (!v->major)
		return false;
	return v->major > major || (v->major == major && v->minor >= minor);
}
