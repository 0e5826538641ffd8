// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include <uthash.h>
#include "report/describe.h"
#include "report/output_file.h"
#include "report/trace_export.h"
#include "model/verdict.h"

/* A counter track: one process's device. */
struct track {
	uint32_t tgid;
	struct tracker_device_id id;
	uint64_t last[TRACKER_ROWS]; /* the values of its latest kept sample */
};

struct sample {
	uint64_t ts_ns;
	uint32_t track;
	uint64_t bytes[TRACKER_ROWS];
};

struct span {
	uint64_t start_ns, end_ns;
	uint64_t program, device;
	uint32_t tgid;
	int32_t chip_id;
	bool destroyed;
};

/* A finding group as last sampled, to see it appear or grow. */
struct seen_finding {
	enum finding_kind kind;
	enum anomaly_kind anomaly;
	uint32_t tgid, ordinal;
	int row;
	uint64_t count;
};

struct instant {
	uint64_t ts_ns;
	struct finding_group g;  /* sites and series not kept */
	uint64_t new_count;      /* how many the group grew by */
};

struct trace_export {
	uint32_t checks;
	uint64_t period_ns, next_ns, last_ns;
	uint64_t trigger_ns;     /* latest close, reset or exit since the last sample */
	struct track *tracks;
	size_t n_tracks;
	struct sample *samples;
	size_t n_samples;
	struct span *spans;      /* ring of the latest TRACE_MAX_SPANS */
	size_t n_spans, span_head;
	struct seen_finding *seen;
	size_t n_seen;
	struct instant *instants;
	size_t n_instants;
	uint64_t thinned, dropped_spans, dropped_instants;
};

struct trace_export *trace_export__new(uint32_t checks)
{
	struct trace_export *x = calloc(1, sizeof(*x));

	if (!x)
		return NULL;
	x->checks = checks;
	x->period_ns = TRACE_PERIOD_NS;
	x->samples = malloc(TRACE_MAX_SAMPLES * sizeof(*x->samples));
	x->spans = malloc(TRACE_MAX_SPANS * sizeof(*x->spans));
	x->instants = malloc(TRACE_MAX_INSTANTS * sizeof(*x->instants));
	if (!x->samples || !x->spans || !x->instants) {
		trace_export__free(x);
		errno = ENOMEM;
		return NULL;
	}
	return x;
}

void trace_export__free(struct trace_export *x)
{
	if (!x)
		return;
	free(x->tracks);
	free(x->samples);
	free(x->spans);
	free(x->seen);
	free(x->instants);
	free(x);
}

uint64_t trace_export__last_ns(const struct trace_export *x)
{
	return x->last_ns;
}

/* ---- program lifetimes ------------------------------------------------- */

static void add_span(struct trace_export *x, const struct span *s)
{
	if (x->n_spans < TRACE_MAX_SPANS) {
		x->spans[(x->span_head + x->n_spans++) % TRACE_MAX_SPANS] = *s;
		return;
	}
	x->spans[x->span_head] = *s; /* overwrite the oldest */
	x->span_head = (x->span_head + 1) % TRACE_MAX_SPANS;
	x->dropped_spans++;
}

static struct span span_of(const struct tracker_program_span *p, uint64_t end_ns)
{
	return (struct span){ .start_ns = p->start_ns, .end_ns = end_ns, .program = p->program,
			      .device = p->device, .tgid = p->tgid, .chip_id = p->chip_id,
			      .destroyed = p->end_ns != 0 };
}

/* Program lifetimes are the tracker's: a span ends where it saw the destructor. */
static void follow_program(struct trace_export *x, const struct tracker *t)
{
	struct tracker_program_span p;
	struct span s;

	if (!tracker__ended_program(t, &p))
		return;
	s = span_of(&p, p.end_ns);
	add_span(x, &s);
}

/* ---- counter samples --------------------------------------------------- */

static int track_of(struct trace_export *x, const struct tracker_device_info *d)
{
	struct track *grown;
	size_t i;

	for (i = 0; i < x->n_tracks; i++)
		if (x->tracks[i].tgid == d->tgid && x->tracks[i].id.ordinal == d->id.ordinal)
			return (int)i;
	grown = realloc(x->tracks, (x->n_tracks + 1) * sizeof(*grown));
	if (!grown)
		return -1;
	x->tracks = grown;
	memset(&grown[x->n_tracks], 0, sizeof(*grown));
	grown[x->n_tracks].tgid = d->tgid;
	grown[x->n_tracks].id = d->id;
	/* A new track starts with a sample even at zero: last[] cannot match. */
	memset(grown[x->n_tracks].last, 0xff, sizeof(grown->last));
	return (int)x->n_tracks++;
}

/* Keep every other sample of each track, always its latest, and sample
 * half as often: the file covers the whole run at a coarser grain. */
static void thin_samples(struct trace_export *x)
{
	size_t *left = calloc(x->n_tracks ? x->n_tracks : 1, sizeof(*left));
	size_t i, kept = 0;

	if (!left)
		return;
	for (i = 0; i < x->n_samples; i++)
		left[x->samples[i].track]++;
	for (i = 0; i < x->n_samples; i++)
		if (--left[x->samples[i].track] % 2 == 0)
			x->samples[kept++] = x->samples[i];
	x->thinned += x->n_samples - kept;
	x->n_samples = kept;
	x->period_ns *= 2;
	free(left);
}

static void sample_counters(struct trace_export *x, const struct tracker_results *r,
			    uint64_t ts_ns)
{
	struct sample *s;
	size_t i;
	int row, track;

	for (i = 0; i < r->n_devices; i++) {
		const struct tracker_device_info *d = &r->devices[i];
		bool changed = false;

		track = track_of(x, d);
		if (track < 0)
			continue;
		for (row = 0; row < TRACKER_ROWS; row++)
			changed |= x->tracks[track].last[row] != d->rows[row].live_bytes;
		if (!changed)
			continue;
		if (x->n_samples == TRACE_MAX_SAMPLES)
			thin_samples(x);
		if (x->n_samples == TRACE_MAX_SAMPLES)
			continue;
		s = &x->samples[x->n_samples++];
		s->ts_ns = ts_ns;
		s->track = (uint32_t)track;
		for (row = 0; row < TRACKER_ROWS; row++)
			s->bytes[row] = x->tracks[track].last[row] = d->rows[row].live_bytes;
	}
}

/* ---- finding instants -------------------------------------------------- */

static struct seen_finding *seen_of(struct trace_export *x, const struct finding_group *g)
{
	struct seen_finding *grown;
	size_t i;

	for (i = 0; i < x->n_seen; i++) {
		struct seen_finding *s = &x->seen[i];

		if (s->kind == g->kind && s->anomaly == g->anomaly && s->tgid == g->tgid &&
		    s->ordinal == g->device.ordinal && s->row == g->row)
			return s;
	}
	grown = realloc(x->seen, (x->n_seen + 1) * sizeof(*grown));
	if (!grown)
		return NULL;
	x->seen = grown;
	grown[x->n_seen] = (struct seen_finding){ .kind = g->kind, .anomaly = g->anomaly,
						  .tgid = g->tgid, .ordinal = g->device.ordinal,
						  .row = g->row };
	return &grown[x->n_seen++];
}

/* Findings are made at device closes, resets and exits: a new one is
 * stamped with the latest of those before the sample that saw it. */
static void sample_findings(struct trace_export *x, const struct tracker_results *r,
			    uint64_t ts_ns)
{
	struct instant *in;
	size_t i;

	for (i = 0; i < r->n_findings; i++) {
		const struct finding_group *g = &r->findings[i];
		struct seen_finding *s = seen_of(x, g);

		if (!s || g->count <= s->count)
			continue;
		if (x->n_instants == TRACE_MAX_INSTANTS) {
			x->dropped_instants++;
		} else {
			in = &x->instants[x->n_instants++];
			in->ts_ns = x->trigger_ns ? x->trigger_ns : ts_ns;
			in->g = *g;
			in->g.sites = NULL;
			in->g.addresses = NULL;
			in->g.stacks = NULL;
			in->g.n_sites = in->g.n_addresses = in->g.n_stacks = in->g.n_series = 0;
			in->new_count = g->count - s->count;
		}
		s->count = g->count;
	}
}

void trace_export__sample(struct trace_export *x, const struct tracker_results *r,
			  uint64_t ts_ns)
{
	sample_counters(x, r, ts_ns);
	sample_findings(x, r, ts_ns);
	x->trigger_ns = 0;
}

void trace_export__event(struct trace_export *x, struct tracker *t,
			 const struct ttleak_event *ev)
{
	struct tracker_results *r;
	bool boundary = ev->kind == TTLEAK_EV_DEVICE_CLOSE ||
			ev->kind == TTLEAK_EV_ALLOCATOR_RESET ||
			ev->kind == TTLEAK_EV_PROCESS_EXIT || ev->kind == TTLEAK_EV_PROGRAM_DESTROY;

	if (ev->ts_ns > x->last_ns)
		x->last_ns = ev->ts_ns;
	follow_program(x, t);
	if (boundary && ev->kind != TTLEAK_EV_PROGRAM_DESTROY)
		x->trigger_ns = ev->ts_ns;
	/* Findings need a full snapshot, O(state): once per period. Counters
	 * are cheap: also at the boundaries of an iteration, where live memory
	 * peaks (close) and drops (reset, destroy), which bursts shorter than
	 * a period would otherwise hide. */
	if (ev->ts_ns < x->next_ns) {
		if (boundary) {
			r = tracker__stats(t);
			sample_counters(x, r, ev->ts_ns);
			tracker_results__free(r);
		}
		return;
	}
	r = verdict__results(t, x->checks);
	trace_export__sample(x, r, ev->ts_ns);
	tracker_results__free(r);
	x->next_ns = ev->ts_ns + x->period_ns;
}

/* ---- the file ---------------------------------------------------------- */

/* Trace-event times are microseconds; keep nanoseconds as three decimals. */
static struct json_object *new_ts(uint64_t ns)
{
	char text[32];

	snprintf(text, sizeof(text), "%" PRIu64 ".%03" PRIu64, ns / 1000, ns % 1000);
	return json_object_new_double_s(ns / 1e3, text);
}

static struct json_object *new_event(const char *ph, const char *name, uint32_t pid)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "ph", json_object_new_string(ph));
	json_object_object_add(o, "name", json_object_new_string(name));
	json_object_object_add(o, "pid", json_object_new_int64(pid));
	json_object_object_add(o, "tid", json_object_new_int64(pid));
	return o;
}

/* Streams one event per line: the whole trace is never built in memory. */
static void emit(FILE *f, struct json_object *o, bool *first)
{
	fputs(*first ? "\n" : ",\n", f);
	fputs(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
						JSON_C_TO_STRING_NOSLASHESCAPE), f);
	json_object_put(o);
	*first = false;
}

static void device_name(char *buf, size_t size, const char *prefix,
			const struct tracker_device_id *id)
{
	size_t len = (size_t)snprintf(buf, size, "%s", prefix);

	if (len < size)
		describe__device(id, buf + len, size - len);
}

static bool pid_listed(const uint32_t *pids, size_t n, uint32_t pid)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (pids[i] == pid)
			return true;
	return false;
}

/* "M" events naming each process that has a track, a span or a finding. */
static void write_process_names(struct trace_export *x, FILE *f, const struct run_info *run,
				bool *first)
{
	size_t i, n = 0, cap = x->n_tracks + x->n_instants + 1;
	uint32_t *pids = calloc(cap, sizeof(*pids));
	struct json_object *o, *args;
	char name[320];

	if (!pids)
		return;
	for (i = 0; i < x->n_tracks; i++)
		if (!pid_listed(pids, n, x->tracks[i].tgid))
			pids[n++] = x->tracks[i].tgid;
	for (i = 0; i < x->n_instants; i++)
		if (!pid_listed(pids, n, x->instants[i].g.tgid))
			pids[n++] = x->instants[i].g.tgid;
	for (i = 0; i < n; i++) {
		const char *command = describe__process_command(run, pids[i]);

		snprintf(name, sizeof(name), "%s", command[0] ? command : "process");
		o = new_event("M", "process_name", pids[i]);
		args = json_object_new_object();
		json_object_object_add(args, "name", json_object_new_string(name));
		json_object_object_add(o, "args", args);
		emit(f, o, first);
	}
	free(pids);
}

static void write_samples(struct trace_export *x, FILE *f, bool *first)
{
	struct json_object *o, *args;
	char name[352];
	size_t i;
	int row;

	for (i = 0; i < x->n_samples; i++) {
		const struct sample *s = &x->samples[i];
		const struct track *tr = &x->tracks[s->track];

		device_name(name, sizeof(name), "live bytes ", &tr->id);
		o = new_event("C", name, tr->tgid);
		json_object_object_add(o, "ts", new_ts(s->ts_ns));
		json_object_object_add(o, "cat", json_object_new_string("memory"));
		args = json_object_new_object();
		for (row = 0; row < TRACKER_ROWS; row++)
			json_object_object_add(args, tracker_row_name(row),
					       json_object_new_uint64(s->bytes[row]));
		json_object_object_add(o, "args", args);
		emit(f, o, first);
	}
}

static void write_span(FILE *f, const struct span *s, bool *first)
{
	struct json_object *b = new_event("b", "program", s->tgid), *e = NULL, *args;
	char id[48], ptr[24];

	snprintf(id, sizeof(id), "%u:0x%" PRIx64, s->tgid, s->program);
	snprintf(ptr, sizeof(ptr), "0x%" PRIx64, s->program);
	json_object_object_add(b, "cat", json_object_new_string("program"));
	json_object_object_add(b, "id", json_object_new_string(id));
	if (json_object_deep_copy(b, &e, NULL)) {
		json_object_put(b);
		return;
	}
	json_object_object_add(e, "ph", json_object_new_string("e"));
	json_object_object_add(b, "ts", new_ts(s->start_ns));
	json_object_object_add(e, "ts", new_ts(s->end_ns));
	args = json_object_new_object();
	json_object_object_add(args, "program", json_object_new_string(ptr));
	json_object_object_add(args, "chip_id", s->chip_id == TTLEAK_CHIP_UNKNOWN ? NULL :
				json_object_new_int(s->chip_id));
	json_object_object_add(args, "destroyed", json_object_new_boolean(s->destroyed));
	json_object_object_add(b, "args", args);
	emit(f, b, first);
	emit(f, e, first);
}

struct alive_spans {
	FILE *f;
	uint64_t end_ns;
	bool *first;
};

/* A program still alive at the end: its span ends with the trace. */
static void write_alive_span(const struct tracker_program_span *p, void *ctx)
{
	struct alive_spans *a = ctx;
	struct span s = span_of(p, a->end_ns > p->start_ns ? a->end_ns : p->start_ns);

	write_span(a->f, &s, a->first);
}

static void write_spans(struct trace_export *x, const struct tracker *t, FILE *f,
			uint64_t end_ns, bool *first)
{
	struct alive_spans alive = { .f = f, .end_ns = end_ns, .first = first };
	size_t i;

	for (i = 0; i < x->n_spans; i++)
		write_span(f, &x->spans[(x->span_head + i) % TRACE_MAX_SPANS], first);
	tracker__alive_programs(t, write_alive_span, &alive);
}

static void write_instants(struct trace_export *x, FILE *f, bool *first)
{
	struct json_object *o, *args;
	char name[448], chip[320];
	size_t i;

	for (i = 0; i < x->n_instants; i++) {
		const struct instant *in = &x->instants[i];
		const struct finding_group *g = &in->g;

		snprintf(name, sizeof(name), "%s %s", g->kind == FINDING_ANOMALY ?
			 anomaly_kind_name(g->anomaly) : finding_kind_name(g->kind),
			 tracker_row_name(g->row));
		device_name(chip, sizeof(chip), "", &g->device);
		o = new_event("i", name, g->tgid);
		json_object_object_add(o, "ts", new_ts(in->ts_ns));
		json_object_object_add(o, "cat", json_object_new_string("finding"));
		json_object_object_add(o, "s", json_object_new_string("p"));
		args = json_object_new_object();
		json_object_object_add(args, "kind", json_object_new_string(finding_kind_name(g->kind)));
		json_object_object_add(args, "device", json_object_new_string(chip));
		json_object_object_add(args, "type", json_object_new_string(tracker_row_name(g->row)));
		json_object_object_add(args, "new", json_object_new_uint64(in->new_count));
		json_object_object_add(args, "count", json_object_new_uint64(g->count));
		json_object_object_add(args, "bytes", json_object_new_uint64(g->bytes));
		json_object_object_add(args, "title", json_object_new_string(describe__finding_title(g)));
		json_object_object_add(o, "args", args);
		emit(f, o, first);
	}
}

static void write_other_data(struct trace_export *x, FILE *f, const struct run_info *run)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "tool", json_object_new_string("ttleak-bpf"));
	json_object_object_add(o, "source", json_object_new_string(run->replay_path ?
								   run->replay_path : "live"));
	json_object_object_add(o, "sampling_period_ms",
			       json_object_new_double(x->period_ns / 1e6));
	json_object_object_add(o, "thinned_samples", json_object_new_uint64(x->thinned));
	json_object_object_add(o, "dropped_program_spans", json_object_new_uint64(x->dropped_spans));
	json_object_object_add(o, "dropped_finding_events",
			       json_object_new_uint64(x->dropped_instants));
	fprintf(f, "\"otherData\":%s,\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
						       JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

int trace_export__write(struct trace_export *x, const struct tracker *t, const char *path,
			const struct run_info *run,
			uint64_t end_ns, char *err, size_t errlen)
{
	struct output_file *out = NULL;
	char why[PATH_MAX + 256];
	bool first = true;
	FILE *f;
	int ret;

	ret = output_file__claim(path, &out, why, sizeof(why));
	if (ret)
		goto cleanup;
	f = output_file__stream(out);
	if (!f) {
		ret = -errno;
		snprintf(why, sizeof(why), "%s: %s", path, strerror(-ret));
		output_file__abandon(out);
		goto cleanup;
	}
	fputs("{\"displayTimeUnit\":\"ms\",\n", f);
	write_other_data(x, f, run);
	fputs("\"traceEvents\":[", f);
	write_process_names(x, f, run, &first);
	write_samples(x, f, &first);
	write_spans(x, t, f, end_ns, &first);
	write_instants(x, f, &first);
	fputs("\n]}\n", f);
	ret = output_file__commit(out, why, sizeof(why));
cleanup:
	if (ret)
		snprintf(err, errlen, "cannot write trace: %s", why);
	return ret;
}
