// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "report/describe.h"
#include "report/live_view.h"
#include "model/verdict.h"

/* Home the cursor and overwrite: clearing the whole screen first flickers. */
#define ANSI_CLEAR_SCREEN "\033[2J"
#define ANSI_HOME "\033[H"
#define ANSI_ERASE_LINE "\033[K"
#define ANSI_ERASE_BELOW "\033[J"

struct live_view {
	struct live_view_opts opts;
	struct tracker_device_info *prev; /* the previous frame's devices */
	size_t n_prev;
	double prev_s;
	bool drawn;
};

struct live_view *live_view__new(const struct live_view_opts *opts)
{
	struct live_view *v = calloc(1, sizeof(*v));

	if (!v)
		return NULL;
	v->opts = *opts;
	v->prev_s = opts->start_s;
	return v;
}

void live_view__free(struct live_view *v)
{
	if (!v)
		return;
	free(v->prev);
	free(v);
}

static const struct tracker_device_info *find_prev(const struct tracker_device_info *prev,
						   size_t n_prev,
						   const struct tracker_device_info *d)
{
	size_t i;

	for (i = 0; i < n_prev; i++)
		if (prev[i].tgid == d->tgid && prev[i].id.ordinal == d->id.ordinal)
			return &prev[i];
	return NULL;
}

/* SYSTEM_MEMORY is host memory: shown only when the process used it. */
static bool row_shown(const struct tracker_device_info *d, int row)
{
	return row != TTLEAK_BUF_SYSTEM_MEMORY || d->rows[row].allocs || d->rows[row].live_count;
}

static void write_device(FILE *out, const struct tracker_device_info *d,
			 const struct tracker_device_info *p, double dt_s, const char *eol)
{
	static const struct tracker_stats zero;
	char name[320], live[24], delta[24];
	int row;

	describe__device(&d->id, name, sizeof(name));
	fprintf(out, "  %-18s %9s %11s %9s %11s %10s %10s%s", name, "live", "live bytes",
		"d.count", "d.bytes", "allocs/s", "frees/s", eol);
	for (row = 0; row < TRACKER_ROWS; row++) {
		const struct tracker_stats *s = &d->rows[row], *ps = p ? &p->rows[row] : &zero;

		if (!row_shown(d, row))
			continue;
		describe__bytes(s->live_bytes, live, sizeof(live));
		describe__bytes_change((int64_t)(s->live_bytes - ps->live_bytes), delta,
				       sizeof(delta));
		fprintf(out, "    %-16s %9" PRIu64 " %11s %+9" PRId64 " %11s %10.1f %10.1f%s",
			tracker_row_name(row), s->live_count, live,
			(int64_t)(s->live_count - ps->live_count), delta,
			dt_s > 0 ? (s->allocs - ps->allocs) / dt_s : 0.0,
			dt_s > 0 ? (s->frees - ps->frees) / dt_s : 0.0, eol);
	}
}

/* One line: each finding kind with its count and bytes, in report order. */
static void write_findings(FILE *out, const struct tracker_results *r, uint32_t tgid,
			   const char *eol)
{
	uint64_t count[FINDING_KIND_MAX] = { 0 }, bytes[FINDING_KIND_MAX] = { 0 };
	char b[24];
	bool any = false;
	size_t i;
	int k;

	for (i = 0; i < r->n_findings; i++) {
		if (r->findings[i].tgid != tgid)
			continue;
		count[r->findings[i].kind] += r->findings[i].count;
		bytes[r->findings[i].kind] += r->findings[i].bytes;
	}
	fprintf(out, "  findings so far:");
	for (k = FINDING_CB_TRACKING; k < FINDING_KIND_MAX; k++) {
		if (!count[k])
			continue;
		describe__bytes(bytes[k], b, sizeof(b));
		/* Growth counts how far the live count rose, not buffers. */
		if (k == FINDING_GROWTH)
			fprintf(out, "%s growth +%" PRIu64, any ? "," : "", count[k]);
		else
			fprintf(out, "%s %s %" PRIu64 " (%s)", any ? "," : "", finding_kind_name(k),
				count[k], b);
		any = true;
	}
	fprintf(out, "%s%s", any ? "" : " none", eol);
}

void live_view__format(FILE *out, const struct run_info *run, const struct tracker_results *r,
		       const struct tracker_device_info *prev, size_t n_prev, double dt_s,
		       const char *eol)
{
	size_t i, j;

	if (!r->n_processes)
		fprintf(out, "no traced process has used the runtime yet%s", eol);
	for (i = 0; i < r->n_processes; i++) {
		const struct tracker_process_info *p = &r->processes[i];
		const char *command = describe__process_command(run, p->tgid);

		fprintf(out, "pid %u%s%s", p->tgid, p->exited ? " (exited)" : "",
			command[0] ? "  " : "");
		describe__put_untrusted(out, command);
		fprintf(out, "  %" PRIu64 " events%s", p->events, eol);
		for (j = 0; j < r->n_devices; j++)
			if (r->devices[j].tgid == p->tgid)
				write_device(out, &r->devices[j],
					     find_prev(prev, n_prev, &r->devices[j]), dt_s, eol);
		write_findings(out, r, p->tgid, eol);
	}
}

static void write_header(const struct live_view *v, const struct run_info *run,
			 const struct tracker_results *r, double now_s, const char *eol)
{
	uint64_t drops = verdict__ringbuf_drops(run);
	char when[32];
	time_t wall = time(NULL);
	struct tm tm;

	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", localtime_r(&wall, &tm));
	fprintf(v->opts.out, "=== ttleak-bpf %s  +%.1f s  %" PRIu64 " events  %" PRIu64
		" dropped ===%s", when, now_s - v->opts.start_s, r->events, drops, eol);
}

/* Keep this frame's devices as the base of the next one's changes; on
 * allocation failure the next frame's changes count from zero. */
static void keep_devices(struct live_view *v, const struct tracker_results *r, double now_s)
{
	struct tracker_device_info *copy = NULL;

	if (r->n_devices) {
		copy = malloc(r->n_devices * sizeof(*copy));
		if (copy)
			memcpy(copy, r->devices, r->n_devices * sizeof(*copy));
	}
	free(v->prev);
	v->prev = copy;
	v->n_prev = copy ? r->n_devices : 0;
	v->prev_s = now_s;
}

void live_view__show(struct live_view *v, const struct run_info *run,
		     const struct tracker_results *r, double now_s)
{
	const char *eol = v->opts.tty ? ANSI_ERASE_LINE "\n" : "\n";
	FILE *out = v->opts.out;

	if (v->opts.tty)
		fputs(v->drawn ? ANSI_HOME : ANSI_CLEAR_SCREEN ANSI_HOME, out);
	else if (v->drawn)
		fputc('\n', out);
	write_header(v, run, r, now_s, eol);
	live_view__format(out, run, r, v->prev, v->n_prev, now_s - v->prev_s, eol);
	if (v->opts.tty)
		fputs(ANSI_ERASE_BELOW, out);
	fflush(out);
	v->drawn = true;
	keep_devices(v, r, now_s);
}
