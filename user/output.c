// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "output.h"
#include "report_json.h"
#include "report_text.h"
#include "verdict.h"

int output__finish(const struct cli_opts *opts, const struct run_info *run, struct tracker *t)
{
	struct tracker_results *r = tracker__results(t);
	bool json_on_stdout = opts->json_path && strcmp(opts->json_path, "-") == 0;
	char err[512];
	int status;

	if (!r) {
		fprintf(stderr, "ttleak-bpf: out of memory building the report\n");
		return EXIT_UNCERTIFIED;
	}
	verdict__filter(r, run->checks);
	status = verdict__exit_status(run, r);
	/* With --json -, stdout is for the JSON alone; the text goes to stderr. */
	report_text__write(json_on_stdout ? stderr : stdout, run, r);
	fflush(stdout);
	if (opts->json_path && report_json__write(opts->json_path, run, r, err, sizeof(err))) {
		fprintf(stderr, "ttleak-bpf: %s\n", err);
		status = EXIT_USAGE;
	}
	tracker_results__free(r);
	return status;
}
