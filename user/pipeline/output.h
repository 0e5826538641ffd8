/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Opens a run's output files at start, and ends every tracing mode the same
 * way: filter, report, exit status. How the files are written: output_file.h. */
#ifndef TTLEAK_OUTPUT_H
#define TTLEAK_OUTPUT_H

#include "cli.h"
#include "model/run_info.h"
#include "model/tracker.h"

/* Check every output path of opts (-o, --json, --trace, --metrics, --record)
 * and create its temporary file, before anything is traced; each is claimed
 * by the module that writes it. 0, or EXIT_USAGE after saying on stderr
 * which file is wrong and what to do (nothing is left behind then). */
int output__open_all(const struct cli_opts *opts);

/* Print the text report to stdout or -o FILE (and JSON where asked);
 * returns the exit status of the run. */
int output__finish(const struct cli_opts *opts, const struct run_info *run, struct tracker *t);

#endif /* TTLEAK_OUTPUT_H */
