/* SPDX-License-Identifier: MIT */
/*
 * The agent's config file: the command line's long option names as keys,
 * one per line, `key = value`; blank lines and `#` comments are skipped;
 * a value may be double-quoted (to keep a '#' or edge spaces). A flag
 * takes no value in the file as `flag = true|false`.
 *
 *   # /etc/leakscope/agent.conf
 *   comm = nginx, redis-server
 *   listen = 0.0.0.0:9465
 *   push-url = http://pyroscope:4040
 *   push-interval = 30s
 */
#ifndef LS_AGENT_CONFIG_H
#define LS_AGENT_CONFIG_H

#include <stddef.h>

/* Called per setting; returns 0 or -errno with err filled. */
typedef int (*config_set_fn)(void *ctx, const char *key, const char *value,
			     char *err, size_t errlen);

/* Parse text (a whole file's contents). On the first error, err says
 * "LINE: what" and -EINVAL (or set's error) is returned. */
int agent_config__parse(const char *text, config_set_fn set, void *ctx,
			char *err, size_t errlen);
/* Read path and parse it; err names the file. */
int agent_config__load(const char *path, config_set_fn set, void *ctx,
		       char *err, size_t errlen);

#endif
