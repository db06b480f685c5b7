// SPDX-License-Identifier: MIT
/* main() for every unit-test binary: runs the registered tests, or only
 * those named on the command line. */
#include "check.h"

int check_failures;
struct test_case test_cases[MAX_TESTS];
int ntest_cases;

int main(int argc, char **argv)
{
	int failed = 0;

	for (int i = 0; i < ntest_cases; i++) {
		int run = argc < 2;

		for (int j = 1; j < argc; j++)
			run |= strcmp(argv[j], test_cases[i].name) == 0;
		if (!run)
			continue;
		check_failures = 0;
		test_cases[i].fn();
		printf("%s - %s\n", check_failures ? "not ok" : "ok", test_cases[i].name);
		fflush(stdout);
		failed += check_failures != 0;
	}
	return failed ? 1 : 0;
}
