// SPDX-License-Identifier: MIT
#include "agent/config_file.h"
#include "base/util.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* value: a quoted string (\" and \\ escapes) or text up to a '#'. */
static int parse_value(char *v, char **out)
{
	if (*v == '"') {
		char *r = v + 1, *w = v;

		while (*r && *r != '"') {
			if (*r == '\\' && (r[1] == '"' || r[1] == '\\'))
				r++;
			*w++ = *r++;
		}
		if (*r != '"')
			return -EINVAL;
		*w = '\0';
		r = trim(r + 1);
		if (*r && *r != '#')
			return -EINVAL;
		*out = v;
		return 0;
	}
	*out = trim(strsep(&v, "#"));
	return 0;
}

int agent_config__parse(const char *text, config_set_fn set, void *ctx,
			char *err, size_t errlen)
{
	char *copy = xstrdup(text), *rest = copy, *line;
	int lineno = 0, ret = 0;

	while ((line = strsep(&rest, "\n"))) {
		char *key, *value, *eq, *s = trim(line), sub[256];

		lineno++;
		if (!*s || *s == '#')
			continue;
		eq = strchr(s, '=');
		if (!eq) {
			snprintf(err, errlen, "line %d: expected `key = value`, got \"%.60s\"",
				 lineno, s);
			ret = -EINVAL;
			break;
		}
		*eq = '\0';
		key = trim(s);
		if (!*key || parse_value(trim(eq + 1), &value)) {
			snprintf(err, errlen, "line %d: %s", lineno,
				 *key ? "unterminated quote or text after it" : "empty key");
			ret = -EINVAL;
			break;
		}
		sub[0] = '\0';
		ret = set(ctx, key, value, sub, sizeof(sub));
		if (ret) {
			snprintf(err, errlen, "line %d: %s", lineno, sub);
			break;
		}
	}
	free(copy);
	return ret;
}

int agent_config__load(const char *path, config_set_fn set, void *ctx,
		       char *err, size_t errlen)
{
	char sub[512];
	size_t len;
	char *text = read_file(path, &len);
	int ret;

	if (!text) {
		int e = errno ? errno : EIO;

		snprintf(err, errlen, "cannot read config file %s: %s", path, strerror(e));
		return -e;
	}
	if (strlen(text) != len) {
		free(text);
		snprintf(err, errlen, "config file %s: not text (NUL byte)", path);
		return -EINVAL;
	}
	ret = agent_config__parse(text, set, ctx, sub, sizeof(sub));
	free(text);
	if (ret)
		snprintf(err, errlen, "config file %s: %s", path, sub);
	return ret;
}
