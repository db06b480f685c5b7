// SPDX-License-Identifier: MIT
#include "base/parse.h"
#include "base/util.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int parse__uint(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	/* strtoull would take a sign, blanks and (base 0) octal: refuse */
	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end)
		return -EINVAL;
	if (errno == ERANGE || v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int parse__pid(const char *s, int *out)
{
	uint64_t v;
	int err = parse__uint(s, 1, INT_MAX, &v);

	if (!err)
		*out = (int)v;
	return err;
}

/* A non-negative, finite number at the start of s; *end after it. */
static int leading_number(const char *s, double *v, char **end)
{
	if (!s || !*s)
		return -EINVAL;
	errno = 0;
	*v = strtod(s, end);
	if (errno || *end == s || !isfinite(*v))
		return -EINVAL;
	return *v < 0 ? -ERANGE : 0;
}

int parse__seconds(const char *s, double *out)
{
	static const struct { const char *unit; double seconds; } units[] = {
		{ "", 1 }, { "s", 1 }, { "ms", 1e-3 }, { "m", 60 }, { "h", 3600 },
	};
	char *end;
	double v;
	int err = leading_number(s, &v, &end);

	if (err)
		return err;
	for (size_t i = 0; i < ARRAY_SIZE(units); i++)
		if (!strcmp(end, units[i].unit)) {
			v *= units[i].seconds;
			if (v > PARSE_SECONDS_MAX)
				return -ERANGE;
			*out = v;
			return 0;
		}
	return -EINVAL;
}

int parse__size(const char *s, uint64_t *out)
{
	char *end;
	double v;
	int shift = 0, err = leading_number(s, &v, &end);

	if (err)
		return err;
	switch (*end) {
	case '\0': break;
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	default: return -EINVAL;
	}
	if (*end == 'i' && shift)
		end++;
	if (*end == 'B' || (*end == 'b' && shift))
		end++;
	if (*end)
		return -EINVAL;
	if (v * (double)(1ULL << shift) > 1e18)
		return -ERANGE;
	*out = (uint64_t)(v * (double)(1ULL << shift));
	return 0;
}
