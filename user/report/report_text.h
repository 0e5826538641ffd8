/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The report a person reads: per device memory, then each finding. */
#ifndef TTLEAK_REPORT_TEXT_H
#define TTLEAK_REPORT_TEXT_H

#include <stdio.h>
#include "model/run_info.h"
#include "model/tracker.h"

void report_text__write(FILE *out, const struct run_info *run, const struct tracker_results *r);

/* One process's section and findings (--all prints one as each exits). */
void report_text__write_process(FILE *out, const struct run_info *run,
				const struct tracker_results *r, uint32_t tgid);

#endif /* TTLEAK_REPORT_TEXT_H */
