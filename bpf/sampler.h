/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The byte sampler of --malloc=sampled, shared by the BPF side (which
 * draws) and userspace (whose unit test checks the draws against libm).
 *
 * As tcmalloc and Go's runtime do: the gaps between sampled bytes are
 * exponentially distributed with the chosen mean, so every byte has the
 * same chance (1/mean) of being picked, a block of s bytes is picked with
 * probability 1 - exp(-s/mean), and counts scale back like pprof's.
 * BPF has no floating point: -ln(U) comes from an integer log2 (the top
 * bit, then 64 table steps of the mantissa, linearly interpolated):
 * every gap is within 0.01% of the mean of libm's.
 */
#ifndef LEAKSCOPE_SAMPLER_H
#define LEAKSCOPE_SAMPLER_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define LS_SAMPLE_MEAN_DEFAULT (512 * 1024)	/* bytes, as Go and tcmalloc */

/* log2(1 + i/64) in 16.16 fixed point, i = 0..64 */
static const __u32 ls_log2_mantissa[65] = {
	0, 1466, 2909, 4331, 5732, 7112, 8473, 9814, 11136, 12440, 13727,
	14996, 16248, 17484, 18704, 19909, 21098, 22272, 23433, 24579, 25711,
	26830, 27936, 29029, 30109, 31178, 32234, 33279, 34312, 35334, 36346,
	37346, 38336, 39316, 40286, 41246, 42196, 43137, 44068, 44990, 45904,
	46809, 47705, 48593, 49472, 50344, 51207, 52063, 52911, 53751, 54584,
	55410, 56229, 57040, 57845, 58643, 59434, 60219, 60997, 61769, 62534,
	63294, 64047, 64794, 65536,
};

/*
 * Bytes until the next sample: -ln(rnd / 2^32) * mean, rnd uniform
 * (its lowest bit is forced to 1, so it is never 0). mean up to 2^40.
 */
static inline __u64 ls_sample_gap(__u32 rnd, __u64 mean)
{
	__u32 u = rnd | 1, x = u, k = 0, i, rem, lo, hi, mant;
	__u64 f, neg_log2;

	/* k = floor(log2(u)) */
	if (x >= 1U << 16) { k += 16; x >>= 16; }
	if (x >= 1U << 8) { k += 8; x >>= 8; }
	if (x >= 1U << 4) { k += 4; x >>= 4; }
	if (x >= 1U << 2) { k += 2; x >>= 2; }
	if (x >= 1U << 1) { k += 1; }
	/* u / 2^k = 1 + f, f as a 32-bit fraction */
	f = ((__u64)u << (32 - k)) & 0xffffffffULL;
	i = (__u32)(f >> 26) & 63;
	rem = (__u32)(f >> 10) & 0xffff;
	lo = ls_log2_mantissa[i];
	hi = ls_log2_mantissa[i + 1];
	mant = lo + (__u32)(((__u64)(hi - lo) * rem) >> 16);
	/* -log2(u / 2^32) in 16.16, then times ln 2 (45426 / 2^16) */
	neg_log2 = ((__u64)32 << 16) - (((__u64)k << 16) + mant);
	return ((mean * neg_log2) >> 16) * 45426 >> 16;
}

#endif /* LEAKSCOPE_SAMPLER_H */
