/* SPDX-License-Identifier: MIT */
/*
 * The agent's caps on tracked items (mappings, heap growths, fds,
 * goroutines): per process and over all processes. Beyond a cap the
 * *newest* items are evicted: a leak shows as items that are old and
 * still held, so the oldest are the evidence worth keeping, and what is
 * new is mostly in flight. Eviction goes down to 90% of the cap, so a
 * process that keeps growing pays for it once per 10% of growth, not
 * once per item. Evicted items are counted per kind; a later release of
 * one (close, munmap, goroutine exit) is then simply unknown, as for
 * anything made before tracing.
 */
#ifndef LS_CAPS_H
#define LS_CAPS_H

#include <stddef.h>
#include <stdint.h>

#include "report/report.h"

struct collector;
struct process;

struct caps {
	size_t per_process;	/* 0 = no cap */
	size_t global;
	uint64_t evicted[KIND_MAX];	/* items, by kind */
	uint64_t rounds;		/* times a cap was enforced */
};

/* Items p holds that count against the caps. */
size_t caps__items(const struct process *p);
/* Enforce both caps on c's processes; returns the items evicted. */
size_t caps__enforce(struct caps *k, struct collector *c);
/* Evict p's n newest items (counted in k). Returns how many went. */
size_t caps__evict_newest(struct caps *k, struct process *p, size_t n);

#endif
