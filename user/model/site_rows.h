/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A finding's rows as a person compares them. The tracker counts each
 * leaked buffer by (address, size, stack id); a person compares addresses
 * and sizes, and call paths. So the rows are made here: sites merged where
 * their stacks are the same call path, then one row per (address, size) and
 * one per stack, each with its count. The device and type are the finding's
 * own: a finding is one device (chip or mesh, named by id) and one type.
 */
#ifndef TTLEAK_SITE_ROWS_H
#define TTLEAK_SITE_ROWS_H

#include <stdint.h>
#include "model/tracker.h"

/* The stack id that stands for stack_id of process tgid: the same for every
 * stack of the same call path. */
typedef int32_t (*site_rows_same_stack)(void *ctx, uint32_t tgid, int32_t stack_id);

/* (Re)make every finding's sites, addresses and stacks rows; same_stack NULL
 * keeps stack ids as they are. */
void site_rows__build(struct tracker_results *r, site_rows_same_stack same_stack, void *ctx);

#endif /* TTLEAK_SITE_ROWS_H */
