/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Allocation stacks (--stacks). With frame pointers (fp) the BPF side stores
 * user stacks in a stack map and puts the id in each allocation event;
 * without (dwarf) it sends a copy of the registers and the top of the stack,
 * unwound here (unwind.h) into the same kind of stack. On the first event with a
 * new (process, stack id), the store reads the stack's return addresses and
 * turns each into (module, file offset) with the process's mappings, read
 * then, while the process runs; libraries loaded later (dlopen) are found by
 * reading the mappings again. Symbols and source lines come at report time,
 * from the module files (elfutils libdwfl), so processes that have exited by
 * then are symbolized too.
 */
#ifndef TTLEAK_STACKS_H
#define TTLEAK_STACKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include "ttleak_event.h"

struct stack_store;

struct stack_frame {
	uint64_t ip;
	const char *module;     /* path as the process mapped it; NULL when unmapped */
	uint64_t offset;        /* file offset in module */
	const char *symbol;     /* demangled, NULL when unknown (after symbolize) */
	const char *source;     /* source file, NULL without DWARF */
	int line;
};

struct stack_stats {
	uint64_t captured;      /* distinct (process, stack) pairs */
	uint64_t read_failures; /* stack ids no longer in the map */
	uint64_t unmapped;      /* stacks cut at an address outside every code mapping */
	uint64_t unsymbolized;  /* frames in a module without a symbol for them */
	uint64_t truncated;     /* stacks that do not reach a thread's entry point */
	uint64_t process_gone;  /* stacks of a process gone before its mappings were read */
	uint64_t unwind_slice_ended; /* dwarf: stacks whose unwind needed more than the copy */
	uint64_t unwind_failed; /* dwarf: stacks whose unwind found no CFI for a frame */
};

struct stack_store *stack_store__new(void);
void stack_store__free(struct stack_store *s);

/* Read tgid's mappings now, while it surely runs (its first event). */
void stack_store__note_process(struct stack_store *s, uint32_t tgid);

/* Whether (tgid, stack_id) was captured already. */
bool stack_store__known(const struct stack_store *s, uint32_t tgid, int32_t stack_id);

/* Capture a stack: its return addresses (innermost first, as the stack map
 * holds them; 0 ends the list), mapped with tgid's mappings now. The caller
 * reads the map; a failed read is reported with ips == NULL. 0 or -ENOMEM. */
int stack_store__add(struct stack_store *s, uint32_t tgid, int32_t stack_id,
		     const uint64_t *ips, size_t n);

/* --stacks=dwarf: unwind a stack copy of u->tgid now, and give it an id:
 * the id of the same frames in this process if unwound before, else a new
 * one (the ids are the store's own, not the stack map's). 0 or -ENOMEM. */
int stack_store__add_sample(struct stack_store *s, const struct ttleak_ustack *u, size_t size,
			    int32_t *stack_id);

/* Resolve symbols and lines of every captured frame. */
void stack_store__symbolize(struct stack_store *s);

/* Frames of a captured stack, innermost first; NULL if not captured. */
const struct stack_frame *stack_store__frames(const struct stack_store *s, uint32_t tgid,
					      int32_t stack_id, size_t *n);

void stack_store__stats(const struct stack_store *s, struct stack_stats *out);

/* Every captured stack, for the event log (after stack_store__symbolize). */
typedef int (*stack_store_fn)(uint32_t tgid, int32_t stack_id, const struct stack_frame *frames,
			      size_t n, void *ctx);
/* Calls fn for each stack until it returns nonzero; returns that, or 0. */
int stack_store__each(const struct stack_store *s, stack_store_fn fn, void *ctx);

/* --replay: a stack as the event log recorded it, symbolized already (the
 * strings are copied), and the counts the live run reported. A stack
 * restored twice keeps the first. 0 or -ENOMEM. */
int stack_store__restore(struct stack_store *s, uint32_t tgid, int32_t stack_id,
			 const struct stack_frame *frames, size_t n);
void stack_store__restore_stats(struct stack_store *s, const struct stack_stats *stats);

#endif /* TTLEAK_STACKS_H */
