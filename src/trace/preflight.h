/* SPDX-License-Identifier: MIT */
/* Checks before anything is loaded, each failing with a one-line reason
 * and a way out. */
#ifndef LS_PREFLIGHT_H
#define LS_PREFLIGHT_H

#include <stdbool.h>

struct logger;

/* The effective capabilities leakscope cares about, as PREFLIGHT_CAP_*
 * bits; enough: root's, or CAP_BPF + CAP_PERFMON, and CAP_SYS_PTRACE. */
#define PREFLIGHT_CAP_SYS_ADMIN 0x1
#define PREFLIGHT_CAP_BPF 0x2
#define PREFLIGHT_CAP_PERFMON 0x4
#define PREFLIGHT_CAP_SYS_PTRACE 0x8
unsigned preflight__caps(void);
bool preflight__caps_enough(unsigned caps);

/* 0, or -EPERM / -ENOENT with the message said through log (NULL:
 * plain). */
int preflight__privileges(const struct logger *log);
int preflight__btf(const struct logger *log);
/* A PID names a live process (not a kernel thread); thread ids map to
 * their process. Returns the process id, or -ESRCH/-EINVAL, printed. */
int preflight__pid(int pid);

#endif
