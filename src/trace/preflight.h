/* SPDX-License-Identifier: MIT */
/* Checks before anything is loaded, each failing with a one-line reason
 * and a way out. */
#ifndef LS_PREFLIGHT_H
#define LS_PREFLIGHT_H

#include <stdbool.h>

struct logger;

/*
 * The capabilities leakscope uses, and what for:
 *   CAP_BPF         load its BPF programs and maps
 *   CAP_PERFMON     attach tracepoints; read user stacks and memory in BPF
 *   CAP_SYS_PTRACE  read other processes (/proc/PID/fd, maps, their memory)
 *   CAP_SYS_ADMIN   only where the kernel demands it: uprobes (Go
 *                   programs), mounting tracefs when it is not mounted,
 *                   /proc/PID/map_files (a binary replaced on disk)
 * As in the kernel, CAP_SYS_ADMIN also stands for CAP_BPF and CAP_PERFMON.
 * preflight__caps: the effective ones of these as PREFLIGHT_CAP_* bits;
 * enough: CAP_SYS_ADMIN or CAP_BPF + CAP_PERFMON, and CAP_SYS_PTRACE.
 */
#define PREFLIGHT_CAP_SYS_ADMIN 0x1
#define PREFLIGHT_CAP_BPF 0x2
#define PREFLIGHT_CAP_PERFMON 0x4
#define PREFLIGHT_CAP_SYS_PTRACE 0x8
unsigned preflight__caps(void);
bool preflight__caps_enough(unsigned caps);

/* 0, or -EPERM with one line naming what is missing, said through log
 * (NULL: plain). */
int preflight__privileges(const struct logger *log);
/* The capability is in our effective set (CAP_* number). */
bool preflight__has_cap(int cap);
int preflight__btf(const struct logger *log);
/* A PID names a live process (not a kernel thread); thread ids map to
 * their process. Returns the process id, or -ESRCH/-EINVAL, printed. */
int preflight__pid(int pid);

#endif
