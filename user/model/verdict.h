/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The verdict: which findings a run may report, whether it can be certified,
 * and its exit status. One place, so every mode and output agrees.
 */
#ifndef TTLEAK_VERDICT_H
#define TTLEAK_VERDICT_H

#include <stdbool.h>
#include "model/run_info.h"
#include "model/tracker.h"

/* Exit statuses of every mode (README.md, "Exit codes"). */
enum exit_status {
	EXIT_CLEAN = 0,
	EXIT_LEAK = 1,
	EXIT_USAGE = 2,
	EXIT_UNCERTIFIED = 3,
};

/* The tracker's results with the findings of kinds this run could not check
 * dropped (a missing probe would otherwise turn into false findings): what
 * every report, export and the exit status are made from. Free with
 * tracker_results__free. */
struct tracker_results *verdict__results(struct tracker *t, uint32_t checks);

/* Events the kernel side dropped (the ring buffer was full), every reason. */
uint64_t verdict__ringbuf_drops(const struct run_info *run);

/* Any event a wrong struct layout would explain (unreadable or implausible
 * fields): then no buffer number of the run can be trusted. */
bool verdict__layout_suspect(const struct tracker_results *r);

/* Events lost or unreadable anywhere: the findings may be incomplete or wrong. */
uint64_t verdict__lost_events(const struct run_info *run, const struct tracker_results *r);

/* Run mode: the command did not exit 0. A run that did not complete cannot
 * be certified leak-free (its teardown may not have run), and a failing
 * command must never hide behind a clean trace. */
bool verdict__command_failed(const struct run_info *run);

bool verdict__certified(const struct run_info *run, const struct tracker_results *r);

/* 0 clean, 1 findings, 3 not certified (see enum exit_status). */
int verdict__exit_status(const struct run_info *run, const struct tracker_results *r);

#endif /* TTLEAK_VERDICT_H */
