// SPDX-License-Identifier: MIT
#include "symbols/tables.h"
#include "base/strtab.h"
#include "symbols/modules.h"
#include "symbols/stacks.h"
#include "symbols/symbolize.h"

#include <stdbool.h>
#include <string.h>

void tables__init(struct tables *t)
{
	memset(t, 0, sizeof(*t));
	t->strings = strtab__new();
	t->stacks = stacks__new();
	t->modules = modules__new(t->strings);
	t->symbols = symbolizer__new(t->modules, t->strings);
}

void tables__free(struct tables *t)
{
	/* users first: the symbolizer holds module ids, modules hold strings */
	symbolizer__free(t->symbols);
	modules__free(t->modules);
	stacks__free(t->stacks);
	strtab__free(t->strings);
	memset(t, 0, sizeof(*t));
}

void tables__mark_string(struct tables *t, const char *s)
{
	strtab__mark(t->strings, s);
}

void tables__mark_stack(struct tables *t, uint32_t id)
{
	stacks__mark(t->stacks, id);
}

void tables__mark_module(struct tables *t, uint32_t id)
{
	modules__mark(t->modules, id);
}

/* What a kept stack needs: its modules and its frames' symbols. */
static void mark_from_stacks(struct tables *t)
{
	uint32_t n = stacks__count(t->stacks);
	bool symbolized = symbolizer__count(t->symbols) > 0;	/* none before a report */

	for (uint32_t id = 1, seen = 0; seen < n; id++) {
		uint32_t nf;
		const uint64_t *f;

		if (!stacks__live(t->stacks, id))
			continue;
		seen++;
		if (!stacks__marked(t->stacks, id))
			continue;
		f = stacks__frames(t->stacks, id, &nf, NULL);
		for (uint32_t i = 0; i < nf; i++) {
			modules__mark(t->modules, FRAME_MODULE(f[i]));
			if (symbolized)
				symbolizer__mark_frame(t->symbols, f[i]);
		}
	}
}

size_t tables__sweep(struct tables *t)
{
	size_t freed[TABLE_MAX], all = 0;

	mark_from_stacks(t);
	/* the symbolizer drops the state of modules about to go */
	freed[TABLE_SYMBOLS] = symbolizer__sweep(t->symbols);
	freed[TABLE_MODULES] = modules__sweep(t->modules);
	freed[TABLE_STACKS] = stacks__sweep(t->stacks);
	modules__mark_strings(t->modules, t->strings);
	symbolizer__mark_strings(t->symbols, t->strings);
	freed[TABLE_STRINGS] = strtab__sweep(t->strings);
	for (int k = 0; k < TABLE_MAX; k++) {
		t->freed[k] += freed[k];
		all += freed[k];
	}
	t->sweeps++;
	return all;
}

size_t tables__entries(const struct tables *t)
{
	return strtab__count(t->strings) + stacks__count(t->stacks) +
	       modules__count(t->modules) + symbolizer__count(t->symbols);
}

void tables__size(const struct tables *t, enum table_kind k, struct table_size *out)
{
	switch (k) {
	case TABLE_STRINGS:
		*out = (struct table_size){ strtab__count(t->strings), strtab__bytes(t->strings) };
		break;
	case TABLE_STACKS:
		*out = (struct table_size){ stacks__count(t->stacks), stacks__bytes(t->stacks) };
		break;
	case TABLE_MODULES:
		*out = (struct table_size){ modules__count(t->modules), modules__bytes(t->modules) };
		break;
	case TABLE_SYMBOLS:
		*out = (struct table_size){ symbolizer__count(t->symbols),
					    symbolizer__bytes(t->symbols) };
		break;
	default:
		*out = (struct table_size){ 0, 0 };
	}
}

const char *table_kind_name(enum table_kind k)
{
	static const char *const names[TABLE_MAX] = {
		[TABLE_STRINGS] = "strings", [TABLE_STACKS] = "stacks",
		[TABLE_MODULES] = "modules", [TABLE_SYMBOLS] = "symbols",
	};
	return k < TABLE_MAX ? names[k] : "unknown";
}
