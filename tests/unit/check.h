/* SPDX-License-Identifier: MIT */
/*
 * The unit-test harness: each test is a function registered with TEST();
 * each prints "ok - name" or "not ok - name" (TAP-like lines that
 * tests/run.sh counts). Failed checks say where, what was expected and
 * what was found, and the test goes on to its end.
 */
#ifndef LS_CHECK_H
#define LS_CHECK_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct test_case {
	const char *name;
	void (*fn)(void);
};

extern int check_failures;	/* in the current test */

#define MAX_TESTS 256
extern struct test_case test_cases[MAX_TESTS];
extern int ntest_cases;

#define TEST(name)                                                        \
	static void test_##name(void);                                    \
	__attribute__((constructor)) static void register_##name(void)    \
	{                                                                 \
		test_cases[ntest_cases++] =                               \
			(struct test_case){ #name, test_##name };         \
	}                                                                 \
	static void test_##name(void)

#define CHECK(cond)                                                       \
	do {                                                              \
		if (!(cond)) {                                            \
			fprintf(stderr, "  %s:%d: check failed: %s\n",    \
				__FILE__, __LINE__, #cond);               \
			check_failures++;                                 \
		}                                                         \
	} while (0)

#define CHECK_EQ_U(actual, expected)                                      \
	do {                                                              \
		unsigned long long a_ = (unsigned long long)(actual);     \
		unsigned long long e_ = (unsigned long long)(expected);   \
		if (a_ != e_) {                                           \
			fprintf(stderr, "  %s:%d: %s: expected %llu (0x%llx), got %llu (0x%llx)\n", \
				__FILE__, __LINE__, #actual, e_, e_, a_, a_); \
			check_failures++;                                 \
		}                                                         \
	} while (0)

#define CHECK_EQ_I(actual, expected)                                      \
	do {                                                              \
		long long a_ = (long long)(actual);                       \
		long long e_ = (long long)(expected);                     \
		if (a_ != e_) {                                           \
			fprintf(stderr, "  %s:%d: %s: expected %lld, got %lld\n", \
				__FILE__, __LINE__, #actual, e_, a_);     \
			check_failures++;                                 \
		}                                                         \
	} while (0)

#define CHECK_EQ_S(actual, expected)                                      \
	do {                                                              \
		const char *a_ = (actual), *e_ = (expected);              \
		if (!a_ || !e_ || strcmp(a_, e_)) {                       \
			fprintf(stderr, "  %s:%d: %s: expected \"%s\", got \"%s\"\n", \
				__FILE__, __LINE__, #actual, e_ ? e_ : "(null)", \
				a_ ? a_ : "(null)");                      \
			check_failures++;                                 \
		}                                                         \
	} while (0)

#endif
