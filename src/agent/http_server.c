// SPDX-License-Identifier: MIT
#include "agent/http_server.h"
#include "base/util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/*
 * What one client may hold, so that slow or hostile ones cannot take the
 * endpoint from Prometheus (slowloris: 64 connections trickling headers
 * once held it for minutes):
 *   connections per client address   8
 *   connections in all               256
 *   idle time before a connection is closed   10 s
 *   request line and headers         16 KiB (beyond: 431 or closed)
 */
#define PER_CLIENT_CONNECTIONS 8
#define ALL_CONNECTIONS 256
#define IDLE_TIMEOUT_S 10
#define REQUEST_MEMORY_BYTES (16 * 1024)

struct http_server {
	struct MHD_Daemon *d;
	http_handler_fn fn;
	void *ctx;
	int epoll_fd;
	unsigned port;
	uint64_t requests;
};

const char *http_request__arg(const struct http_request *req, const char *key)
{
	const char *v = NULL;
	size_t len = 0;

	if (MHD_lookup_connection_value_n(req->conn, MHD_GET_ARGUMENT_KIND, key, strlen(key),
					  &v, &len) != MHD_YES || !v)
		return NULL;
	/* "?pid=123%00junk" decodes to a C string that reads "123": a value
	 * with a NUL in it is garbage, given as "" so it matches nothing. */
	return memchr(v, '\0', len) ? "" : v;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
				  const char *url, const char *method,
				  const char *version, const char *upload_data,
				  size_t *upload_size, void **con_cls)
{
	static int first_call;
	struct http_server *s = cls;
	struct http_request req = { method, url, conn };
	struct http_response resp = { .status = 500 };
	struct MHD_Response *r;
	enum MHD_Result ret;

	(void)version;
	(void)upload_data;
	/* MHD calls once with the headers only; answer on the second. */
	if (*con_cls == NULL) {
		*con_cls = &first_call;
		return MHD_YES;
	}
	if (*upload_size) {	/* a body we do not want: swallow it */
		*upload_size = 0;
		return MHD_YES;
	}
	s->requests++;
	if (strcmp(method, "GET") && strcmp(method, "HEAD")) {
		resp.status = MHD_HTTP_METHOD_NOT_ALLOWED;
		resp.body = xstrdup("only GET and HEAD\n");
		resp.len = strlen(resp.body);
		resp.content_type = "text/plain";
	} else {
		s->fn(s->ctx, &req, &resp);
	}
	r = MHD_create_response_from_buffer(resp.len, resp.body, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(resp.body);
		return MHD_NO;
	}
	if (resp.content_type)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, resp.content_type);
	if (resp.content_encoding)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_ENCODING, resp.content_encoding);
	ret = MHD_queue_response(conn, resp.status, r);
	MHD_destroy_response(r);
	return ret;
}

static int hex_value(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
	       c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* %HH decoding of paths and query values, except that %00 stays as it
 * is: a NUL would cut the C string handlers read ("/%00x" would be
 * served as "/"). */
static size_t unescape(void *cls, struct MHD_Connection *conn, char *s)
{
	char *r = s, *w = s;

	(void)cls;
	(void)conn;
	while (*r) {
		int hi = r[0] == '%' ? hex_value(r[1]) : -1;
		int lo = hi >= 0 ? hex_value(r[2]) : -1;

		if (lo >= 0 && (hi | lo)) {
			*w++ = (char)(hi << 4 | lo);
			r += 3;
		} else {
			*w++ = *r++;
		}
	}
	*w = '\0';
	return (size_t)(w - s);
}

/* "host:port" or "[v6]:port" -> a socket address. */
static int resolve(const char *listen, struct sockaddr_storage *ss, char *err, size_t errlen)
{
	char host[256];
	const char *colon = strrchr(listen, ':');
	struct addrinfo hints = { .ai_flags = AI_NUMERICSERV | AI_PASSIVE }, *ai = NULL;
	size_t hl;
	int rc;

	if (!colon) {
		snprintf(err, errlen, "listen address \"%s\" has no port (ADDR:PORT)", listen);
		return -EINVAL;
	}
	hl = colon - listen;
	if (listen[0] == '[' && hl >= 2 && listen[hl - 1] == ']') {
		listen++;
		hl -= 2;
	}
	snprintf(host, sizeof(host), "%.*s", (int)MIN(hl, sizeof(host) - 1), listen);
	rc = getaddrinfo(host[0] ? host : NULL, colon + 1, &hints, &ai);
	if (rc || !ai) {
		snprintf(err, errlen, "cannot resolve listen address \"%s\": %s", host,
			 gai_strerror(rc));
		return -EINVAL;
	}
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	freeaddrinfo(ai);
	return 0;
}

struct http_server *http_server__start(const char *listen, http_handler_fn fn,
				       void *ctx, char *err, size_t errlen)
{
	struct sockaddr_storage ss = { 0 };
	struct http_server *s;
	const union MHD_DaemonInfo *info;
	unsigned flags = MHD_USE_EPOLL;

	if (resolve(listen, &ss, err, errlen))
		return NULL;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	s = xcalloc(1, sizeof(*s));
	s->fn = fn;
	s->ctx = ctx;
	/* External polling: MHD runs only when the agent's loop calls it. */
	s->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, s,
				MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
				MHD_OPTION_CONNECTION_LIMIT, (unsigned)ALL_CONNECTIONS,
				MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)PER_CLIENT_CONNECTIONS,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)IDLE_TIMEOUT_S,
				MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)REQUEST_MEMORY_BYTES,
				MHD_OPTION_UNESCAPE_CALLBACK, unescape, NULL,
				MHD_OPTION_END);
	if (!s->d) {
		snprintf(err, errlen, "cannot listen on %s: %s (in use? pass --listen ADDR:PORT "
			 "or --listen off)", listen, strerror(errno ? errno : EADDRINUSE));
		free(s);
		return NULL;
	}
	info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_EPOLL_FD);
	s->epoll_fd = info ? info->epoll_fd : -1;
	info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
	s->port = info ? info->port : 0;
	return s;
}

bool http_server__is_loopback(const char *listen)
{
	struct sockaddr_storage ss = { 0 };
	char err[256];

	if (resolve(listen, &ss, err, sizeof(err)))
		return false;
	if (ss.ss_family == AF_INET)
		return (ntohl(((struct sockaddr_in *)&ss)->sin_addr.s_addr) >> 24) == 127;
	if (ss.ss_family == AF_INET6) {
		const struct in6_addr *a = &((struct sockaddr_in6 *)&ss)->sin6_addr;

		return IN6_IS_ADDR_LOOPBACK(a) ||
		       (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
	}
	return false;
}

unsigned http_server__port(const struct http_server *s)
{
	return s->port;
}

int http_server__fd(const struct http_server *s)
{
	return s ? s->epoll_fd : -1;
}

void http_server__run(struct http_server *s)
{
	if (s)
		MHD_run(s->d);
}

uint64_t http_server__requests(const struct http_server *s)
{
	return s ? s->requests : 0;
}

void http_server__stop(struct http_server *s)
{
	if (!s)
		return;
	MHD_stop_daemon(s->d);
	free(s);
}
