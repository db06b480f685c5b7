/* SPDX-License-Identifier: MIT */
/*
 * `leakscope check`: can leakscope run on this machine, and how? The
 * kernel, its BTF, every BPF feature leakscope uses (and the fallback it
 * takes where one is missing), the kinds and options that work, the
 * privileges at hand, tracefs, and a real load of the BPF programs. For
 * an SRE to run before the tool is needed.
 */
#ifndef LS_CHECK_H
#define LS_CHECK_H

/* argv[0] is "check". Returns the exit status: 0 when everything works
 * (fallbacks included), 1 naming what is missing, 2 on a usage error. */
int check__main(int argc, char **argv);

#endif
