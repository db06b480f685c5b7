// SPDX-License-Identifier: MIT
/* Go function table parser; the format is described in gopclntab.h. */
#include "golang/gopclntab.h"

#include <errno.h>
#include <string.h>

#define HDR_WORDS 8
#define HDR_SIZE (8 + HDR_WORDS * 8)

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static uint64_t rd64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

int gopclntab__check_magic(const void *data, size_t size, const char **why)
{
	const uint8_t *p = data;
	uint32_t magic;

	if (size < 8) {
		*why = "truncated .gopclntab";
		return -EINVAL;
	}
	magic = rd32(p);
	switch (magic) {
	case GOPCLNTAB_MAGIC_118:
	case GOPCLNTAB_MAGIC_120:
		break;
	case GOPCLNTAB_MAGIC_116:
		*why = "Go 1.16/1.17 pclntab (older than 1.18) is not supported";
		return -ENOTSUP;
	case GOPCLNTAB_MAGIC_12:
		*why = "Go 1.2-1.15 pclntab (older than 1.18) is not supported";
		return -ENOTSUP;
	default:
		*why = "no Go pclntab magic (not a Go binary?)";
		return -EINVAL;
	}
	if (p[4] != 0 || p[5] != 0 || (p[6] != 1 && p[6] != 2 && p[6] != 4)) {
		*why = "corrupt .gopclntab header";
		return -EINVAL;
	}
	if (p[7] != 8) {
		*why = "32-bit Go pclntab is not supported";
		return -ENOTSUP;
	}
	return 0;
}

int gopclntab__init(struct gopclntab *t, const void *data, size_t size,
		    uint64_t vaddr, const char **why)
{
	const uint8_t *p = data;
	uint64_t w[HDR_WORDS];
	size_t offs[5];
	int err;

	memset(t, 0, sizeof(*t));
	err = gopclntab__check_magic(data, size, why);
	if (err)
		return err;
	if (size < HDR_SIZE) {
		*why = "truncated .gopclntab";
		return -EINVAL;
	}
	for (int i = 0; i < HDR_WORDS; i++)
		w[i] = rd64(p + 8 + 8 * i);
	t->data = p;
	t->size = size;
	t->vaddr = vaddr;
	t->magic = rd32(p);
	t->format = t->magic == GOPCLNTAB_MAGIC_118 ? 118 : 120;
	t->func_hdr_size = t->format == 118 ? 40 : 44;
	t->nfunc = w[0];
	t->nfiles = w[1];
	t->text_start = w[2];
	t->text_base = w[2];
	for (int i = 0; i < 5; i++) {
		if (w[3 + i] < HDR_SIZE || w[3 + i] > size) {
			*why = "truncated .gopclntab (sub-table offset past its end)";
			return -EINVAL;
		}
		offs[i] = w[3 + i];
	}
	/* Each sub-table runs to the next one; the linker lays them out in
	 * header order. If not, bound each by the end of the table. */
	for (int i = 0; i < 5; i++) {
		size_t end = size;

		if (i < 4 && offs[i + 1] >= offs[i])
			end = offs[i + 1];
		switch (i) {
		case 0: t->funcname_off = offs[i]; t->funcname_size = end - offs[i]; break;
		case 1: t->cu_off = offs[i]; t->cu_size = end - offs[i]; break;
		case 2: t->filetab_off = offs[i]; t->filetab_size = end - offs[i]; break;
		case 3: t->pctab_off = offs[i]; t->pctab_size = end - offs[i]; break;
		case 4: t->functab_off = offs[i]; t->functab_size = end - offs[i]; break;
		}
	}
	/* nfunc + 1 entries of 8 bytes; a table shorter than one entry
	 * must not wrap the bound around to SIZE_MAX. */
	if (t->nfunc == 0 || t->functab_size < 8 ||
	    t->nfunc > (t->functab_size / 8) - 1) {
		*why = "truncated .gopclntab (function table)";
		return -EINVAL;
	}
	return 0;
}

void gopclntab__set_text_base(struct gopclntab *t, uint64_t text_base)
{
	t->text_base = text_base;
}

static uint32_t ftab_entry(const struct gopclntab *t, uint64_t i)
{
	return rd32(t->data + t->functab_off + 8 * i);
}

static uint32_t ftab_funcoff(const struct gopclntab *t, uint64_t i)
{
	return rd32(t->data + t->functab_off + 8 * i + 4);
}

const char *gopclntab__name(const struct gopclntab *t, int32_t nameoff)
{
	const char *s;

	if (nameoff < 0 || (size_t)nameoff >= t->funcname_size)
		return NULL;
	s = (const char *)t->data + t->funcname_off + nameoff;
	if (!memchr(s, '\0', t->funcname_size - nameoff))
		return NULL;
	return s;
}

int gopclntab__func(const struct gopclntab *t, uint32_t index,
		    struct gopclntab_func *out)
{
	const uint8_t *r;
	size_t off;

	if (index >= t->nfunc)
		return -ERANGE;
	off = (size_t)ftab_funcoff(t, index);
	if (off > t->functab_size || t->functab_size - off < t->func_hdr_size)
		return -EINVAL;
	r = t->data + t->functab_off + off;
	memset(out, 0, sizeof(*out));
	/* The record repeats the function table's entry: a cheap check that
	 * this is the layout we think it is. */
	if (rd32(r) != ftab_entry(t, index))
		return -EINVAL;
	out->index = index;
	out->raw = r;
	out->entry = t->text_base + ftab_entry(t, index);
	out->end = t->text_base + ftab_entry(t, index + 1);
	out->name = gopclntab__name(t, (int32_t)rd32(r + 4));
	out->pcsp = rd32(r + 16);
	out->pcfile = rd32(r + 20);
	out->pcln = rd32(r + 24);
	out->npcdata = rd32(r + 28);
	out->cu_offset = rd32(r + 32);
	if (t->format == 118) {
		out->func_id = r[36];
		out->flag = r[37];
		out->nfuncdata = r[39];
	} else {
		out->start_line = (int32_t)rd32(r + 36);
		out->func_id = r[40];
		out->flag = r[41];
		out->nfuncdata = r[43];
	}
	if (!out->name)
		return -EINVAL;
	return 0;
}

int gopclntab__find_pc(const struct gopclntab *t, uint64_t pc,
		       struct gopclntab_func *out)
{
	uint64_t off, lo = 0, hi = t->nfunc;

	if (pc < t->text_base || pc - t->text_base > UINT32_MAX)
		return -ENOENT;
	off = pc - t->text_base;
	if (off < ftab_entry(t, 0) || off >= ftab_entry(t, t->nfunc))
		return -ENOENT;
	/* Last function whose entry is <= off. */
	while (hi - lo > 1) {
		uint64_t mid = lo + (hi - lo) / 2;

		if (ftab_entry(t, mid) <= off)
			lo = mid;
		else
			hi = mid;
	}
	return gopclntab__func(t, (uint32_t)lo, out) ? -ENOENT : 0;
}

/* Unsigned LEB128, at most 32 bits. */
static bool read_varint(const uint8_t **p, const uint8_t *end, uint32_t *v)
{
	uint32_t val = 0;

	for (int shift = 0; shift < 35; shift += 7) {
		uint8_t b;

		if (*p >= end)
			return false;
		b = *(*p)++;
		val |= (uint32_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*v = val;
			return true;
		}
	}
	return false;
}

int gopclntab__pcvalue(const struct gopclntab *t,
		       const struct gopclntab_func *f, uint32_t table,
		       uint64_t pc, int32_t *val)
{
	const uint8_t *p, *end = t->data + t->pctab_off + t->pctab_size;
	uint64_t cur = f->entry;
	uint32_t quantum = t->data[6];
	int32_t v = -1;

	if (table == 0)
		return -ENOENT;
	if (table >= t->pctab_size)
		return -EINVAL;
	p = t->data + t->pctab_off + table;
	for (bool first = true;; first = false) {
		uint32_t uv, pcdelta;

		if (!read_varint(&p, end, &uv))
			return -EINVAL;
		if (uv == 0 && !first)
			return -ENOENT;
		/* Zig-zag: low bit set means negative. The runtime adds in
		 * int32 and wraps (Go's arithmetic is modular); so do we,
		 * without C's undefined signed overflow. */
		v = (int32_t)((uint32_t)v + ((uv & 1) ? ~(uv >> 1) : (uv >> 1)));
		if (!read_varint(&p, end, &pcdelta))
			return -EINVAL;
		cur += (uint64_t)pcdelta * quantum;
		if (pc < cur) {
			*val = v;
			return 0;
		}
	}
}

int gopclntab__pcdata(const struct gopclntab *t,
		      const struct gopclntab_func *f, uint32_t i, uint64_t pc,
		      int32_t *val)
{
	const uint8_t *slot;

	if (i >= f->npcdata)
		return -ENOENT;
	slot = f->raw + t->func_hdr_size + 4 * (size_t)i;
	if (slot + 4 > t->data + t->size)
		return -EINVAL;
	return gopclntab__pcvalue(t, f, rd32(slot), pc, val);
}

uint64_t gopclntab__funcdata(const struct gopclntab *t,
			     const struct gopclntab_func *f, uint32_t i)
{
	const uint8_t *slot;
	uint32_t off;

	if (i >= f->nfuncdata || !t->gofunc)
		return 0;
	slot = f->raw + t->func_hdr_size + 4 * ((size_t)f->npcdata + i);
	if (slot < f->raw || slot + 4 > t->data + t->size)
		return 0;
	off = rd32(slot);
	return off == UINT32_MAX ? 0 : t->gofunc + off;
}

const char *gopclntab__file(const struct gopclntab *t,
			    const struct gopclntab_func *f, int32_t fileno)
{
	uint64_t idx;
	uint32_t fnoff;
	const char *s;

	if (fileno < 0)
		return NULL;
	idx = (uint64_t)f->cu_offset + (uint32_t)fileno;
	if (idx >= t->cu_size / 4)
		return NULL;
	fnoff = rd32(t->data + t->cu_off + 4 * idx);
	if (fnoff == UINT32_MAX || fnoff >= t->filetab_size)
		return NULL;
	s = (const char *)t->data + t->filetab_off + fnoff;
	if (!memchr(s, '\0', t->filetab_size - fnoff))
		return NULL;
	return s;
}

int gopclntab__fileline(const struct gopclntab *t,
			const struct gopclntab_func *f, uint64_t pc,
			const char **file, int *line)
{
	int32_t fileno, ln;

	if (gopclntab__pcvalue(t, f, f->pcfile, pc, &fileno) ||
	    gopclntab__pcvalue(t, f, f->pcln, pc, &ln))
		return -ENOENT;
	*file = gopclntab__file(t, f, fileno);
	*line = ln;
	return *file ? 0 : -ENOENT;
}

static const uint8_t *read_at(const struct gopclntab *t, uint64_t vaddr,
			      size_t size)
{
	if (vaddr >= t->vaddr && vaddr - t->vaddr <= t->size &&
	    t->size - (vaddr - t->vaddr) >= size)
		return t->data + (vaddr - t->vaddr);
	return t->read ? t->read(t->read_ctx, vaddr, size) : NULL;
}

int gopclntab__inl(const struct gopclntab *t, const struct gopclntab_func *f,
		   int32_t ix, struct gopclntab_inl *out)
{
	uint64_t tree = gopclntab__funcdata(t, f, GOPCLNTAB_FUNCDATA_INLTREE);
	size_t esize = t->format == 118 ? 20 : 16;
	const uint8_t *e;
	int32_t nameoff;

	if (!tree)
		return -ENOENT;
	if (ix < 0 || ix > (1 << 20))
		return -EINVAL;
	e = read_at(t, tree + (uint64_t)ix * esize, esize);
	if (!e)
		return -EINVAL;
	if (t->format == 118) {
		out->parent = (int16_t)(e[0] | e[1] << 8);
		out->func_id = e[2];
		nameoff = (int32_t)rd32(e + 12);
		out->parent_pc = (int32_t)rd32(e + 16);
	} else {
		out->parent = -1;
		out->func_id = e[0];
		nameoff = (int32_t)rd32(e + 4);
		out->parent_pc = (int32_t)rd32(e + 8);
	}
	out->name = gopclntab__name(t, nameoff);
	if (!out->name || out->parent_pc < 0 ||
	    (uint64_t)out->parent_pc >= f->end - f->entry)
		return -EINVAL;
	return 0;
}
