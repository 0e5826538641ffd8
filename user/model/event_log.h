/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * event_log: the --record / --replay file.
 *
 * Layout (little-endian x86-64, no padding):
 *   header  magic "TTLEAKEV" (8 bytes), u32 version (TTLEAK_EVENT_VERSION),
 *           u32 record_size (sizeof(struct ttleak_event)), u32 target_pid,
 *           u32 flags, u64 probe_mask, u64 start_ns                 40 bytes
 *   records struct ttleak_event, raw, record_size bytes each
 *   footer  magic "TTLEAKND", u64 event_count,
 *           u64 drops[TTLEAK_DROP_REASON_MAX],
 *           u32 meta_size                           20 + 8 * MAX bytes
 *           meta_size bytes of the run's metadata (pipeline/run_record.h:
 *           what the live run knew at its end: command, library, stacks;
 *           at most EVENT_LOG_META_MAX), then the end of the file
 * The footer is told from a record by its magic: a record starts with ts_ns,
 * and "TTLEAKND" read as a CLOCK_MONOTONIC time is 156 years of uptime.
 * The footer's size follows TTLEAK_DROP_REASON_MAX, so adding a drop reason
 * must bump TTLEAK_EVENT_VERSION like any change to struct ttleak_event.
 * A file without a footer was not closed (the recorder was killed): the
 * reader rejects it rather than replay a run whose drops are unknown.
 *
 * Both sides buffer in 1 MiB blocks: no system call per record.
 */
#ifndef TTLEAK_EVENT_LOG_H
#define TTLEAK_EVENT_LOG_H

#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include "ttleak_event.h"

#define EVENT_LOG_F_ATTACHED (1u << 0) /* attached to an already-running process */

struct event_log_header {
	uint32_t version, record_size, target_pid, flags;
	uint64_t probe_mask, start_ns;
};

/* The largest metadata section a log may have: far above what a run with
 * every stack of a long job needs, and a bound a damaged size cannot pass. */
#define EVENT_LOG_META_MAX (64u << 20)

struct event_log_footer {
	uint64_t event_count;
	uint64_t drops[TTLEAK_DROP_REASON_MAX];
	const unsigned char *meta; /* the metadata section, NULL when empty */
	uint32_t meta_size;
};

struct event_log_writer;
struct event_log_reader;

/*
 * Start writing path (through output_file.h: the file prepared at start,
 * else a new temporary file beside path; renamed over path at close) and
 * write the header. h->version and h->record_size are ignored: the writer
 * always writes this build's values.
 * Returns NULL and sets errno on failure.
 */
struct event_log_writer *event_log_writer__open(const char *path, const struct event_log_header *h);

/* Append one record (buffered). Returns 0 or -errno of a failed write. */
int event_log_writer__append(struct event_log_writer *w, const struct ttleak_event *ev);

/*
 * Write the footer, close the file, rename it over the path given to open,
 * and free w (always, also on error; after a failed write the temporary
 * file is removed and the path left as it was).
 * f->drops and f->meta are written as given (f may be NULL: no drops, no
 * metadata; meta_size above EVENT_LOG_META_MAX is -EFBIG); f->event_count
 * is ignored, the writer counts the records it was given.
 * Returns 0 or -errno of the first failed write, close or rename.
 */
int event_log_writer__close(struct event_log_writer *w, const struct event_log_footer *f);

/*
 * Open an event log and read its header into *h. Returns NULL and sets errno
 * on failure (EINVAL for a file that is not a readable event log), with a
 * message in err that names the file, the problem and what to do.
 */
struct event_log_reader *event_log_reader__open(const char *path, struct event_log_header *h,
						char *err, size_t errlen);

/*
 * Read the next record into *ev. Returns 1 for an event; 0 at the clean end
 * (footer read, its event_count equal to the records read, nothing after
 * it); negative on error with a message in err: -EINVAL for a truncated or
 * corrupt file, -errno for a read error. After 0 or an error, further calls
 * return the same value.
 */
int event_log_reader__next(struct event_log_reader *r, struct ttleak_event *ev, char *err,
			   size_t errlen);

/* The footer, its metadata owned by r; valid once event_log_reader__next()
 * returned 0, else NULL. */
const struct event_log_footer *event_log_reader__footer(const struct event_log_reader *r);

void event_log_reader__close(struct event_log_reader *r);

#endif /* TTLEAK_EVENT_LOG_H */
