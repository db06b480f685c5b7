/* SPDX-License-Identifier: MIT */
/*
 * Structured one-line logs on stderr (logfmt), for the agent:
 *
 *   ts=2025-01-02T03:04:05.678Z level=info msg="tracing process" pid=42 comm=goleaks
 *
 * msg is always quoted; the key=value part is a printf format whose
 * values the caller quotes with logfmt__q() when they may hold spaces,
 * quotes or '=' (paths, comms, error strings).
 */
#ifndef LS_LOGFMT_H
#define LS_LOGFMT_H

enum log_level { LOG_DEBUG = 0, LOG_INFO, LOG_WARN, LOG_ERROR };

void logfmt__set_level(enum log_level min);
/* "debug", "info", "warn", "error": 0, or -EINVAL. */
int logfmt__parse_level(const char *name, enum log_level *out);
void logfmt__write(enum log_level level, const char *msg, const char *kv_fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* s quoted and escaped when it needs it ("a b" -> "\"a b\""), else as
 * is. The result lives in one of 8 rotating buffers: use it within the
 * call it is passed to. */
const char *logfmt__q(const char *s);
/* Write one line for s into buf as logfmt__q does (for tests). */
void logfmt__quote(char *buf, unsigned long size, const char *s);

/*
 * How code that both commands run (loading the BPF side, Go probes,
 * preflight, tracefs) says things: a plain "leakscope: ..." line for the
 * tracer, a logfmt line (the text as msg) for the agent. Each command
 * hands its logger down; NULL means plain.
 */
struct logger {
	int logfmt;		/* nonzero: logfmt lines (the agent) */
};

void logger__say(const struct logger *l, enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define LOG_D(msg, ...) logfmt__write(LOG_DEBUG, msg, __VA_ARGS__)
#define LOG_I(msg, ...) logfmt__write(LOG_INFO, msg, __VA_ARGS__)
#define LOG_W(msg, ...) logfmt__write(LOG_WARN, msg, __VA_ARGS__)
#define LOG_E(msg, ...) logfmt__write(LOG_ERROR, msg, __VA_ARGS__)

#endif
