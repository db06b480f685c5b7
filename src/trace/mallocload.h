/* SPDX-License-Identifier: MIT */
/*
 * Loading the malloc family's BPF object (bpf/malloc.bpf.c) next to the
 * native one, sharing its maps, and the link libbpf 1.1 cannot make:
 * session uprobes (kernel 6.13+), where one program runs at a function's
 * entry and, only when the entry asks for it, at its return. Found by
 * the kernel's BTF naming the attach type, never by version number.
 */
#ifndef LS_MALLOCLOAD_H
#define LS_MALLOCLOAD_H

#include <stddef.h>
#include <stdint.h>

struct probes;
struct probe_config;

/* 0 or -errno (message printed). Sets p->malloc and p->malloc_session. */
int mallocload__load(struct probes *p, const struct probe_config *cfg);
/* One session link for n offsets of the file at path, for pid: its fd
 * (closing it detaches), or -errno. */
int mallocload__attach_session(struct probes *p, const char *path, const uint64_t *offsets,
			       const uint64_t *cookies, size_t n, int pid);

#endif
