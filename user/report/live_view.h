/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The live view (-i SEC): every interval, live memory per process and
 * device by type, its change since the previous frame, allocation and free
 * rates, and the findings so far. On a terminal each frame redraws the
 * previous one in place; into a pipe or file each frame is a plain block
 * under a timestamp line, so logs stay readable.
 */
#ifndef TTLEAK_LIVE_VIEW_H
#define TTLEAK_LIVE_VIEW_H

#include <stdbool.h>
#include <stdio.h>
#include "model/run_info.h"
#include "model/tracker.h"

struct live_view;

struct live_view_opts {
	FILE *out;
	bool tty;        /* redraw in place with ANSI sequences */
	double start_s;  /* CLOCK_MONOTONIC seconds when tracing started */
};

struct live_view *live_view__new(const struct live_view_opts *opts);
void live_view__free(struct live_view *v);

/* Print one frame of r (findings already filtered by the verdict) and keep
 * its per-device statistics as the base of the next frame's changes. */
void live_view__show(struct live_view *v, const struct run_info *run,
		     const struct tracker_results *r, double now_s);

/* One frame's body, without the screen handling: r against prev (the
 * devices of the previous frame, n_prev of them) over dt_s seconds. Each
 * line ends with eol ("\n", or "\033[K\n" to erase leftovers on a tty). */
void live_view__format(FILE *out, const struct run_info *run, const struct tracker_results *r,
		       const struct tracker_device_info *prev, size_t n_prev, double dt_s,
		       const char *eol);

#endif /* TTLEAK_LIVE_VIEW_H */
