/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* --replay FILE: analyse a recorded event log with the live tracker code. */
#ifndef TTLEAK_REPLAY_H
#define TTLEAK_REPLAY_H

#include <stdint.h>
#include "cli.h"

/* Longer than any real trace (--duration takes at most 31 days): a span
 * beyond it comes from damaged timestamps. */
#define REPLAY_MAX_SPAN_DAYS 366

int replay__run(const struct cli_opts *opts);

/* Seconds from the earliest to the latest event time (0 with no events;
 * events may come out of order), or -1 (unknown, run_info.duration_s) when
 * that is more than REPLAY_MAX_SPAN_DAYS. */
double replay__span_s(uint64_t first_ns, uint64_t last_ns);

#endif /* TTLEAK_REPLAY_H */
