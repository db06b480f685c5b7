// SPDX-License-Identifier: MIT
#include "cli/usage.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

error_t usage__error(struct usage *u, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", u->prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	u->said = true;
	return EINVAL;
}

static const struct argp_option *find_long(const struct usage *u, const char *name,
					   size_t len)
{
	for (const struct argp_option *o = u->options; o->name || o->key; o++)
		if (o->name && strlen(o->name) == len && !strncmp(o->name, name, len))
			return o;
	return NULL;
}

static const struct argp_option *find_short(const struct usage *u, char c)
{
	for (const struct argp_option *o = u->options; o->name || o->key; o++)
		if (o->key == c && c > ' ' && c < 127)
			return o;
	return NULL;
}

void usage__key_error(struct usage *u, const struct argp_state *state)
{
	const char *a = state->next > 0 && state->next <= state->argc ?
				state->argv[state->next - 1] : "";
	const struct argp_option *o = NULL;
	const char *eq = NULL;

	if (u->said)
		return;
	if (a[0] == '-' && a[1] == '-') {
		eq = strchr(a, '=');
		o = find_long(u, a + 2, eq ? (size_t)(eq - a - 2) : strlen(a + 2));
	} else if (a[0] == '-' && a[1] && !a[2]) {
		o = find_short(u, a[1]);
	}
	if (o && o->arg && !eq)
		usage__error(u, "%s needs a value (%s); see %s --help", a, o->arg, u->prog);
	else if (o && !o->arg && eq)
		usage__error(u, "--%s takes no value, got '%s'", o->name, a);
	else
		usage__error(u, "unknown option '%s' (%s --help lists them)", a, u->prog);
}
