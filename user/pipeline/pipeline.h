/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The one path every event takes, live or replayed: the tracker first (the
 * model), then the exports that follow it while the run goes (live view,
 * metrics, trace), then the event log (--record); and at the end the final
 * reports and exit status from the same objects. The live session and
 * --replay differ only in where events come from.
 */
#ifndef TTLEAK_PIPELINE_H
#define TTLEAK_PIPELINE_H

#include <stdbool.h>
#include <stdint.h>
#include "cli.h"
#include "model/event_log.h"
#include "model/run_info.h"
#include "model/tracker.h"

struct pipeline;

struct pipeline_opts {
	const struct cli_opts *cli;
	struct tracker_opts tracker;
	uint32_t checks;        /* enum check_bit: the findings this run can check */
	double start_s;         /* CLOCK_MONOTONIC seconds tracing began (0 replay) */
	const struct event_log_header *record; /* --record: the log's header */
};

/* 0, or EXIT_USAGE / EXIT_UNCERTIFIED after saying on stderr what failed. */
int pipeline__open(const struct pipeline_opts *o, struct pipeline **out);
void pipeline__free(struct pipeline *p);

/* One event through the tracker, the exports and the log, in that order. */
void pipeline__event(struct pipeline *p, const struct ttleak_event *ev);

/* The live view or the metrics file is due at now_s (the caller then
 * brings run up to date and calls pipeline__tick). */
bool pipeline__due(const struct pipeline *p, double now_s);
void pipeline__tick(struct pipeline *p, const struct run_info *run, double now_s);

/* The findings as every report sees them (free with tracker_results__free). */
struct tracker_results *pipeline__results(struct pipeline *p, uint32_t checks);

/* The final report, exports and log, ending at end_ns (0: the last event);
 * returns the run's exit status. */
int pipeline__finish(struct pipeline *p, const struct run_info *run, uint64_t end_ns);

#endif /* TTLEAK_PIPELINE_H */
