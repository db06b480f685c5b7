// SPDX-License-Identifier: MIT
#include "base/elfinfo.h"
#include "base/util.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void read_build_id(Elf *elf, Elf_Data *data, char *out)
{
	size_t off = 0, name_off, desc_off;
	GElf_Nhdr nh;

	while ((off = gelf_getnote(data, off, &nh, &name_off, &desc_off)) > 0) {
		const unsigned char *desc = (const unsigned char *)data->d_buf + desc_off;

		if (nh.n_type != NT_GNU_BUILD_ID || nh.n_namesz != 4 ||
		    memcmp((const char *)data->d_buf + name_off, "GNU", 4) ||
		    nh.n_descsz > 20)
			continue;
		for (size_t i = 0; i < nh.n_descsz; i++)
			sprintf(out + 2 * i, "%02x", desc[i]);
		return;
	}
	(void)elf;
}

int elfinfo__read_fd(int fd, struct elf_info *out, const char **why)
{
	GElf_Ehdr eh;
	size_t phnum;
	Elf *elf;
	int err = -EINVAL;

	memset(out, 0, sizeof(*out));
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF || !gelf_getehdr(elf, &eh)) {
		*why = "not an ELF file";
		err = -ENOEXEC;
		goto out;
	}
	if (elf_getphdrnum(elf, &phnum)) {
		*why = "unreadable program headers";
		goto out;
	}
	out->type = eh.e_type;
	out->phoff = eh.e_phoff;
	for (size_t i = 0; i < phnum; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, i, &ph)) {
			*why = "truncated program headers";
			goto out;
		}
		if (ph.p_type == PT_LOAD) {
			struct elf_segment *s;

			out->loads = xrealloc(out->loads,
					      (out->nloads + 1) * sizeof(*s));
			s = &out->loads[out->nloads++];
			s->vaddr = ph.p_vaddr;
			s->offset = ph.p_offset;
			s->filesz = ph.p_filesz;
			s->memsz = ph.p_memsz;
			s->align = ph.p_align;
			s->flags = ph.p_flags;
			/* Without PT_PHDR, the headers sit in the segment
			 * that maps file offset e_phoff. */
			if (!out->has_phdr_vaddr && eh.e_phoff >= ph.p_offset &&
			    eh.e_phoff < ph.p_offset + ph.p_filesz) {
				out->phdr_vaddr = ph.p_vaddr + eh.e_phoff - ph.p_offset;
				out->has_phdr_vaddr = true;
			}
		} else if (ph.p_type == PT_TLS) {
			out->tls_memsz = ph.p_memsz;
			out->tls_align = ph.p_align;
		} else if (ph.p_type == PT_PHDR) {
			out->phdr_vaddr = ph.p_vaddr;
			out->has_phdr_vaddr = true;
		} else if (ph.p_type == PT_INTERP) {
			size_t n, len = MIN(ph.p_filesz, sizeof(out->interp) - 1);
			char *raw = elf_rawfile(elf, &n);

			if (raw && ph.p_offset + len <= n) {
				memcpy(out->interp, raw + ph.p_offset, len);
				out->interp[len] = '\0';
			}
		} else if (ph.p_type == PT_NOTE && !out->build_id[0]) {
			Elf_Data *d = elf_getdata_rawchunk(elf, ph.p_offset,
							   ph.p_filesz,
							   ELF_T_NHDR);
			if (d)
				read_build_id(elf, d, out->build_id);
		}
	}
	err = 0;
out:
	if (elf)
		elf_end(elf);
	if (err)
		elfinfo__free(out);
	return err;
}

int elfinfo__read(const char *path, struct elf_info *out, const char **why)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int err;

	if (fd < 0) {
		memset(out, 0, sizeof(*out));
		*why = strerror(errno);
		return -errno;
	}
	err = elfinfo__read_fd(fd, out, why);
	close(fd);
	return err;
}

void elfinfo__free(struct elf_info *info)
{
	free(info->loads);
	info->loads = NULL;
	info->nloads = 0;
}

bool elfinfo__offset_to_vaddr(const struct elf_info *info, uint64_t off,
			      uint64_t *vaddr)
{
	for (size_t i = 0; i < info->nloads; i++) {
		const struct elf_segment *s = &info->loads[i];

		if (off >= s->offset && off < s->offset + s->filesz) {
			*vaddr = s->vaddr + (off - s->offset);
			return true;
		}
	}
	return false;
}

bool elfinfo__vaddr_to_offset(const struct elf_info *info, uint64_t vaddr,
			      uint64_t *off)
{
	for (size_t i = 0; i < info->nloads; i++) {
		const struct elf_segment *s = &info->loads[i];

		if (vaddr >= s->vaddr && vaddr < s->vaddr + s->filesz) {
			*off = s->offset + (vaddr - s->vaddr);
			return true;
		}
	}
	return false;
}
