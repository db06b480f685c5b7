// SPDX-License-Identifier: MIT
#include "base/logfmt.h"
#include "base/util.h"

#include <errno.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static enum log_level min_level = LOG_INFO;
static const char *const names[] = { "debug", "info", "warn", "error" };

void logfmt__set_level(enum log_level min)
{
	min_level = min;
}

int logfmt__parse_level(const char *name, enum log_level *out)
{
	for (int i = 0; i < 4; i++)
		if (!strcmp(name, names[i])) {
			*out = (enum log_level)i;
			return 0;
		}
	if (!strcmp(name, "warning")) {
		*out = LOG_WARN;
		return 0;
	}
	return -EINVAL;
}

void logfmt__quote(char *buf, unsigned long size, const char *s)
{
	bool plain = s && *s;
	size_t o = 0;

	if (!size)
		return;
	if (!s)
		s = "";
	for (const char *c = s; *c && plain; c++)
		plain = *c > ' ' && *c != '"' && *c != '=' && *c != '\\' && *c != 0x7f;
	if (plain) {
		snprintf(buf, size, "%s", s);
		return;
	}
	/* A value cut short (a long verifier log) still ends in its closing
	 * quote, and never between a backslash and what it escapes. */
	if (size < 3) {
		buf[0] = '\0';
		return;
	}
	buf[o++] = '"';
	for (const char *c = s; *c; c++) {
		unsigned char ch = (unsigned char)*c;
		char esc = ch == '"' || ch == '\\' ? (char)ch : ch == '\n' ? 'n' : 0;

		if (o + (esc ? 2 : 1) + 2 > size)	/* + closing quote, NUL */
			break;
		if (esc) {
			buf[o++] = '\\';
			buf[o++] = esc;
		} else {
			buf[o++] = ch < ' ' || ch == 0x7f ? '?' : (char)ch;
		}
	}
	buf[o++] = '"';
	buf[o] = '\0';
}

const char *logfmt__q(const char *s)
{
	static __thread char bufs[8][1024];
	static __thread unsigned next;
	char *b = bufs[next++ % 8];

	logfmt__quote(b, sizeof(bufs[0]), s);
	return b;
}

void logfmt__write(enum log_level level, const char *msg, const char *kv_fmt, ...)
{
	char line[4096], ts[40], q[1024];
	struct timespec t;
	struct tm tm;
	va_list ap;
	int n;

	if (level < min_level)
		return;
	clock_gettime(CLOCK_REALTIME, &t);
	gmtime_r(&t.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	logfmt__quote(q, sizeof(q), msg);
	if (q[0] != '"') {	/* msg is always quoted, even one word */
		size_t n = strnlen(q, sizeof(q) - 3);

		memmove(q + 1, q, n);
		q[0] = '"';
		q[n + 1] = '"';
		q[n + 2] = '\0';
	}
	n = snprintf(line, sizeof(line), "ts=%s.%03ldZ level=%s msg=%s", ts,
		     t.tv_nsec / (long)NS_PER_MS, names[level], q);
	if (n > 0 && (size_t)n < sizeof(line) - 2 && kv_fmt && kv_fmt[0]) {
		int kv;

		line[n] = ' ';
		va_start(ap, kv_fmt);
		kv = vsnprintf(line + n + 1, sizeof(line) - n - 1, kv_fmt, ap);
		va_end(ap);
		if (kv < 0 || (size_t)kv >= sizeof(line) - n - 1)	/* cut mid-value */
			snprintf(line + n, sizeof(line) - n, " truncated=true");
		else if (!line[n + 1])	/* nothing to add: no trailing space */
			line[n] = '\0';
	}
	/* one write per line, so lines from two threads never interleave */
	fprintf(stderr, "%s\n", line);
}

void logger__say(const struct logger *l, enum log_level level, const char *fmt, ...)
{
	char text[2048];
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	n = strlen(text);
	while (n && text[n - 1] == '\n')	/* the line ends here either way */
		text[--n] = '\0';
	if (l && l->logfmt)
		logfmt__write(level, text, NULL);
	else
		fprintf(stderr, "leakscope: %s\n", text);
}
