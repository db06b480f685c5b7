/* SPDX-License-Identifier: MIT */
/*
 * One traced process and everything it still holds: its ledgers (one per
 * kind of resource) and where its code is, for symbolization. A process
 * that exits keeps its ledgers as they were at exit: that is what it
 * leaked.
 */
#ifndef LS_PROCESS_H
#define LS_PROCESS_H

#include <stdbool.h>
#include <stdint.h>
#include "symbols/addrspace.h"
#include "ledgers/brkheap.h"
#include "ledgers/fdtable.h"
#include "ledgers/heapblocks.h"
#include "ledgers/mappings.h"

struct u64map;
struct goproc;
struct tables;

struct process {
	int pid;
	int parent_pid;		/* 0 for targets named on the command line */
	char comm[16];
	const char *exe;	/* path of the program as started, in tables' strings */
	const char *exe_file;	/* the file exe leads to, if not exe itself */
	uint64_t seen_ns;	/* when tracing of it began */
	bool exited;
	int exit_status;	/* wait status, valid when exited */
	uint64_t exit_ns;
	bool execed;		/* image replaced at least once under tracing */
	bool program_unread;	/* the last exec's program file could not be
				 * read (gone from its path and the process
				 * gone too): its frames are unnamed */
	uint32_t held_program;	/* module of the command we launched (its
				 * file held open), until its exec is seen */

	struct tables *tables;	/* the collector's: stacks, strings, modules */
	struct addrspace as;
	struct mappings maps;
	struct brkheap brk;
	struct fdtable fds;
	struct heapblocks heap;	/* malloc family (--malloc) */
	struct goproc *go;	/* Go runtime state, NULL if not a Go program */
	struct u64map *stack_cache;	/* hash(raw ips, as.gen) -> stack id;
					 * ids a sweep freed are dropped */
	uint64_t unresolved_frames;	/* frames placed in no module */
	uint64_t memory_measured_ns;	/* last trace/memusage reading, 0 never */
};

struct process *process__new(int pid, uint64_t page_size, struct tables *tables);
void process__free(struct process *p);
/* comm and exe from /proc; quiet if the process is gone. exe is the
 * path the program was started by (argv[0], when it leads to the running
 * file), as a user knows it: Debian's redis-server is a link to
 * redis-check-rdb. */
void process__read_identity(struct process *p);
/* exe_file from /proc/PID/exe, for an exe just set (an exec). */
void process__resolve_exe(struct process *p);
/* Drop what an exec replaces: memory ledgers and code map. */
void process__exec_reset(struct process *p);
/* The command leakscope is about to run as this process: its file held
 * open, so that the exec is placed even if the command is gone (and its
 * path relative) by the time its records are read. */
void process__hold_program(struct process *p, const char *path);
/* Before unwinding from pc: if no known code holds it and the process
 * is alive, re-read its code map (at most every 20 ms). Libraries mapped
 * before tracing began (an exec seen late) are found this way before the
 * unwinder needs their CFI. */
void process__locate_code(struct process *p, uint64_t pc);
/* Intern a raw user stack of this process (see stacks.h). */
uint32_t process__intern_stack(struct process *p, const uint64_t *ips,
			       uint32_t n, uint32_t flags);
/* Memory the collector holds for this process (for the agent's caps). */
size_t process__items(const struct process *p);
/* Mark in p->tables what p refers to: the stacks of its ledgers (heap
 * blocks and their tallies too), their paths and names, its exe and the
 * modules of its code map (tables.h). */
void process__mark(const struct process *p);
/* After a sweep: forget cached stack ids the sweep freed. */
void process__drop_swept(struct process *p);

#endif
