/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * How every output names the things the tracker knows: one spelling of a
 * device (chip, mesh and the chips it spans, or a pointer) for the text
 * report, JSON, metrics, the live view and the trace.
 */
#ifndef TTLEAK_DESCRIBE_H
#define TTLEAK_DESCRIBE_H

#include <stddef.h>
#include "model/tracker.h"

/* "chip 0", "mesh 3 (chips 0,1)", "mesh 3 (chips not seen)" or
 * "device 0x55d0c0 (class or id unknown)". */
void describe__device(const struct tracker_device_id *id, char *buf, size_t size);

/* "chip", "mesh" or "unknown". */
const char *describe__device_kind(enum tracker_device_kind kind);

/* The chips of a mesh as "0,1" ("" when none were seen). */
void describe__mesh_chips(const struct tracker_device_id *id, char *buf, size_t size);

#endif /* TTLEAK_DESCRIBE_H */
