/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * --trace FILE: a timeline in the Chrome trace-event JSON Object Format,
 * which ui.perfetto.dev and chrome://tracing open:
 *  - counter events ("ph":"C"): live bytes per process and device, one
 *    argument per type (DRAM, L1, SYSTEM_MEMORY, L1_SMALL, TRACE, CB),
 *    sampled once per sampling period of event time, at every device close,
 *    allocator reset, program destruction and process exit, and at the end;
 *    a sample is kept only when a value changed;
 *  - program lifetimes (async "b"/"e"), from the first CB layout of a
 *    program to its destruction (programs still alive end with the trace);
 *  - an instant event ("ph":"i") where a finding appeared or grew, stamped
 *    with the latest device close, allocator reset or process exit before
 *    the sample that saw it (those make findings), else the sample's time.
 * Fed the raw event stream, so live runs and --replay give the same file.
 *
 * Bounded on long runs: at most TRACE_MAX_SAMPLES counter samples (when
 * full, every other sample of each track is dropped, keeping each track's
 * latest, and the sampling period doubles), the latest TRACE_MAX_SPANS
 * program lifetimes (the tracker's: programs still alive at the end are
 * drawn up to it) and the first TRACE_MAX_INSTANTS finding events; what was dropped is counted in the
 * file's "otherData". The file stays under about 40 MB (~190 bytes a
 * sample, ~500 a program lifetime, ~300 a finding event).
 */
#ifndef TTLEAK_TRACE_EXPORT_H
#define TTLEAK_TRACE_EXPORT_H

#include <stddef.h>
#include <stdint.h>
#include "model/run_info.h"
#include "model/tracker.h"

#define TRACE_MAX_SAMPLES 65536
#define TRACE_MAX_SPANS 32768
#define TRACE_MAX_INSTANTS 4096
#define TRACE_PERIOD_NS 10000000ULL /* first sampling period: 10 ms */

struct trace_export;

/* checks: the verdict's enum check_bit mask, so findings match the reports. */
struct trace_export *trace_export__new(uint32_t checks);
void trace_export__free(struct trace_export *x);

/* After the tracker consumed ev: follow programs, sample t when due. */
void trace_export__event(struct trace_export *x, struct tracker *t,
			 const struct ttleak_event *ev);

/* Counters and finding instants of r (findings already filtered) at ts_ns. */
void trace_export__sample(struct trace_export *x, const struct tracker_results *r,
			  uint64_t ts_ns);

/* The last event time seen, 0 before any. */
uint64_t trace_export__last_ns(const struct trace_export *x);

/* Write the whole trace, ending open programs at end_ns: 0, or -errno with
 * a message in err. */
int trace_export__write(struct trace_export *x, const struct tracker *t, const char *path,
			const struct run_info *run,
			uint64_t end_ns, char *err, size_t errlen);

#endif /* TTLEAK_TRACE_EXPORT_H */
