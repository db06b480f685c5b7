/* SPDX-License-Identifier: MIT */
/*
 * What a live process's tracked memory uses: for every mapping
 * allocation and brk segment of its ledgers, the bytes resident in RAM
 * and the bytes committed (counted against the kernel's commit limit:
 * private writable memory), from the kernel's own accounting in
 * /proc/PID/smaps, and /proc/PID/pagemap where an allocation is only part
 * of a kernel mapping (neighbours with the same protection merge into
 * one). The ledgers keep the last measurement for a process that exits.
 */
#ifndef LS_MEMUSAGE_H
#define LS_MEMUSAGE_H

#include <stdint.h>

struct process;

/* 0, or -errno (-ESRCH: the process is gone; its last values stay). */
int memusage__refresh(struct process *p, uint64_t now_ns);

#endif
