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

/* Print s, a string that comes from a traced process or its files (command
 * line, comm, paths, symbol names), with control characters, invalid UTF-8,
 * C1 controls and bidirectional overrides escaped as \xNN: it cannot forge
 * report lines or send escape sequences to a terminal. Every such string in
 * the text report and the live view goes through it. */
void report__put_untrusted(FILE *out, const char *s);

/* The command line of a traced process, "" when unknown (unescaped). */
const char *report__process_command(const struct run_info *run, uint32_t tgid);

/* Finding explanations, shared with the JSON report. */
const char *report__finding_title(const struct finding_group *g);
const char *report__finding_advice(const struct finding_group *g);

#endif /* TTLEAK_REPORT_TEXT_H */
