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

/* Drop findings of kinds this run could not check (a missing probe would
 * otherwise turn into false findings). */
void verdict__filter(struct tracker_results *r, uint32_t checks);

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
