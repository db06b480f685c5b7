// SPDX-License-Identifier: MIT
#include "report/live.h"
#include "base/hashmap.h"
#include "report/report.h"
#include "report/text.h"
#include "base/util.h"

#include <time.h>

void live__init(struct live *l)
{
	l->prev = u64map__new(256);
	l->ticks = 0;
}

void live__free(struct live *l)
{
	u64map__free(l->prev);
	l->prev = NULL;
}

static uint64_t key_of(const struct report_stack *s)
{
	return report__stack_key(s);
}

static int64_t weight(const struct report_stack *s)
{
	return (int64_t)(kind_has_bytes(s->kind) ? s->bytes : s->count);
}

static int64_t growth(void *ctx, const struct report_stack *s)
{
	struct live *l = ctx;
	uint64_t prev = 0;

	u64map__get(l->prev, key_of(s), &prev);
	return weight(s) - (int64_t)prev;
}

void live__print(struct live *l, FILE *f, const struct report *r, size_t top)
{
	struct text_options o = { .top = top ? top : 5, .max_frames = 6,
				  .growth = growth, .growth_ctx = l };
	char when[32];
	time_t t = time(NULL);

	strftime(when, sizeof(when), "%H:%M:%S", localtime(&t));
	fprintf(f, "\n==== %s live view #%u ====\n", when, ++l->ticks);
	report_text__write(f, r, &o);
	fflush(f);
	u64map__clear(l->prev);
	for (size_t i = 0; i < r->nstacks; i++)
		u64map__put(l->prev, key_of(&r->stacks[i]), weight(&r->stacks[i]));
}
