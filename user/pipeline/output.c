// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* output: the run's output files at start, and the final report (see output.h). */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "pipeline/output.h"
#include "pipeline/site_stacks.h"
#include "report/folded.h"
#include "report/output_file.h"
#include "report/report_json.h"
#include "report/report_text.h"
#include "model/verdict.h"

/* ---- files made at start ----------------------------------------------- */

/* dash: "-" is stdout (only --json has that), else a file name. */
static int prepare(const char *option, const char *path, bool dash)
{
	char err[PATH_MAX + 256];

	if (!path || (dash && strcmp(path, "-") == 0))
		return 0;
	if (output_file__prepare(path, err, sizeof(err))) {
		fprintf(stderr, "ttleak-bpf: %s: %s\n", option, err);
		return EXIT_USAGE;
	}
	return 0;
}

int output__open_all(const struct cli_opts *opts)
{
	int status;

	output_file__discard_prepared();
	status = prepare("-o", opts->output_path, false) ?:
		 prepare("--json", opts->json_path, true) ?:
		 prepare("--trace", opts->trace_path, false) ?:
		 prepare("--metrics", opts->metrics_path, false) ?:
		 prepare("--folded", opts->folded_path, false) ?:
		 prepare("--record", opts->record_path, false);
	if (status)
		output_file__discard_prepared();
	return status;
}

/* ---- the final report -------------------------------------------------- */

/* The text report goes to -o FILE, else stdout, unless --json - has stdout. */
static int write_text(const struct cli_opts *opts, const struct run_info *run,
		      const struct tracker_results *r)
{
	char err[PATH_MAX + 256];
	struct output_file *f;
	FILE *out;

	if (!opts->output_path) {
		report_text__write(cli__json_on_stdout(opts) ? stderr : stdout, run, r);
		fflush(stdout);
		return 0;
	}
	if (output_file__claim(opts->output_path, &f, err, sizeof(err)))
		goto fail;
	out = output_file__stream(f);
	if (!out) {
		snprintf(err, sizeof(err), "cannot write report %s: %s", opts->output_path,
			 strerror(errno));
		output_file__abandon(f);
		goto fail;
	}
	report_text__write(out, run, r);
	if (output_file__commit(f, err, sizeof(err)))
		goto fail;
	return 0;
fail:
	fprintf(stderr, "ttleak-bpf: report not written: %s\n", err);
	return -EIO;
}

/* The JSON report into the temporary file made at start. */
static int write_json(const char *path, const struct run_info *run,
		      const struct tracker_results *r)
{
	char err[PATH_MAX + 256];
	struct output_file *f;
	FILE *stream;
	int ret;

	if (strcmp(path, "-") == 0) {
		if (!report_json__write(path, run, r, err, sizeof(err)))
			return 0;
		goto fail;
	}
	if (output_file__claim(path, &f, err, sizeof(err)))
		goto fail;
	stream = fdopen(dup(output_file__fd(f)), "w");
	ret = stream ? report_json__write_stream(stream, run, r, err, sizeof(err)) : -errno;
	if (stream && fclose(stream) && !ret)
		ret = -errno;
	if (ret) {
		if (!stream || ret != -EIO)
			snprintf(err, sizeof(err), "%s", strerror(-ret));
		output_file__abandon(f);
		goto fail;
	}
	if (output_file__commit(f, err, sizeof(err)))
		goto fail;
	return 0;
fail:
	fprintf(stderr, "ttleak-bpf: JSON report %s not written: %s\n", path, err);
	return -EIO;
}

/* --folded: bytes left per allocation stack, for flame graphs. */
static int write_folded(const char *path, const struct run_info *run,
			const struct tracker_results *r)
{
	char err[PATH_MAX + 256];
	struct output_file *f;
	FILE *out;

	if (output_file__claim(path, &f, err, sizeof(err)))
		goto fail;
	out = output_file__stream(f);
	if (!out || folded__write(out, run, r)) {
		snprintf(err, sizeof(err), "%s", strerror(out ? ENOMEM : errno));
		output_file__abandon(f);
		goto fail;
	}
	if (output_file__commit(f, err, sizeof(err)))
		goto fail;
	return 0;
fail:
	fprintf(stderr, "ttleak-bpf: --folded %s not written: %s\n", path, err);
	return -EIO;
}

int output__finish(const struct cli_opts *opts, const struct run_info *run, struct tracker *t)
{
	struct tracker_results *r = verdict__results(t, run->checks);
	int status;

	site_stacks__group(r, run->stacks);
	status = verdict__exit_status(run, r);
	if (write_text(opts, run, r))
		status = EXIT_USAGE;
	if (opts->json_path && write_json(opts->json_path, run, r))
		status = EXIT_USAGE;
	if (opts->folded_path && write_folded(opts->folded_path, run, r))
		status = EXIT_USAGE;
	tracker_results__free(r);
	return status;
}
