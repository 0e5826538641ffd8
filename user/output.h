/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Ends every tracing mode the same way: filter, report, exit status. */
#ifndef TTLEAK_OUTPUT_H
#define TTLEAK_OUTPUT_H

#include "cli.h"
#include "run_info.h"
#include "tracker.h"

/* Print the text report to stdout (and JSON where asked); returns the exit
 * status of the run. */
int output__finish(const struct cli_opts *opts, const struct run_info *run, struct tracker *t);

#endif /* TTLEAK_OUTPUT_H */
