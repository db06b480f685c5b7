/* SPDX-License-Identifier: MIT */
/*
 * Repairing the ledgers after the ring buffer overflowed. A lost record
 * leaves a ledger wrong in either direction: a lost creation hides an
 * item, a lost release keeps one that is gone. Once the losses stop (a
 * second without new ones: the burst is over, re-reading while still
 * losing would be wrong again at once), every live process's fds,
 * mappings and heap are made equal to /proc/PID's view: what /proc no
 * longer shows is dropped, what it shows and the ledger lacks is added
 * with no stack (its creation was lost), like a pre-existing item.
 * A process that exited before it could be re-read, and the goroutine,
 * Go allocation and malloc ledgers (no outside view to re-read), stay as
 * they were: the report then says its counts are inexact.
 */
#ifndef LS_RESYNC_H
#define LS_RESYNC_H

#include <stdbool.h>
#include <stdint.h>

struct collector;
struct process;

struct resync_stats {
	uint64_t lost_handled;		/* ring-buffer losses resynced for */
	uint64_t last_lost;		/* the loss counter at the last tick */
	uint64_t last_tick_ns;
	uint64_t pending_since_ns;	/* losses not yet handled: since when */
	uint64_t quiet_since_ns;	/* no new loss since */
	uint64_t runs;			/* resyncs of every live process */
	uint64_t fds_added, fds_removed;
	uint64_t bytes_added, bytes_removed;	/* mappings and heap */
	bool inexact;	/* losses some process's counts could not shed */
};

/* Re-read p from /proc: 0, or -ESRCH when it is gone. */
int resync__process(struct process *p, uint64_t now_ns, struct resync_stats *st);
/* About once a second, with the ring buffer's loss counter: resyncs every
 * live process once no loss came for a second. */
void resync__tick(struct collector *c, uint64_t lost, uint64_t now_ns);
/* At the end (before the final report): what is still pending, now. */
void resync__finish(struct collector *c, uint64_t lost, uint64_t now_ns);

#endif
