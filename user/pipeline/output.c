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

/* Writes one output to a stream: 0, or -errno (err may say more). */
typedef int (*stream_writer)(FILE *out, const struct run_info *run,
			     const struct tracker_results *r, char *err, size_t errlen);

/* An output file made at start: claimed, written, renamed into place; on any
 * failure it is removed and `what` is said not written. */
static int write_file(const char *what, const char *path, stream_writer write,
		      const struct run_info *run, const struct tracker_results *r)
{
	char err[PATH_MAX + 256] = "";
	struct output_file *f;
	FILE *out;
	int ret;

	if (output_file__claim(path, &f, err, sizeof(err)))
		goto fail;
	out = output_file__stream(f);
	ret = out ? write(out, run, r, err, sizeof(err)) : -errno;
	if (ret) {
		if (!err[0])
			snprintf(err, sizeof(err), "%s", strerror(-ret));
		output_file__abandon(f);
		goto fail;
	}
	if (output_file__commit(f, err, sizeof(err)))
		goto fail;
	return 0;
fail:
	fprintf(stderr, "ttleak-bpf: %s %s not written: %s\n", what, path, err);
	return -EIO;
}

static int text_writer(FILE *out, const struct run_info *run, const struct tracker_results *r,
		       char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	report_text__write(out, run, r); /* a write error shows at commit */
	return 0;
}

static int folded_writer(FILE *out, const struct run_info *run,
			 const struct tracker_results *r, char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	return folded__write(out, run, r) ? -ENOMEM : 0;
}

/* The text report goes to -o FILE, else stdout, unless --json - has stdout. */
static int write_text(const struct cli_opts *opts, const struct run_info *run,
		      const struct tracker_results *r)
{
	if (opts->output_path)
		return write_file("report", opts->output_path, text_writer, run, r);
	report_text__write(cli__json_on_stdout(opts) ? stderr : stdout, run, r);
	fflush(stdout);
	return 0;
}

/* --json: a file, or stdout for "-". */
static int write_json(const char *path, const struct run_info *run,
		      const struct tracker_results *r)
{
	char err[PATH_MAX + 256];

	if (strcmp(path, "-"))
		return write_file("JSON report", path, report_json__write_stream, run, r);
	if (!report_json__write(path, run, r, err, sizeof(err)))
		return 0;
	fprintf(stderr, "ttleak-bpf: JSON report to stdout not written: %s\n", err);
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
	if (opts->folded_path && write_file("--folded", opts->folded_path, folded_writer, run, r))
		status = EXIT_USAGE;
	tracker_results__free(r);
	return status;
}
