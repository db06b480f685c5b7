/* SPDX-License-Identifier: MIT */
/*
 * The agent's HTTP endpoint (GNU libmicrohttpd), driven from the agent's
 * own event loop: no server thread, so handlers read the collector
 * without locks. The loop polls http_server__fd() along with the ring
 * buffer and calls http_server__run() after each wake-up.
 */
#ifndef LS_HTTP_SERVER_H
#define LS_HTTP_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct http_server;

struct http_request {
	const char *method;
	const char *path;
	void *conn;		/* for http_request__arg */
};

struct http_response {
	int status;
	const char *content_type;
	const char *content_encoding;	/* NULL or "gzip" */
	char *body;			/* malloc'd; the server frees it */
	size_t len;
};

typedef void (*http_handler_fn)(void *ctx, const struct http_request *req,
				struct http_response *resp);

/* Query argument of the request, NULL if absent, "" if it holds a NUL. */
const char *http_request__arg(const struct http_request *req, const char *key);

/* Listen on "ADDR:PORT" ("[::1]:9465" for IPv6; port 0 picks one).
 * NULL and a message in err when it cannot. */
struct http_server *http_server__start(const char *listen, http_handler_fn fn,
				       void *ctx, char *err, size_t errlen);
/* True when listen names a loopback address (127.0.0.0/8, ::1,
 * localhost): only this host can connect. */
bool http_server__is_loopback(const char *listen);
/* The port actually bound. */
unsigned http_server__port(const struct http_server *s);
/* An fd that is readable when the server has work (epoll). */
int http_server__fd(const struct http_server *s);
/* Do whatever is ready, without blocking. */
void http_server__run(struct http_server *s);
uint64_t http_server__requests(const struct http_server *s);
void http_server__stop(struct http_server *s);

#endif
