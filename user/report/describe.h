/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * How every output says what the tracker knows, in one spelling for the text
 * report, JSON, metrics, the live view and the trace: devices (a chip, a
 * mesh and the chips it spans, or a pointer), byte counts, findings' titles
 * and advice, processes, and strings from the traced process made safe to
 * print. Outputs depend on this module, never on each other.
 */
#ifndef TTLEAK_DESCRIBE_H
#define TTLEAK_DESCRIBE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "model/run_info.h"
#include "model/tracker.h"

/* "chip 0", "mesh 3 (chips 0,1)", "mesh 3 (chips not seen)" or
 * "device 0x55d0c0 (class or id unknown)". */
void describe__device(const struct tracker_device_id *id, char *buf, size_t size);

/* "chip", "mesh" or "unknown". */
const char *describe__device_kind(enum tracker_device_kind kind);

/* The chips of a mesh as "0,1" ("" when none were seen). */
void describe__mesh_chips(const struct tracker_device_id *id, char *buf, size_t size);

/* "512 B", "4.0 KiB", "1.5 MiB" (up to TiB). */
void describe__bytes(uint64_t bytes, char *buf, size_t size);

/* A change: "+3.0 MiB", "-2.0 KiB", "+0 B". */
void describe__bytes_change(int64_t change, char *buf, size_t size);

/* A finding's one-line title and what to do about it. */
const char *describe__finding_title(const struct finding_group *g);
const char *describe__finding_advice(const struct finding_group *g);

/* The command line of a traced process; for one gone before it could be
 * read, the kernel's name as "[comm]"; "" when neither is known (unescaped). */
const char *describe__process_command(const struct run_info *run, uint32_t tgid);

/* "exited with status 3", "killed by signal 9 (Killed)" */
void describe__wait_status(int status, char *buf, size_t size);

/* Length of the valid UTF-8 sequence at p (1 for ASCII), 0 when it is not
 * one: overlong, a surrogate, past U+10FFFF, or cut short. */
size_t describe__utf8_length(const unsigned char *p);

/* Print s, a string that comes from a traced process or its files (command
 * line, comm, paths, symbol names), with control characters, invalid UTF-8,
 * C1 controls and bidirectional overrides escaped as \xNN: it cannot forge
 * report lines or send escape sequences to a terminal. Every such string in
 * the text report and the live view goes through it. */
void describe__put_untrusted(FILE *out, const char *s);

#endif /* TTLEAK_DESCRIBE_H */
