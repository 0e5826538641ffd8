/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * --metrics FILE: the tracker's state in the Prometheus text format 0.0.4,
 * the format node_exporter's textfile collector reads (HELP and TYPE name
 * the samples themselves, counters included: ttleak_allocations_total). The
 * file is replaced atomically (written beside it, then renamed) so a scrape
 * never reads half of it.
 *
 * Every series has a bounded set of labels: the device (chip, mesh or
 * device pointer) and the type or finding kind. The pid and command line of
 * the traced process are labels only when asked for (--metrics-labels);
 * without them the series of processes with the same labels are summed.
 */
#ifndef TTLEAK_METRICS_H
#define TTLEAK_METRICS_H

#include <stddef.h>
#include <stdio.h>
#include "model/run_info.h"
#include "model/tracker.h"

/* --metrics-labels: per-process labels, or'ed (0: none). */
enum metrics_label {
	METRICS_LABEL_PID = 1 << 0,
	METRICS_LABEL_COMMAND = 1 << 1,
};

/* "pid", "command", "pid,command" or "none": 0, or -EINVAL. */
int metrics__parse_labels(const char *list, unsigned *labels);

/* Every metric family of r (findings already filtered by the verdict) with
 * the per-process labels asked for: 0, or -ENOMEM (out has part of it). */
int metrics__format(FILE *out, const struct run_info *run, const struct tracker_results *r,
		    unsigned labels);

/* Write path atomically: 0, or -errno with a message in err. */
int metrics__write_file(const char *path, const struct run_info *run,
			const struct tracker_results *r, unsigned labels, char *err,
			size_t errlen);

/* A label value escaped for the text format (\\, \", \n), bytes that are
 * not UTF-8 replaced by '?'; truncated to size, never inside an escape or
 * a character. */
void metrics__escape(char *buf, size_t size, const char *value);

#endif /* TTLEAK_METRICS_H */
