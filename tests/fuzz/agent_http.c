// SPDX-License-Identifier: MIT
/*
 * Fuzz target: bytes a client sends to the agent's endpoint (--listen):
 * the HTTP request as libmicrohttpd parses it, then leakscope's side
 * (agent/http_server.c, agent/endpoints.c): routes, /metrics, and
 * /debug/pprof/KIND?pid=N over a collector that traces pid 1. The input
 * goes over a real loopback connection to a server driven by this
 * process, as the agent's loop drives it. Served with 200, a pid
 * argument must be exactly a traced pid (1): never another number that
 * happens to land on it once truncated.
 */
#include "fuzz.h"
#include "agent/agent_int.h"
#include "agent/http_server.h"
#include "base/hashmap.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_ROUNDS 10000

static struct agent agent;
static struct http_server *server;

static void handle(void *ctx, const struct http_request *req, struct http_response *resp)
{
	const char *pid = http_request__arg(req, "pid");

	agent_http__handle(ctx, req, resp);
	if (resp->status == 200 && pid && !strncmp(req->path, "/debug/pprof/", 13) &&
	    strcmp(req->path, "/debug/pprof/")) {
		char *end;
		long long v;

		errno = 0;
		v = strtoll(pid, &end, 10);
		if (errno || *end || v != 1)
			fuzz_fail("profile served for pid \"%.40s\", which is not the traced pid 1",
				  pid);
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char err[256];

	agent_options__defaults(&agent.o);
	agent.log.logfmt = 1;
	agent.sc.stats_fd = -1;
	collector__init(&agent.coll);
	agent_filter__init(&agent.filter, &agent.o);
	verdicts__init(&agent.verdicts, agent.o.trace.suspect_age_s);
	alloc_deltas__init(&agent.deltas);
	agent.last_push_s = u64map__new(8);
	snprintf(agent.host, sizeof(agent.host), "fuzz");
	sampler__init(&agent.sampler, 100, 60, 1);
	selfcheck__init(&agent.sc, 0, 10, 10, 60, 0, false);
	if (!collector__add(&agent.coll, 1, NULL))
		fuzz_fail("cannot track pid 1");
	agent.loaded = true;	/* no BPF: the handlers only read the collector */
	server = http_server__start("127.0.0.1:0", handle, &agent, err, sizeof(err));
	if (!server)
		fuzz_fail("cannot start the server: %s", err);
	return 0;
}

/* Nothing left to do on either side: no answer bytes waiting for the
 * client, no event for the server. Both run in this thread, and loopback
 * delivers within send(), so this is when the exchange is over. */
static bool quiet(int s)
{
	struct pollfd fds[2] = { { s, POLLIN, 0 }, { http_server__fd(server), POLLIN, 0 } };

	return poll(fds, 2, 0) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sockaddr_in addr = { .sin_family = AF_INET,
				    .sin_port = htons(http_server__port(server)),
				    .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	size_t sent = 0;
	int idle = 0;
	char buf[65536];

	if (s < 0)
		fuzz_fail("socket: %s", strerror(errno));
	if (connect(s, (struct sockaddr *)&addr, sizeof(addr)) && errno != EINPROGRESS)
		fuzz_fail("connect: %s", strerror(errno));
	for (int round = 0; round < MAX_ROUNDS && idle < 2; round++) {
		ssize_t n;

		http_server__run(server);
		if (sent < size) {
			n = send(s, data + sent, size - sent, MSG_NOSIGNAL);
			if (n > 0)
				sent += (size_t)n;
			else if (errno != EAGAIN)
				break;
			continue;
		}
		n = recv(s, buf, sizeof(buf), 0);
		if (n == 0 || (n < 0 && errno != EAGAIN))
			break;	/* the server closed */
		idle = n > 0 ? 0 : idle + quiet(s);
	}
	/* The client goes; the server must let the connection go too. */
	close(s);
	for (int i = 0; i < 4; i++)
		http_server__run(server);
	return 0;
}
