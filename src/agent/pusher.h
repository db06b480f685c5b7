/* SPDX-License-Identifier: MIT */
/*
 * Pushing profiles to a Pyroscope-compatible server, from a thread of its
 * own (libcurl), so a slow or absent server never stalls the collector:
 *
 *   POST {push-url}/ingest?name=SERVICE{host=H,pid=P,kind=K,comm=C}
 *        &from=UNIX_S&until=UNIX_S&format=pprof&spyName=leakscope
 *   Content-Type: application/octet-stream
 *   body: the gzip-compressed pprof (src/export/pprof.c)
 *
 * Profiles wait in a bounded FIFO: beyond --push-queue waiting ones the
 * oldest is dropped (counted). A failure that may pass (no connection,
 * timeout, HTTP 429 or 5xx) is retried after an exponential back-off
 * (0.25 s doubling up to --push-backoff-max), keeping the order; any
 * other HTTP error drops that profile (counted as rejected).
 */
#ifndef LS_PUSH_H
#define LS_PUSH_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct push_item {
	char *url;
	uint8_t *body;
	size_t len;
};

/* A ring of at most max waiting items. */
struct push_queue {
	struct push_item *v;
	size_t max, head, n;
};

void push_queue__init(struct push_queue *q, size_t max);
void push_queue__free(struct push_queue *q);
/* Append it; when full, the oldest waiting item is dropped first (moved
 * to *dropped, which the caller frees): returns true then. */
bool push_queue__put(struct push_queue *q, struct push_item it, struct push_item *dropped);
/* Back at the front (a retry); same dropping rule, the oldest being it. */
bool push_queue__put_front(struct push_queue *q, struct push_item it, struct push_item *dropped);
bool push_queue__take(struct push_queue *q, struct push_item *out);
void push_item__free(struct push_item *it);

/* Wait before retry number attempt (0-based): base * 2^attempt, capped. */
uint64_t push__backoff_ns(unsigned attempt, uint64_t base_ns, uint64_t max_ns);
/* Should this outcome be retried? http 0 = no response (curl error). */
bool push__retryable(long http_status);
/* The ingest URL (malloc'd): name and label values percent-encoded. */
char *push__ingest_url(const char *base, const char *service, const char *const *labels,
		       uint64_t from_s, uint64_t until_s);

struct push_stats {
	uint64_t enqueued, sent, dropped, rejected, retries, bytes_sent;
	size_t queued;		/* waiting now (plus one in flight) */
	long last_status;	/* last HTTP status, 0 = no response */
};

struct pusher {
	pthread_t thread;
	bool started;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct push_queue q;
	bool inflight;
	bool stopping;
	uint64_t deadline_ns;	/* when stopping: give up after this */
	struct push_stats st;
	void *curl;		/* CURL *, used by the thread only */
	void *headers;		/* struct curl_slist * */
	long timeout_ms;
	uint64_t backoff_base_ns, backoff_max_ns;
};

/* Start the sending thread. headers: "Name: value" strings. 0 or -errno. */
int pusher__start(struct pusher *p, size_t queue_max, double timeout_s,
		  double backoff_max_s, const char *const *headers, size_t nheaders);
/* Queue a profile (ownership of url and body passes to the pusher). */
void pusher__enqueue(struct pusher *p, char *url, uint8_t *body, size_t len);
void pusher__stats(struct pusher *p, struct push_stats *out);
/* Send what is queued until it is empty or timeout_s passed, then stop
 * the thread; what is left is counted as dropped. */
void pusher__stop(struct pusher *p, double timeout_s);

#endif
