// SPDX-License-Identifier: MIT
#include "ledgers/goproc.h"
#include "base/util.h"

#include <stdlib.h>

#define DEFAULT_MEM_PROFILE_RATE (512 * 1024)

struct goproc *goproc__new(struct go_binary *bin)
{
	struct goproc *g = xcalloc(1, sizeof(*g));

	g->bin = bin;
	goroutines__init(&g->gor);
	goallocs__init(&g->allocs);
	g->rate = DEFAULT_MEM_PROFILE_RATE;
	g->rate_source = "default";
	return g;
}

void goproc__free(struct goproc *g)
{
	if (!g)
		return;
	goroutines__clear(&g->gor);
	goallocs__clear(&g->allocs);
	free(g->heap);
	free(g);
}

