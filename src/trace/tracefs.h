/* SPDX-License-Identifier: MIT */
/*
 * Syscall tracepoints are found through tracefs. When it is not mounted,
 * leakscope mounts it in a private mount namespace of its own: the host
 * sees no new mount, and the mount disappears with the process, whatever
 * way it exits.
 */
#ifndef LS_TRACEFS_H
#define LS_TRACEFS_H

struct logger;

/* 0, or -errno with a message said through log (NULL: plain). Call
 * before starting threads and after forking any child that must stay in
 * the host's namespace. */
int tracefs__ensure(const struct logger *log);

#endif
