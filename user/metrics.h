/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * --metrics FILE: the tracker's state as OpenMetrics text, for Prometheus
 * node_exporter's textfile collector. The file is replaced atomically
 * (written beside it, then renamed) so a scrape never reads half of it.
 */
#ifndef TTLEAK_METRICS_H
#define TTLEAK_METRICS_H

#include <stddef.h>
#include <stdio.h>
#include "run_info.h"
#include "tracker.h"

/* Every metric family of r (findings already filtered by the verdict),
 * ending with "# EOF". */
void metrics__format(FILE *out, const struct run_info *run, const struct tracker_results *r);

/* Write path atomically: 0, or -errno with a message in err. */
int metrics__write_file(const char *path, const struct run_info *run,
			const struct tracker_results *r, char *err, size_t errlen);

/* A label value escaped per OpenMetrics (\\, \", \n); truncated to size. */
void metrics__escape(char *buf, size_t size, const char *value);

#endif /* TTLEAK_METRICS_H */
