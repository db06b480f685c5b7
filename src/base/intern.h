/* SPDX-License-Identifier: MIT */
/* Interned strings: equal contents give the same pointer, so paths and
 * names are stored once and compared by pointer. */
#ifndef LS_INTERN_H
#define LS_INTERN_H

const char *intern(const char *s);

#endif
