/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Allocation stacks as a person compares them: by the functions they pass
 * through. The same call path can be captured under several stack ids (the
 * frame-pointer map keys stacks by return address, and an interpreter calls
 * the runtime from many offsets of one function), so a finding's stack rows
 * are made per symbolized stack, never per id.
 */
#ifndef TTLEAK_SITE_STACKS_H
#define TTLEAK_SITE_STACKS_H

#include "elf/stacks.h"
#include "model/tracker.h"

/* Remake r's site rows (model/site_rows.h) with stacks of s, symbolized,
 * merged where every frame names the same function (or, without a symbol,
 * the same module offset). */
void site_stacks__group(struct tracker_results *r, const struct stack_store *s);

/* One line per frame: its function, else module+0xoffset, else its address;
 * what makes two stacks the same call path. Caller frees. */
char *site_stacks__signature(const struct stack_frame *f, size_t n);

#endif /* TTLEAK_SITE_STACKS_H */
