// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "pipeline/exports.h"
#include "report/live_view.h"
#include "report/metrics.h"
#include "report/metrics_server.h"
#include "report/trace_export.h"
#include "model/verdict.h"

struct exports {
	const struct cli_opts *opts;
	uint32_t checks;
	struct live_view *view;
	struct trace_export *trace;
	struct metrics_server *server; /* --metrics-listen */
	double period_s, next_s;
	bool metrics_failed;      /* said once; the final write says it again */
	bool publish_failed;      /* --metrics-listen: said once */
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
	if (!opts->interval_s && !opts->trace_path && !opts->metrics_path && !opts->metrics_listen)
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
	if (!err && opts->metrics_listen)
		err = metrics_server__start(&x->server);
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
	metrics_server__free(x->server);
	free(x);
}

void exports__event(struct exports *x, struct tracker *t, const struct ttleak_event *ev)
{
	if (x && x->trace)
		trace_export__event(x->trace, t, ev);
}

static bool period_due(const struct exports *x, double now_s)
{
	return (x->view || x->opts->metrics_path) && now_s >= x->next_s;
}

bool exports__due(const struct exports *x, double now_s)
{
	return x && (period_due(x, now_s) || metrics_server__wanted(x->server));
}

/* The text a scrape of --metrics-listen gets; said once if it cannot be made. */
static void publish_metrics(struct exports *x, const struct run_info *run,
			    const struct tracker_results *r)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	int err = f ? metrics__format(f, run, r, x->opts->metrics_labels) : -ENOMEM;

	if (f && fclose(f))
		err = -ENOMEM;
	if (err) {
		free(text);
		text = NULL;
		len = 0;
	}
	if (err && !x->publish_failed)
		fprintf(stderr, "ttleak-bpf: --metrics-listen: out of memory formatting metrics\n");
	x->publish_failed = err != 0;
	if (text)
		metrics_server__publish(x->server, text, len);
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
	bool periodic;

	if (!exports__due(x, now_s))
		return;
	periodic = period_due(x, now_s);
	/* Whole periods from the start, so frames do not drift with load. */
	while (periodic && x->next_s <= now_s)
		x->next_s += x->period_s;
	r = verdict__results(t, x->checks);
	if (periodic && x->view)
		live_view__show(x->view, run, r, now_s);
	if (periodic && x->opts->metrics_path)
		write_metrics(x, run, r);
	/* A scrape waits for this: only then are the values formatted. */
	if (metrics_server__wanted(x->server))
		publish_metrics(x, run, r);
	tracker_results__free(r);
}

int exports__finish(struct exports *x, struct tracker *t, const struct run_info *run,
		    uint64_t end_ns)
{
	struct tracker_results *r;
	char err[512];
	int ret = 0;

	if (!x || (!x->trace && !x->opts->metrics_path && !x->server))
		return 0;
	r = verdict__results(t, x->checks);
	if (x->server)
		publish_metrics(x, run, r); /* the final values, until the tracer exits */
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
