/* SPDX-License-Identifier: MIT */
/* The malloc family's records (LS_EV_MALLOC, LS_EV_FREE) into a
 * process's heap ledger. */
#ifndef LS_HEAPEVENTS_H
#define LS_HEAPEVENTS_H

#include <stddef.h>

struct collector;
struct process;
struct ls_malloc_event;
struct ls_free_event;

void heapevents__on_malloc(struct collector *c, struct process *p,
			   const struct ls_malloc_event *e, size_t size);
void heapevents__on_free(struct collector *c, struct process *p,
			 const struct ls_free_event *e);

#endif
