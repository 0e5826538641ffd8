// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit tests for user/model/verdict.c: the facts every output takes from the
 * verdict (drop totals, whether the layout is suspect, the findings a run may
 * report) and the exit status, on a real tracker fed real events. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>
#include <sys/wait.h>

#include "attach/probes.h"
#include "model/run_info.h"
#include "model/tracker.h"
#include "model/verdict.h"

/* A process that leaves one DRAM buffer behind at exit: a never-freed finding. */
static struct tracker *tracker_with_leak(void)
{
	struct tracker_opts o = { 0 };
	struct tracker *t = tracker__new(&o);
	struct ttleak_event ev = {
		.kind = TTLEAK_EV_BUFFER_ALLOC, .tgid = 7, .tid = 7, .ts_ns = 1, .stack_id = -1,
		.device = 0xd0, .chip_id = 0, .object = 0xb0, .address = 0x1000, .size = 4096,
		.page_size = 4096, .allocator = 0xa0, .allocator_field = 0xa0,
		.buffer_type = TTLEAK_BUF_DRAM,
	};

	tracker__consume(t, &ev);
	ev = (struct ttleak_event){ .kind = TTLEAK_EV_PROCESS_EXIT, .tgid = 7, .tid = 7,
				    .ts_ns = 2, .stack_id = -1 };
	tracker__consume(t, &ev);
	return t;
}

static void test_results_keep_only_checked_kinds(void **state)
{
	struct tracker *t = tracker_with_leak();
	struct tracker_results *r;

	(void)state;
	r = verdict__results(t, CHECK_ALL);
	assert_int_equal(r->n_findings, 1);
	assert_int_equal(r->findings[0].kind, FINDING_NEVER_FREED);
	tracker_results__free(r);
	/* A run without the probes never-freed needs must not report it. */
	r = verdict__results(t, CHECK_ALL & ~CHECK_NEVER_FREED);
	assert_int_equal(r->n_findings, 0);
	tracker_results__free(r);
	tracker__free(t);
}

static void test_drop_totals(void **state)
{
	struct run_info run;
	struct tracker *t = tracker_with_leak();
	struct tracker_results *r = verdict__results(t, CHECK_ALL);

	(void)state;
	memset(&run, 0, sizeof(run));
	assert_int_equal(verdict__ringbuf_drops(&run), 0);
	assert_int_equal(verdict__lost_events(&run, r), 0);
	assert_true(verdict__certified(&run, r));
	assert_int_equal(verdict__exit_status(&run, r), EXIT_LEAK);
	run.drops[TTLEAK_DROP_RINGBUF_FULL] = 3;
	assert_int_equal(verdict__ringbuf_drops(&run), 3);
	assert_int_equal(verdict__lost_events(&run, r), 3);
	assert_int_equal(verdict__exit_status(&run, r), EXIT_UNCERTIFIED);
	run.allow_drops = true; /* accepted lost events, never unreadable ones */
	assert_int_equal(verdict__exit_status(&run, r), EXIT_LEAK);
	tracker_results__free(r);
	tracker__free(t);
}

static void test_layout_suspect(void **state)
{
	struct tracker_process_info p = { .tgid = 7 };
	struct tracker_results r = { .processes = &p, .n_processes = 1 };
	struct run_info run;

	(void)state;
	memset(&run, 0, sizeof(run));
	run.allow_drops = true;
	assert_false(verdict__layout_suspect(&r));
	p.implausible = 1;
	assert_true(verdict__layout_suspect(&r));
	assert_int_equal(verdict__exit_status(&run, &r), EXIT_UNCERTIFIED);
	p.implausible = 0;
	p.unreadable = 2;
	assert_true(verdict__layout_suspect(&r));
	assert_int_equal(verdict__lost_events(&run, &r), 2);
}

static void test_failed_command_is_never_clean(void **state)
{
	struct tracker_results r = { 0 };
	struct run_info run;

	(void)state;
	memset(&run, 0, sizeof(run));
	assert_int_equal(verdict__exit_status(&run, &r), EXIT_CLEAN);
	run.command_ran = true;
	run.command_status = 1 << 8; /* exited with status 1 */
	assert_true(verdict__command_failed(&run));
	assert_int_equal(verdict__exit_status(&run, &r), EXIT_UNCERTIFIED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_results_keep_only_checked_kinds),
		cmocka_unit_test(test_drop_totals),
		cmocka_unit_test(test_layout_suspect),
		cmocka_unit_test(test_failed_command_is_never_clean),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
