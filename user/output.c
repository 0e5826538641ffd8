// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "output.h"
#include "report_json.h"
#include "report_text.h"
#include "verdict.h"

/* The text report goes to -o FILE, else stdout, unless --json - has stdout. */
static int write_text(const struct cli_opts *opts, const struct run_info *run,
		      const struct tracker_results *r)
{
	bool json_on_stdout = opts->json_path && strcmp(opts->json_path, "-") == 0;
	FILE *out = json_on_stdout ? stderr : stdout;

	if (opts->output_path) {
		out = fopen(opts->output_path, "w");
		if (!out) {
			fprintf(stderr, "ttleak-bpf: cannot write report %s: %s\n",
				opts->output_path, strerror(errno));
			return -errno;
		}
	}
	report_text__write(out, run, r);
	if (out != stdout && out != stderr && fclose(out) != 0) {
		fprintf(stderr, "ttleak-bpf: error writing report %s\n", opts->output_path);
		return -EIO;
	}
	fflush(stdout);
	return 0;
}

int output__finish(const struct cli_opts *opts, const struct run_info *run, struct tracker *t)
{
	struct tracker_results *r = tracker__results(t);
	char err[512];
	int status;

	if (!r) {
		fprintf(stderr, "ttleak-bpf: out of memory building the report\n");
		return EXIT_UNCERTIFIED;
	}
	verdict__filter(r, run->checks);
	status = verdict__exit_status(run, r);
	if (write_text(opts, run, r))
		status = EXIT_USAGE;
	if (opts->json_path && report_json__write(opts->json_path, run, r, err, sizeof(err))) {
		fprintf(stderr, "ttleak-bpf: %s\n", err);
		status = EXIT_USAGE;
	}
	tracker_results__free(r);
	return status;
}
