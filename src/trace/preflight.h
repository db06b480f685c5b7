/* SPDX-License-Identifier: MIT */
/* Checks before anything is loaded, each failing with a one-line reason
 * and a way out. */
#ifndef LS_PREFLIGHT_H
#define LS_PREFLIGHT_H

/* 0, or -EPERM / -ENOENT with the message printed. */
int preflight__privileges(void);
int preflight__btf(void);
/* A PID names a live process (not a kernel thread); thread ids map to
 * their process. Returns the process id, or -ESRCH/-EINVAL, printed. */
int preflight__pid(int pid);

#endif
