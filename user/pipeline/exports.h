/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What a run shows or writes while it goes, besides the final reports: the
 * live view (-i), the Prometheus text file (--metrics) and the trace-event
 * timeline (--trace). One object, so the live session and --replay feed
 * them with a call per event and one per loop turn. Every function accepts
 * NULL (nothing asked for).
 */
#ifndef TTLEAK_EXPORTS_H
#define TTLEAK_EXPORTS_H

#include <stdbool.h>
#include <stdint.h>
#include "cli.h"
#include "model/run_info.h"
#include "model/tracker.h"

#define EXPORTS_METRICS_DEFAULT_S 10.0 /* --metrics without -i */

struct exports;

/* 0 with *out NULL when no export is asked for; -ENOMEM. checks: the
 * verdict's check mask; start_s: CLOCK_MONOTONIC seconds tracing began. */
int exports__new(const struct cli_opts *opts, uint32_t checks, double start_s,
		 struct exports **out);
void exports__free(struct exports *x);

/* After the tracker consumed ev. */
void exports__event(struct exports *x, struct tracker *t, const struct ttleak_event *ev);

/* The live view or the metrics file is due at now_s. */
bool exports__due(const struct exports *x, double now_s);

/* Redraw the live view and rewrite the metrics file (run: drops, labels). */
void exports__tick(struct exports *x, struct tracker *t, const struct run_info *run,
		   double now_s);

/* The final metrics file and the trace, ending at end_ns (0: the last
 * event). 0, or -errno after saying what failed. */
int exports__finish(struct exports *x, struct tracker *t, const struct run_info *run,
		    uint64_t end_ns);

#endif /* TTLEAK_EXPORTS_H */
