/* SPDX-License-Identifier: MIT */
/*
 * What leakscope's libFuzzer targets share: inputs handed to parsers
 * that take a file (as a memfd, opened by its /proc/self/fd path, so the
 * parser runs exactly as on a file on disk) or a string.
 */
#ifndef LS_FUZZ_H
#define LS_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/* The input as an anonymous file: fd, or -1. path gets its name. */
int fuzz_file(const uint8_t *data, size_t size, char *path, size_t pathlen);
/* The input as a NUL-terminated string (malloc'd); bytes after an
 * embedded NUL are ignored by parsers of text, as they would be. */
char *fuzz_text(const uint8_t *data, size_t size);
/* Aborts with a message: the fuzzer records the input as a crash. */
void fuzz_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
