// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "pipeline/exports.h"
#include "report/live_view.h"
#include "report/metrics.h"
#include "report/trace_export.h"
#include "model/verdict.h"

struct exports {
	const struct cli_opts *opts;
	uint32_t checks;
	struct live_view *view;
	struct trace_export *trace;
	double period_s, next_s;
	bool metrics_failed;      /* said once; the final write says it again */
};

/* The live view shares stdout with the report, unless --json - has it. */
static int open_view(struct exports *x, double start_s)
{
	struct live_view_opts vo = { .out = cli__json_on_stdout(x->opts) ? stderr : stdout, .start_s = start_s };

	vo.tty = isatty(fileno(vo.out));
	x->view = live_view__new(&vo);
	return x->view ? 0 : -ENOMEM;
}

int exports__new(const struct cli_opts *opts, uint32_t checks, double start_s,
		 struct exports **out)
{
	struct exports *x;
	int err = 0;

	*out = NULL;
	if (!opts->interval_s && !opts->trace_path && !opts->metrics_path)
		return 0;
	x = calloc(1, sizeof(*x));
	if (!x)
		return -ENOMEM;
	x->opts = opts;
	x->checks = checks;
	x->period_s = opts->interval_s ? opts->interval_s : EXPORTS_METRICS_DEFAULT_S;
	x->next_s = start_s + x->period_s;
	if (opts->interval_s && opts->mode != MODE_REPLAY)
		err = open_view(x, start_s);
	if (!err && opts->trace_path && !(x->trace = trace_export__new(checks)))
		err = -ENOMEM;
	if (err) {
		exports__free(x);
		return err;
	}
	*out = x;
	return 0;
}

void exports__free(struct exports *x)
{
	if (!x)
		return;
	live_view__free(x->view);
	trace_export__free(x->trace);
	free(x);
}

void exports__event(struct exports *x, struct tracker *t, const struct ttleak_event *ev)
{
	if (x && x->trace)
		trace_export__event(x->trace, t, ev);
}

bool exports__due(const struct exports *x, double now_s)
{
	return x && (x->view || x->opts->metrics_path) && now_s >= x->next_s;
}

static int write_metrics(struct exports *x, const struct run_info *run,
			 const struct tracker_results *r)
{
	char err[512];
	int ret = metrics__write_file(x->opts->metrics_path, run, r,
				      x->opts->metrics_labels, err, sizeof(err));

	if (ret && !x->metrics_failed)
		fprintf(stderr, "ttleak-bpf: %s\n", err);
	x->metrics_failed = ret != 0;
	return ret;
}

void exports__tick(struct exports *x, struct tracker *t, const struct run_info *run,
		   double now_s)
{
	struct tracker_results *r;

	if (!exports__due(x, now_s))
		return;
	/* Whole periods from the start, so frames do not drift with load. */
	while (x->next_s <= now_s)
		x->next_s += x->period_s;
	r = verdict__results(t, x->checks);
	if (x->view)
		live_view__show(x->view, run, r, now_s);
	if (x->opts->metrics_path)
		write_metrics(x, run, r);
	tracker_results__free(r);
}

int exports__finish(struct exports *x, struct tracker *t, const struct run_info *run,
		    uint64_t end_ns)
{
	struct tracker_results *r;
	char err[512];
	int ret = 0;

	if (!x || (!x->trace && !x->opts->metrics_path))
		return 0;
	r = verdict__results(t, x->checks);
	if (x->opts->metrics_path) {
		x->metrics_failed = false; /* the last word must be said */
		ret = write_metrics(x, run, r);
	}
	if (x->trace) {
		uint64_t last = trace_export__last_ns(x->trace);

		end_ns = end_ns > last ? end_ns : last;
		trace_export__sample(x->trace, r, end_ns);
		if (trace_export__write(x->trace, t, x->opts->trace_path, run, end_ns, err,
					sizeof(err))) {
			fprintf(stderr, "ttleak-bpf: %s\n", err);
			ret = ret ? ret : -EIO;
		}
	}
	tracker_results__free(r);
	return ret;
}
