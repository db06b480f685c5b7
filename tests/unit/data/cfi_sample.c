// SPDX-License-Identifier: MIT
/*
 * Source of cfi_sample.so, the committed input of the CFI unit tests
 * (tests/unit/data/make-cfi-inputs.sh rebuilds it and its malformed
 * variants). Functions with different frame shapes, so .eh_frame has
 * rows with CFA at rsp+8, rsp+16, rsp+N and rbp+16.
 */
#include <string.h>

__attribute__((noinline)) long leaf(long x)
{
	return x * 3 + 1;
}

__attribute__((noinline)) long saves_registers(long *v, long n)
{
	long a = 0, b = 1, c = 2;

	for (long i = 0; i < n; i++) {
		a += v[i] * b;
		b ^= leaf(a) + c;
		c += leaf(b);
	}
	return a + b + c;
}

__attribute__((noinline)) long big_frame(long n)
{
	volatile char buf[200];

	memset((char *)buf, (int)n, sizeof(buf));
	return saves_registers((long *)buf, n % 8) + buf[3];
}

__attribute__((noinline, optimize("no-omit-frame-pointer"))) long with_frame_pointer(long n)
{
	volatile long tmp[4] = { n, n + 1, n + 2, n + 3 };

	return big_frame(tmp[n & 3]) + 1;
}

long entry(long n)
{
	return with_frame_pointer(n) + 2;
}
