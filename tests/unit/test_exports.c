// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit tests for the live outputs: the live view's formatting
 * (user/live_view.c), Prometheus text (user/metrics.c) and the trace-event
 * timeline and its size bound (user/trace_export.c). */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <json-c/json.h>

#include "report/describe.h"
#include "report/live_view.h"
#include "report/metrics.h"
#include "attach/probes.h"
#include "report/trace_export.h"

static struct process_label label = { .tgid = 42, .command = "say \"hi\"\\now" };
static const struct run_info run = { .pid = 42, .labels = &label, .n_labels = 1,
				     .drops = { 3 } };

/* One process, one device (chip 0) with 2 live DRAM buffers of 24 KiB. */
static void fill_results(struct tracker_results *r, struct tracker_process_info *p,
			 struct tracker_device_info *d, struct finding_group *g)
{
	memset(r, 0, sizeof(*r));
	memset(p, 0, sizeof(*p));
	memset(d, 0, sizeof(*d));
	memset(g, 0, sizeof(*g));
	p->tgid = d->tgid = g->tgid = 42;
	d->id.kind = TRACKER_DEVICE_CHIP;
	d->id.chip_id = 0;
	d->rows[TTLEAK_BUF_DRAM] = (struct tracker_stats){ .live_count = 2, .live_bytes = 49152,
							   .allocs = 10, .frees = 8 };
	g->kind = FINDING_RECLAIMED_AT_CLOSE;
	g->device = d->id;
	g->row = TTLEAK_BUF_DRAM;
	g->count = 1;
	g->bytes = 24576;
	r->processes = p;
	r->n_processes = 1;
	r->devices = d;
	r->n_devices = 1;
	r->findings = g;
	r->n_findings = 1;
	r->events = 99;
}

static char *format_view(const struct tracker_results *r, const struct tracker_device_info *prev,
			 size_t n_prev, double dt)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	live_view__format(f, &run, r, prev, n_prev, dt, "\n");
	fclose(f);
	return buf;
}

static void test_bytes(void **state)
{
	char b[32];

	(void)state;
	describe__bytes(512, b, sizeof(b));
	assert_string_equal(b, "512 B");
	describe__bytes(24576, b, sizeof(b));
	assert_string_equal(b, "24.0 KiB");
	describe__bytes(3ull << 30, b, sizeof(b));
	assert_string_equal(b, "3.0 GiB");
	describe__bytes_change(3 << 20, b, sizeof(b));
	assert_string_equal(b, "+3.0 MiB");
	describe__bytes_change(-2048, b, sizeof(b));
	assert_string_equal(b, "-2.0 KiB");
	describe__bytes_change(0, b, sizeof(b));
	assert_string_equal(b, "+0 B");
}

static void test_view_changes_and_rates(void **state)
{
	struct tracker_results r;
	struct tracker_process_info p;
	struct tracker_device_info d, prev;
	struct finding_group g;
	char *text;

	(void)state;
	fill_results(&r, &p, &d, &g);
	prev = d;
	prev.rows[TTLEAK_BUF_DRAM] = (struct tracker_stats){ .live_count = 1, .live_bytes = 24576,
							     .allocs = 6, .frees = 5 };
	text = format_view(&r, &prev, 1, 2.0);
	assert_non_null(strstr(text, "pid 42  say \"hi\"\\now  0 events\n"));
	assert_non_null(strstr(text, "  chip 0 "));
	/* 2 live, 48 KiB, +1, +24 KiB, (10-6)/2 allocs/s, (8-5)/2 frees/s */
	assert_non_null(strstr(text, "    DRAM                     2    48.0 KiB        +1"
				     "   +24.0 KiB        2.0        1.5\n"));
	assert_null(strstr(text, "SYSTEM_MEMORY"));  /* unused host memory is not shown */
	assert_non_null(strstr(text, "findings so far: reclaimed_at_close 1 (24.0 KiB)\n"));
	assert_null(strchr(text, '\033'));
	free(text);
	/* No previous frame: everything is new. */
	text = format_view(&r, NULL, 0, 1.0);
	assert_non_null(strstr(text, "+2   +48.0 KiB       10.0        8.0\n"));
	free(text);
}

static void test_view_empty(void **state)
{
	struct tracker_results r = { 0 };
	char *text = format_view(&r, NULL, 0, 1.0);

	(void)state;
	assert_string_equal(text, "no traced process has used the runtime yet\n");
	free(text);
}

static void test_metrics_escape(void **state)
{
	char b[64];

	(void)state;
	metrics__escape(b, sizeof(b), "a\"b\\c\nd");
	assert_string_equal(b, "a\\\"b\\\\c\\nd");
	metrics__escape(b, 6, "abcdefgh");
	assert_string_equal(b, "abcde");
	metrics__escape(b, 4, "ab\"c");      /* never half an escape */
	assert_string_equal(b, "ab");
	/* UTF-8 is kept whole; other bytes would make the file unreadable. */
	metrics__escape(b, sizeof(b), "caf\xc3\xa9 \xff\xc3x\xed\xa0\x80");
	assert_string_equal(b, "caf\xc3\xa9 ??x???");
	metrics__escape(b, 5, "ab\xe2\x82\xac");  /* the euro sign does not fit */
	assert_string_equal(b, "ab");
}

static void test_metrics_parse_labels(void **state)
{
	unsigned l = 99;

	(void)state;
	assert_int_equal(metrics__parse_labels("none", &l), 0);
	assert_int_equal(l, 0);
	assert_int_equal(metrics__parse_labels("pid", &l), 0);
	assert_int_equal(l, METRICS_LABEL_PID);
	assert_int_equal(metrics__parse_labels("command,pid", &l), 0);
	assert_int_equal(l, METRICS_LABEL_PID | METRICS_LABEL_COMMAND);
	l = 7;
	assert_int_equal(metrics__parse_labels("", &l), -EINVAL);
	assert_int_equal(metrics__parse_labels("pid,", &l), -EINVAL);
	assert_int_equal(metrics__parse_labels("none,pid", &l), -EINVAL);
	assert_int_equal(metrics__parse_labels("tid", &l), -EINVAL);
	assert_int_equal(metrics__parse_labels("pids", &l), -EINVAL);
	assert_int_equal(l, 7); /* untouched on error */
}

static char *format_metrics(const struct run_info *ri, const struct tracker_results *r,
			    unsigned labels)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_int_equal(metrics__format(f, ri, r, labels), 0);
	fclose(f);
	return buf;
}

/* Every "# HELP x" is followed by "# TYPE x", and every sample's name is
 * the name of the last TYPE: what the Prometheus text format 0.0.4 asks. */
static void check_text_format(const char *buf)
{
	char family[128] = "", name[160];
	const char *line = buf;

	while (*line) {
		const char *eol = strchr(line, '\n');

		assert_non_null(eol);
		if (!strncmp(line, "# HELP ", 7)) {
			assert_int_equal(sscanf(line, "# HELP %127s", family), 1);
			snprintf(name, sizeof(name), "\n# TYPE %s ", family);
			assert_int_equal(strncmp(eol, name, strlen(name)), 0);
		} else if (!strncmp(line, "# TYPE ", 7)) {
			assert_int_equal(sscanf(line, "# TYPE %127s", name), 1);
			assert_string_equal(name, family);
		} else {
			assert_true(line[0] != '#');
			assert_int_equal(strncmp(line, family, strlen(family)), 0);
			assert_true(line[strlen(family)] == '{' || line[strlen(family)] == ' ');
		}
		line = eol + 1;
	}
}

static void test_metrics_format(void **state)
{
	struct tracker_results r;
	struct tracker_process_info p;
	struct tracker_device_info d;
	struct finding_group g;
	char *buf;

	(void)state;
	fill_results(&r, &p, &d, &g);
	buf = format_metrics(&run, &r, METRICS_LABEL_PID | METRICS_LABEL_COMMAND);
	check_text_format(buf);
	assert_non_null(strstr(buf, "# HELP ttleak_live_bytes "));
	assert_non_null(strstr(buf, "\n# TYPE ttleak_live_bytes gauge\n"));
	assert_non_null(strstr(buf, "ttleak_live_bytes{pid=\"42\",command=\"say \\\"hi\\\"\\\\now\","
				    "chip=\"0\",type=\"DRAM\"} 49152\n"));
	assert_non_null(strstr(buf, "\n# TYPE ttleak_allocations_total counter\n"));
	assert_null(strstr(buf, "# TYPE ttleak_allocations counter"));
	assert_non_null(strstr(buf, "ttleak_allocations_total{pid=\"42\""));
	assert_non_null(strstr(buf, ",kind=\"reclaimed_at_close\"} 1\n"));
	assert_non_null(strstr(buf, ",kind=\"never_freed\"} 0\n"));
	assert_non_null(strstr(buf, "# TYPE ttleak_dropped_events_total counter\n"));
	assert_non_null(strstr(buf, "ttleak_dropped_events_total{reason=\"ringbuf_full\"} 3\n"));
	assert_non_null(strstr(buf, "# TYPE ttleak_events_total counter\n"));
	assert_non_null(strstr(buf, "ttleak_events_total 99\n"));
	assert_null(strstr(buf, "# EOF"));
	assert_null(strstr(buf, "# UNIT"));
	assert_null(strstr(buf, "\n\n"));
	free(buf);
	/* One label of the two. */
	buf = format_metrics(&run, &r, METRICS_LABEL_PID);
	check_text_format(buf);
	assert_non_null(strstr(buf, "ttleak_live_bytes{pid=\"42\",chip=\"0\",type=\"DRAM\"} 49152\n"));
	assert_non_null(strstr(buf, "ttleak_findings{pid=\"42\",kind=\"reclaimed_at_close\"} 1\n"));
	assert_null(strstr(buf, "command="));
	free(buf);
}

/* Without per-process labels, processes on the same chip are one series
 * (summed), devices stay apart, and the finding series need no process. */
static void test_metrics_summed(void **state)
{
	static struct process_label labels[3] = {
		{ .tgid = 42, .command = "say \"hi\"\\now" },
		{ .tgid = 43, .command = "say \"hi\"\\now" },
		{ .tgid = 44, .command = "other" },
	};
	struct run_info ri = { .labels = labels, .n_labels = 3 };
	struct tracker_process_info p[3] = { { .tgid = 42 }, { .tgid = 43 }, { .tgid = 44 } };
	struct tracker_device_info d[4];
	struct finding_group g[3];
	struct tracker_results r = { .processes = p, .n_processes = 3, .devices = d,
				     .n_devices = 4, .findings = g, .n_findings = 3 };
	char *buf;
	size_t i;

	(void)state;
	memset(d, 0, sizeof(d));
	memset(g, 0, sizeof(g));
	for (i = 0; i < 4; i++) {
		d[i].tgid = i < 2 ? 42 + (uint32_t)i : 44;
		d[i].id.kind = TRACKER_DEVICE_CHIP;
		d[i].rows[TTLEAK_BUF_DRAM] = (struct tracker_stats){ .live_count = 1,
			.live_bytes = 1000 << i, .allocs = 5, .frees = 4 };
	}
	d[3].id.kind = TRACKER_DEVICE_MESH; /* pid 44: chip 0 and mesh 0 */
	for (i = 0; i < 3; i++) {
		g[i].tgid = 42 + (uint32_t)i;
		g[i].kind = FINDING_NEVER_FREED;
		g[i].count = 1;
		g[i].bytes = 100;
	}
	buf = format_metrics(&ri, &r, 0);
	check_text_format(buf);
	assert_non_null(strstr(buf, "ttleak_live_bytes{chip=\"0\",type=\"DRAM\"} 7000\n"));
	assert_non_null(strstr(buf, "ttleak_live_bytes{mesh=\"0\",type=\"DRAM\"} 8000\n"));
	assert_non_null(strstr(buf, "ttleak_live_buffers{chip=\"0\",type=\"DRAM\"} 3\n"));
	assert_non_null(strstr(buf, "ttleak_allocations_total{chip=\"0\",type=\"DRAM\"} 15\n"));
	assert_non_null(strstr(buf, "ttleak_frees_total{mesh=\"0\",type=\"DRAM\"} 4\n"));
	assert_non_null(strstr(buf, "ttleak_findings{kind=\"never_freed\"} 3\n"));
	assert_non_null(strstr(buf, "ttleak_finding_bytes{kind=\"never_freed\"} 300\n"));
	assert_non_null(strstr(buf, "ttleak_findings{kind=\"cb_tracking\"} 0\n"));
	assert_null(strstr(buf, "pid="));
	assert_null(strstr(buf, "command="));
	/* One series per label set: chip 0 and mesh 0, each type once. */
	assert_null(strstr(strstr(buf, "ttleak_live_bytes{chip=\"0\",type=\"DRAM\"}") + 1,
			   "ttleak_live_bytes{chip=\"0\",type=\"DRAM\"}"));
	free(buf);
	/* By command: 42 and 43 ran the same one. */
	buf = format_metrics(&ri, &r, METRICS_LABEL_COMMAND);
	check_text_format(buf);
	assert_non_null(strstr(buf, "ttleak_live_bytes{command=\"say \\\"hi\\\"\\\\now\","
				    "chip=\"0\",type=\"DRAM\"} 3000\n"));
	assert_non_null(strstr(buf, "ttleak_live_bytes{command=\"other\",chip=\"0\","
				    "type=\"DRAM\"} 4000\n"));
	assert_non_null(strstr(buf, "ttleak_findings{command=\"say \\\"hi\\\"\\\\now\","
				    "kind=\"never_freed\"} 2\n"));
	assert_non_null(strstr(buf, "ttleak_findings{command=\"other\",kind=\"never_freed\"} 1\n"));
	free(buf);
	/* No process yet: the finding series are there, at 0. */
	r.n_processes = r.n_devices = r.n_findings = 0;
	buf = format_metrics(&ri, &r, 0);
	check_text_format(buf);
	assert_non_null(strstr(buf, "ttleak_findings{kind=\"never_freed\"} 0\n"));
	assert_null(strstr(buf, "ttleak_live_bytes{"));
	free(buf);
}

static void test_metrics_file_atomic(void **state)
{
	char dir[] = "/tmp/ttleak-metrics-XXXXXX", path[PATH_MAX], err[256];
	struct tracker_results r;
	struct tracker_process_info p;
	struct tracker_device_info d;
	struct finding_group g;

	(void)state;
	fill_results(&r, &p, &d, &g);
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/ttleak.prom", dir);
	assert_int_equal(metrics__write_file(path, &run, &r, 0, err, sizeof(err)), 0);
	assert_int_equal(access(path, R_OK), 0);
	unlink(path);
	assert_int_equal(rmdir(dir), 0); /* no temporary file left */
	snprintf(path, sizeof(path), "%s/gone/ttleak.prom", dir);
	assert_true(metrics__write_file(path, &run, &r, 0, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "cannot write metrics"));
}

static struct json_object *write_trace(struct trace_export *x, const struct tracker *t,
				       uint64_t end_ns)
{
	char path[] = "/tmp/ttleak-trace-XXXXXX", err[256];
	struct json_object *o;
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(trace_export__write(x, t, path, &run, end_ns, err, sizeof(err)), 0);
	o = json_object_from_file(path);
	unlink(path);
	assert_non_null(o);
	return o;
}

static size_t count_phase(struct json_object *trace, const char *ph, struct json_object **last)
{
	struct json_object *events = json_object_object_get(trace, "traceEvents");
	size_t i, n = 0;

	for (i = 0; i < json_object_array_length(events); i++) {
		struct json_object *ev = json_object_array_get_idx(events, i);

		if (strcmp(json_object_get_string(json_object_object_get(ev, "ph")), ph) == 0) {
			n++;
			if (last)
				*last = ev;
		}
	}
	return n;
}

/* A long run: samples stay bounded, the latest value survives thinning. */
static void test_trace_bounded(void **state)
{
	struct tracker_results r;
	struct tracker_process_info p;
	struct tracker_device_info d;
	struct finding_group g;
	struct tracker_opts topts = { 0 };
	struct tracker *t = tracker__new(&topts);
	struct trace_export *x = trace_export__new(CHECK_ALL);
	struct json_object *trace, *last = NULL, *other;
	uint64_t i, n = 3 * TRACE_MAX_SAMPLES;

	(void)state;
	fill_results(&r, &p, &d, &g);
	for (i = 1; i <= n; i++) {
		d.rows[TTLEAK_BUF_L1].live_bytes = i;
		g.count = i; /* grows: a finding event each time */
		trace_export__sample(x, &r, i * 1000);
	}
	trace = write_trace(x, t, n * 1000);
	assert_true(count_phase(trace, "C", &last) <= TRACE_MAX_SAMPLES);
	assert_true(count_phase(trace, "C", NULL) >= TRACE_MAX_SAMPLES / 2);
	assert_int_equal(json_object_get_uint64(json_object_object_get(
				 json_object_object_get(last, "args"), "L1")), n);
	assert_string_equal(json_object_get_string(json_object_object_get(last, "ts")), "196608.000");
	assert_int_equal(count_phase(trace, "i", NULL), TRACE_MAX_INSTANTS);
	other = json_object_object_get(trace, "otherData");
	assert_true(json_object_get_uint64(json_object_object_get(other, "thinned_samples")) > 0);
	assert_true(json_object_get_uint64(json_object_object_get(other,
								  "dropped_finding_events")) > 0);
	json_object_put(trace);
	trace_export__free(x);
	tracker__free(t);
}

/* Programs from CB layout to destruction; one alive at the end ends there. */
static void test_trace_programs(void **state)
{
	struct tracker_opts topts = { 0 };
	struct tracker *t = tracker__new(&topts);
	struct trace_export *x = trace_export__new(CHECK_ALL);
	struct ttleak_event ev = { .tgid = 42, .tid = 42, .chip_id = 0, .stack_id = -1,
				   .device = 0xd0 };
	struct json_object *trace, *last = NULL;

	(void)state;
	ev.kind = TTLEAK_EV_CB_LAYOUT;
	ev.object = 0x100;
	ev.ts_ns = 1000;
	tracker__consume(t, &ev);
	trace_export__event(x, t, &ev);
	ev.object = 0x200;
	ev.ts_ns = 2000;
	tracker__consume(t, &ev);
	trace_export__event(x, t, &ev);
	ev.kind = TTLEAK_EV_PROGRAM_DESTROY;
	ev.object = 0x100;
	ev.ts_ns = 5000;
	tracker__consume(t, &ev);
	trace_export__event(x, t, &ev);
	assert_int_equal(trace_export__last_ns(x), 5000);
	trace = write_trace(x, t, 9000);
	assert_int_equal(count_phase(trace, "b", NULL), 2);
	assert_int_equal(count_phase(trace, "e", &last), 2);
	assert_string_equal(json_object_get_string(json_object_object_get(last, "id")), "42:0x200");
	assert_string_equal(json_object_get_string(json_object_object_get(last, "ts")), "9.000");
	assert_int_equal(count_phase(trace, "M", NULL), 1);
	json_object_put(trace);
	trace_export__free(x);
	tracker__free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bytes),
		cmocka_unit_test(test_view_changes_and_rates),
		cmocka_unit_test(test_view_empty),
		cmocka_unit_test(test_metrics_escape),
		cmocka_unit_test(test_metrics_parse_labels),
		cmocka_unit_test(test_metrics_format),
		cmocka_unit_test(test_metrics_summed),
		cmocka_unit_test(test_metrics_file_atomic),
		cmocka_unit_test(test_trace_bounded),
		cmocka_unit_test(test_trace_programs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
