// SPDX-License-Identifier: MIT
#include "agent/pusher.h"
#include "base/logfmt.h"
#include "base/util.h"

#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BACKOFF_BASE_NS 250000000ULL

void push_item__free(struct push_item *it)
{
	free(it->url);
	free(it->body);
	memset(it, 0, sizeof(*it));
}

void push_queue__init(struct push_queue *q, size_t max)
{
	memset(q, 0, sizeof(*q));
	q->max = max ? max : 1;
	q->v = xcalloc(q->max, sizeof(*q->v));
}

void push_queue__free(struct push_queue *q)
{
	struct push_item it;

	while (push_queue__take(q, &it))
		push_item__free(&it);
	free(q->v);
	memset(q, 0, sizeof(*q));
}

bool push_queue__take(struct push_queue *q, struct push_item *out)
{
	if (!q->n)
		return false;
	*out = q->v[q->head];
	q->head = (q->head + 1) % q->max;
	q->n--;
	return true;
}

bool push_queue__put(struct push_queue *q, struct push_item it, struct push_item *dropped)
{
	bool full = q->n == q->max;

	if (full)
		push_queue__take(q, dropped);
	q->v[(q->head + q->n) % q->max] = it;
	q->n++;
	return full;
}

bool push_queue__put_front(struct push_queue *q, struct push_item it, struct push_item *dropped)
{
	if (q->n == q->max) {
		*dropped = it;	/* it is the oldest of all */
		return true;
	}
	q->head = (q->head + q->max - 1) % q->max;
	q->v[q->head] = it;
	q->n++;
	return false;
}

uint64_t push__backoff_ns(unsigned attempt, uint64_t base_ns, uint64_t max_ns)
{
	uint64_t d = base_ns;

	for (unsigned i = 0; i < attempt && d < max_ns; i++)
		d *= 2;
	return MIN(d, max_ns);
}

bool push__retryable(long status)
{
	return status == 0 || status == 408 || status == 429 || status >= 500;
}

/* RFC 3986 percent-encoding of everything but unreserved characters. */
static void encode(FILE *f, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_' || c == '.' || c == '~')
			fputc(c, f);
		else
			fprintf(f, "%%%02X", c);
	}
}

/* Pyroscope's name grammar reserves {}=, in label values and the app
 * name: replace them (and spaces) rather than fail the push. */
static void clean(char *out, size_t size, const char *s)
{
	size_t o = 0;

	for (; s && *s && o + 1 < size; s++)
		out[o++] = strchr("{}=, \"\n", *s) ? '_' : *s;
	out[o] = '\0';
}

char *push__ingest_url(const char *base, const char *service, const char *const *labels,
		       uint64_t from_s, uint64_t until_s)
{
	char *buf = NULL, name[4096], tmp[512];
	size_t len = 0, n = 0, bl = strlen(base);
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	while (bl && base[bl - 1] == '/')
		bl--;
	clean(tmp, sizeof(tmp), service && *service ? service : "unknown");
	n = snprintf(name, sizeof(name), "%s{", tmp);
	for (size_t i = 0; labels && labels[i] && labels[i + 1]; i += 2) {
		clean(tmp, sizeof(tmp), labels[i + 1]);
		if (n < sizeof(name))
			n += snprintf(name + n, sizeof(name) - n, "%s%s=%s", i ? "," : "",
				      labels[i], tmp);
	}
	if (n < sizeof(name))
		snprintf(name + n, sizeof(name) - n, "}");
	fprintf(f, "%.*s/ingest?name=", (int)bl, base);
	encode(f, name);
	fprintf(f, "&from=%" PRIu64 "&until=%" PRIu64 "&format=pprof&spyName=leakscope",
		from_s, until_s);
	fclose(f);
	return buf;
}

static size_t discard(char *ptr, size_t size, size_t nmemb, void *ctx)
{
	(void)ptr;
	(void)ctx;
	return size * nmemb;
}

/* One POST: the HTTP status, or 0 when no response came. */
static long post(struct pusher *p, const struct push_item *it, char *err, size_t errlen)
{
	CURL *c = p->curl;
	long status = 0;
	CURLcode rc;

	curl_easy_setopt(c, CURLOPT_URL, it->url);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, (const char *)it->body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)it->len);
	rc = curl_easy_perform(c);
	if (rc != CURLE_OK) {
		snprintf(err, errlen, "%s", curl_easy_strerror(rc));
		return 0;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	snprintf(err, errlen, "HTTP %ld", status);
	return status;
}

static void deadline_ts(struct timespec *ts, uint64_t wait_ns)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += wait_ns / NS_PER_S;
	ts->tv_nsec += wait_ns % NS_PER_S;
	if (ts->tv_nsec >= (long)NS_PER_S) {
		ts->tv_sec++;
		ts->tv_nsec -= (long)NS_PER_S;
	}
}

static void *run(void *arg)
{
	struct pusher *p = arg;
	unsigned attempt = 0;
	bool failing = false;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		struct push_item it = { 0 }, dropped = { 0 };
		char err[256];
		long status;

		while (!p->q.n && !p->stopping)
			pthread_cond_wait(&p->cv, &p->mu);
		if (!p->q.n || (p->stopping && now_ns() >= p->deadline_ns))
			break;
		push_queue__take(&p->q, &it);
		p->inflight = true;
		pthread_mutex_unlock(&p->mu);

		status = post(p, &it, err, sizeof(err));

		pthread_mutex_lock(&p->mu);
		p->inflight = false;
		p->st.last_status = status;
		if (status >= 200 && status < 300) {
			p->st.sent++;
			p->st.bytes_sent += it.len;
			push_item__free(&it);
			if (failing)
				LOG_I("push recovered", "queued=%zu", p->q.n);
			failing = false;
			attempt = 0;
			continue;
		}
		if (!push__retryable(status)) {
			p->st.rejected++;
			LOG_W("push rejected, profile dropped", "error=%s url=%s",
			      logfmt__q(err), logfmt__q(it.url));
			push_item__free(&it);
			continue;
		}
		p->st.retries++;
		if (push_queue__put_front(&p->q, it, &dropped)) {
			p->st.dropped++;
			push_item__free(&dropped);
		}
		if (!failing)
			LOG_W("push failed, retrying with back-off", "error=%s queued=%zu",
			      logfmt__q(err), p->q.n);
		failing = true;
		{
			uint64_t wait = push__backoff_ns(attempt++, p->backoff_base_ns,
							 p->backoff_max_ns);
			uint64_t until = now_ns() + wait;
			struct timespec ts;

			/* The back-off holds while stopping too: a server that
			 * keeps failing must not get a request storm for the
			 * whole shutdown timeout. Stopping only cuts the wait
			 * to the shutdown deadline. */
			for (;;) {
				uint64_t end = p->stopping ? MIN(until, p->deadline_ns) : until,
					 now = now_ns();

				if (now >= end)
					break;
				deadline_ts(&ts, end - now);
				pthread_cond_timedwait(&p->cv, &p->mu, &ts);
			}
		}
	}
	/* Stopped with profiles still waiting: they are lost, and counted. */
	p->st.dropped += p->q.n;
	push_queue__free(&p->q);
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

int pusher__start(struct pusher *p, size_t queue_max, double timeout_s,
		  double backoff_max_s, const char *const *headers, size_t nheaders)
{
	pthread_condattr_t ca;
	struct curl_slist *h = NULL;
	CURL *c;
	int err;

	memset(p, 0, sizeof(*p));
	c = curl_easy_init();
	if (!c)
		return -ENOMEM;
	h = curl_slist_append(h, "Content-Type: application/octet-stream");
	for (size_t i = 0; i < nheaders; i++)
		h = curl_slist_append(h, headers[i]);
	p->curl = c;
	p->headers = h;
	p->timeout_ms = (long)(timeout_s * 1000);
	p->backoff_base_ns = BACKOFF_BASE_NS;
	p->backoff_max_ns = MAX((uint64_t)(backoff_max_s * NS_PER_S), BACKOFF_BASE_NS);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, p->timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, MIN(p->timeout_ms, 5000L));
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "leakscope-agent");
	push_queue__init(&p->q, queue_max);
	pthread_mutex_init(&p->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&p->cv, &ca);
	pthread_condattr_destroy(&ca);
	err = pthread_create(&p->thread, NULL, run, p);
	if (err) {
		push_queue__free(&p->q);
		curl_slist_free_all(h);
		curl_easy_cleanup(c);
		return -err;
	}
	p->started = true;
	return 0;
}

void pusher__enqueue(struct pusher *p, char *url, uint8_t *body, size_t len)
{
	struct push_item it = { url, body, len }, dropped = { 0 };

	pthread_mutex_lock(&p->mu);
	p->st.enqueued++;
	if (push_queue__put(&p->q, it, &dropped)) {
		p->st.dropped++;
		push_item__free(&dropped);
	}
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

void pusher__stats(struct pusher *p, struct push_stats *out)
{
	if (!p->started) {	/* stopped: the final counts */
		*out = p->st;
		out->queued = 0;
		return;
	}
	pthread_mutex_lock(&p->mu);
	*out = p->st;
	out->queued = p->q.n + p->inflight;
	pthread_mutex_unlock(&p->mu);
}

void pusher__stop(struct pusher *p, double timeout_s)
{
	if (!p->started)
		return;
	pthread_mutex_lock(&p->mu);
	p->stopping = true;
	p->deadline_ns = now_ns() + (uint64_t)(timeout_s * NS_PER_S);
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	pthread_join(p->thread, NULL);
	curl_slist_free_all(p->headers);
	curl_easy_cleanup(p->curl);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
	p->started = false;
}
