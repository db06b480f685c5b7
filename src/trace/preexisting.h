/* SPDX-License-Identifier: MIT */
/*
 * What a process already held when leakscope attached (-p): its open
 * fds (/proc/PID/fd, sockets described from /proc/PID/net), its mappings
 * and its brk heap (/proc/PID/maps). They enter the ledgers marked
 * pre-existing: who made them is unknowable, so no stack is invented;
 * closing or unmapping them later is accounted like anything else.
 */
#ifndef LS_PREEXISTING_H
#define LS_PREEXISTING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct process;

struct preexisting_counts {
	uint64_t fds, mappings, mapped_bytes, heap_bytes;
};

/* Call after the probes are attached and before events are consumed, so
 * what changes in between is corrected by the events. 0 or -errno. */
int preexisting__scan(struct process *p, uint64_t now_ns,
		      struct preexisting_counts *out);
/* Only the fds /proc/PID/fd shows that the ledger lacks, added as of
 * unknown creator; *count gets how many. 0 or -errno. */
int preexisting__scan_fds(struct process *p, uint64_t now_ns, uint64_t *count);
/* "tcp 127.0.0.1:8080 -> 10.0.0.2:5123" for a socket inode, from the
 * pid's network namespace, into buf; false if not found. */
bool preexisting__socket_name(int pid, uint64_t inode, char *buf, size_t size);
/* The parsers behind it, over the text of /proc/PID/net/PROTO (exposed
 * for tests and fuzzing): listening ports (+1) of tcp/tcp6 into ports;
 * inode -> description (a copy the map owns) of tcp, tcp6, udp, udp6 and
 * unix into names, freed with preexisting__socket_names_free. */
struct u64map;
void preexisting__parse_listening(const char *text, struct u64map *ports);
void preexisting__parse_inet(const char *proto, const char *text,
			     const struct u64map *listening, struct u64map *names);
void preexisting__parse_unix(const char *text, struct u64map *names);
void preexisting__socket_names_free(struct u64map *names);

#endif
