/* SPDX-License-Identifier: MIT */
/* Checks before anything is loaded, each failing with a one-line reason
 * and a way out. */
#ifndef LS_PREFLIGHT_H
#define LS_PREFLIGHT_H

struct logger;

/* 0, or -EPERM / -ENOENT with the message said through log (NULL:
 * plain). */
int preflight__privileges(const struct logger *log);
int preflight__btf(const struct logger *log);
/* A PID names a live process (not a kernel thread); thread ids map to
 * their process. Returns the process id, or -ESRCH/-EINVAL, printed. */
int preflight__pid(int pid);

#endif
