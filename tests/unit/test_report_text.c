// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit tests for user/report_text.c and user/replay.c: strings from the
 * traced process are printed escaped, so a crafted command line cannot
 * forge report lines or reach the terminal; a replay whose times go
 * backwards or jump never prints a wrapped duration. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "model/event_log.h"
#include "report/live_view.h"
#include "pipeline/output.h"
#include "pipeline/replay.h"
#include "report/describe.h"
#include "report/report_text.h"
#include "model/run_info.h"
#include "model/tracker.h"

static char *escaped(const char *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	assert_non_null(out);
	describe__put_untrusted(out, s);
	fclose(out);
	return buf;
}

static void expect_escaped(const char *in, const char *want)
{
	char *got = escaped(in);

	if (strcmp(got, want))
		fail_msg("escaped '%s', want '%s'", got, want);
	free(got);
}

static void test_escape_rules(void **state)
{
	(void)state;
	expect_escaped("python3 test.py --n 3", "python3 test.py --n 3");
	expect_escaped("\x1b[2J\x1b]0;owned\a", "\\x1b[2J\\x1b]0;owned\\x07");
	expect_escaped("a\nResult: no leak found\r", "a\\x0aResult: no leak found\\x0d");
	expect_escaped("tab\there\x7f", "tab\\x09here\\x7f");
	expect_escaped("caf\xc3\xa9 \xe6\xbc\xa2 \xf0\x9f\x98\x80", "caf\xc3\xa9 \xe6\xbc\xa2 \xf0\x9f\x98\x80");
	expect_escaped("bad \xff \xc0\xaf \xed\xa0\x80 \xe2\x82", /* invalid, overlong, surrogate, cut */
		       "bad \\xff \\xc0\\xaf \\xed\\xa0\\x80 \\xe2\\x82");
	expect_escaped("c1 \xc2\x9b" "31m", "c1 \\xc2\\x9b31m"); /* U+009B: CSI */
	expect_escaped("rlo \xe2\x80\xae" "cod.exe", "rlo \\xe2\\x80\\xaecod.exe");
	expect_escaped("", "");
	expect_escaped(NULL, "");
}

static char *report_for(const struct run_info *run)
{
	struct tracker_opts topts = { 0 };
	struct tracker *t = tracker__new(&topts);
	struct tracker_results *r;
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	assert_non_null(t);
	assert_non_null(out);
	r = tracker__results(t);
	assert_non_null(r);
	report_text__write(out, run, r);
	fclose(out);
	tracker_results__free(r);
	tracker__free(t);
	return buf;
}

/* Every line the report prints starts as the report prints it: none was
 * injected, and no escape character reaches the terminal. */
static void test_hostile_run_cannot_forge_lines(void **state)
{
	struct run_info run;
	char *text;

	(void)state;
	memset(&run, 0, sizeof(run));
	run.pid = 4242;
	snprintf(run.command, sizeof(run.command),
		 "python3 x.py\n\nResult: no leak found (exit 0)\x1b[8m");
	snprintf(run.lib_path, sizeof(run.lib_path), "/opt/lib\r\nResult: fake/libtt_metal.so");
	snprintf(run.layout_source, sizeof(run.layout_source), "DWARF in \x1b]52;c;AAAA\a.debug");
	run.checks = ~0u;
	run.duration_s = 1.5;
	text = report_for(&run);
	assert_null(strchr(text, '\x1b'));
	assert_null(strchr(text, '\r'));
	assert_null(strchr(text, '\a'));
	assert_null(strstr(text, "\nResult: no leak found (exit 0)\\x1b"));
	assert_non_null(strstr(text, "python3 x.py\\x0a\\x0aResult: no leak found (exit 0)\\x1b[8m"));
	assert_non_null(strstr(text, "/opt/lib\\x0d\\x0aResult: fake/libtt_metal.so"));
	assert_non_null(strstr(text, "traced      1.5 s"));
	free(text);
}

/* The live view prints the same command lines: escaped too. */
static void test_live_view_escapes(void **state)
{
	struct process_label label = { .tgid = 42, .command = "evil\x1b[2J\nResult: no leak" };
	struct run_info run = { .pid = 42, .labels = &label, .n_labels = 1 };
	struct tracker_process_info p = { .tgid = 42 };
	struct tracker_results r = { .processes = &p, .n_processes = 1 };
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	(void)state;
	assert_non_null(out);
	live_view__format(out, &run, &r, NULL, 0, 1.0, "\n");
	fclose(out);
	assert_null(strchr(buf, '\x1b'));
	if (!strstr(buf, "pid 42  evil\\x1b[2J\\x0aResult: no leak  0 events\n"))
		fail_msg("live view:\n%s", buf);
	free(buf);
}

static void test_unknown_duration(void **state)
{
	struct run_info run;
	char *text;

	(void)state;
	memset(&run, 0, sizeof(run));
	run.checks = ~0u;
	run.duration_s = -1;
	text = report_for(&run);
	assert_non_null(strstr(text, "traced      unknown time, 0 events"));
	free(text);
	run.duration_s = 18446744073.7; /* what a wrapped span used to print */
	text = report_for(&run);
	assert_non_null(strstr(text, "traced      unknown time"));
	free(text);
}

static void test_span(void **state)
{
	(void)state;
	assert_true(replay__span_s(UINT64_MAX, 0) == 0); /* no events */
	assert_true(replay__span_s(5, 5) == 0);
	assert_true(replay__span_s(1000000000ULL, 3500000000ULL) == 2.5);
	assert_true(replay__span_s(0, 400ULL * 86400 * 1000000000ULL) < 0);
}

/* A recording whose times go backwards replays with the span from the
 * earliest to the latest event, never a wrapped 18446744073.7 s. */
static void test_replay_backwards_times(void **state)
{
	static const uint64_t times[] = { 5000000000ULL, 4000000000ULL, 2000000000ULL, 4500000000ULL };
	char dir[] = "/tmp/ttleak-replay-XXXXXX", log[64], report[64], text[4096];
	struct event_log_header h = { .target_pid = 4242 };
	struct event_log_writer *w;
	struct cli_opts opts;
	FILE *in;
	size_t i, n;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(log, sizeof(log), "%s/events.bin", dir);
	snprintf(report, sizeof(report), "%s/report.txt", dir);
	w = event_log_writer__open(log, &h);
	assert_non_null(w);
	for (i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
		struct ttleak_event ev;

		memset(&ev, 0, sizeof(ev));
		ev.ts_ns = times[i];
		ev.tgid = 4242;
		ev.kind = TTLEAK_EV_CB_DEALLOC;
		ev.stack_id = -1;
		assert_int_equal(event_log_writer__append(w, &ev), 0);
	}
	assert_int_equal(event_log_writer__close(w, NULL), 0);
	memset(&opts, 0, sizeof(opts));
	opts.mode = MODE_REPLAY;
	opts.replay_path = log;
	opts.output_path = report;
	assert_int_equal(output__open_all(&opts), 0);
	replay__run(&opts);
	in = fopen(report, "r");
	assert_non_null(in);
	n = fread(text, 1, sizeof(text) - 1, in);
	text[n] = '\0';
	fclose(in);
	if (!strstr(text, "traced      3.0 s, 4 events"))
		fail_msg("report:\n%s", text);
	unlink(log);
	unlink(report);
	assert_int_equal(rmdir(dir), 0);
}

/* --all prints each process's report as it exits; the final report names
 * those once instead of printing them again. */
static void test_reported_processes_once(void **state)
{
	struct tracker_process_info procs[2] = { { .tgid = 42, .exited = true }, { .tgid = 43 } };
	struct tracker_results r = { .processes = procs, .n_processes = 2 };
	uint32_t reported[] = { 42 };
	struct run_info run;
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	(void)state;
	memset(&run, 0, sizeof(run));
	run.checks = ~0u;
	run.reported = reported;
	run.n_reported = 1;
	report_text__write(out, &run, &r);
	fclose(out);
	assert_null(strstr(buf, "Process 42"));
	assert_non_null(strstr(buf, "Process 43"));
	assert_non_null(strstr(buf, "1 process reported above as it exited (0 findings)"));
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reported_processes_once),
		cmocka_unit_test(test_escape_rules),
		cmocka_unit_test(test_hostile_run_cannot_forge_lines),
		cmocka_unit_test(test_live_view_escapes),
		cmocka_unit_test(test_unknown_duration),
		cmocka_unit_test(test_span),
		cmocka_unit_test(test_replay_backwards_times),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
