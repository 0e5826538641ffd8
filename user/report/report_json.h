/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The report for scripts: the text report's content as JSON (json-c). */
#ifndef TTLEAK_REPORT_JSON_H
#define TTLEAK_REPORT_JSON_H

#include <stddef.h>
#include <stdio.h>
#include "model/run_info.h"
#include "model/tracker.h"

/* Write to path ("-" for stdout). 0, or -errno with a message in err. */
int report_json__write(const char *path, const struct run_info *run,
		       const struct tracker_results *r, char *err, size_t errlen);

/* The same into an open stream (not closed). */
int report_json__write_stream(FILE *f, const struct run_info *run,
			      const struct tracker_results *r, char *err, size_t errlen);

#endif /* TTLEAK_REPORT_JSON_H */
