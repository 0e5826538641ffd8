/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * run_record: what an event log carries of a run besides its events (the
 * metadata section of event_log.h), so that --replay prints the report the
 * live run printed: the traced command, the library, its era and layout
 * source, the probes, why and after how long the run ended, the stack mode,
 * the names of the processes, the --all library list and the symbolized
 * allocation stacks with their counts.
 *
 * Entries, all little-endian: u16 tag, u32 length, then length bytes,
 * which the entry must use exactly. A string is u16 length and its bytes
 * (no NUL), bounded by where the reader keeps it. One RUN entry, at most one
 * STACK_STATS, any number of the others; an unknown tag is damage, not a
 * newer format (the event log's version says that).
 */
#ifndef TTLEAK_RUN_RECORD_H
#define TTLEAK_RUN_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "elf/stacks.h"
#include "model/process_labels.h"
#include "model/run_info.h"

enum run_record_tag {
	RUN_RECORD_RUN = 1,         /* the run's numbers and strings */
	RUN_RECORD_LABEL = 2,       /* a process's command line and comm */
	RUN_RECORD_LIBRARY = 3,     /* --all: a library file found */
	RUN_RECORD_STACK_STATS = 4, /* the stack store's counts */
	RUN_RECORD_STACK = 5,       /* a symbolized allocation stack */
};

/* Frames of a stack the reader keeps: the stack map's limit. */
#define RUN_RECORD_MAX_FRAMES TTLEAK_MAX_STACK_DEPTH

struct recorded_stack {
	uint32_t tgid;
	int32_t stack_id;
	struct stack_frame *frames; /* its strings owned here */
	size_t n;
};

struct run_record {
	struct run_info run;        /* the recorded fields; the others zero */
	char stop_reason[64];       /* run.stop_reason points here */
	struct process_labels labels;
	struct run_library *libraries;
	size_t n_libraries;
	bool has_stack_stats;       /* the run had --stacks */
	struct stack_stats stack_stats;
	struct recorded_stack *stacks;
	size_t n_stacks;
};

/* The metadata section for run (its stacks symbolized), in *out (malloc'd).
 * Strings longer than a string can say (64 KiB) are cut. 0 or -ENOMEM. */
int run_record__encode(const struct run_info *run, unsigned char **out, size_t *size);

/* Read a metadata section into rec (zeroed first; free with
 * run_record__free, also after an error). 0, or -EINVAL with a message in
 * err saying which entry is damaged and how, or -ENOMEM. */
int run_record__decode(const unsigned char *p, size_t size, struct run_record *rec, char *err,
		       size_t errlen);

void run_record__free(struct run_record *rec);

#endif /* TTLEAK_RUN_RECORD_H */
