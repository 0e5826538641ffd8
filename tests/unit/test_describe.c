// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit tests for user/report/describe.c: the one spelling every output uses
 * for devices, wait statuses and processes. (Bytes: test_exports.c; strings
 * from the traced process: test_report_text.c.) */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <signal.h>
#include <string.h>

#include "model/process_labels.h"
#include "report/describe.h"

static void test_devices(void **state)
{
	struct tracker_device_id chip = { .kind = TRACKER_DEVICE_CHIP, .chip_id = 3 };
	struct tracker_device_id mesh = { .kind = TRACKER_DEVICE_MESH, .mesh_id = 5,
					  .n_chips = 2, .chips = { 0, 1 } };
	struct tracker_device_id unknown = { .kind = TRACKER_DEVICE_UNKNOWN, .ptr = 0xd0 };
	char b[128];

	(void)state;
	describe__device(&chip, b, sizeof(b));
	assert_string_equal(b, "chip 3");
	describe__device(&mesh, b, sizeof(b));
	assert_string_equal(b, "mesh 5 (chips 0,1)");
	mesh.n_chips = 0;
	describe__device(&mesh, b, sizeof(b));
	assert_string_equal(b, "mesh 5 (chips not seen)");
	describe__device(&unknown, b, sizeof(b));
	assert_string_equal(b, "device 0xd0 (class or id unknown)");
}

static void test_wait_status(void **state)
{
	char b[96];

	(void)state;
	describe__wait_status(3 << 8, b, sizeof(b));
	assert_string_equal(b, "exited with status 3");
	describe__wait_status(SIGKILL, b, sizeof(b));
	assert_string_equal(b, "killed by signal 9 (Killed)");
}

static void test_process_command(void **state)
{
	struct process_label labels[] = { { .tgid = 11, .command = "python t.py" } };
	struct run_info run;

	(void)state;
	memset(&run, 0, sizeof(run));
	run.pid = 10;
	snprintf(run.command, sizeof(run.command), "pytest -x");
	run.labels = labels;
	run.n_labels = 1;
	assert_string_equal(describe__process_command(&run, 11), "python t.py");
	/* Gone before it was labelled: the root process's command is known. */
	assert_string_equal(describe__process_command(&run, 10), "pytest -x");
	assert_string_equal(describe__process_command(&run, 12), "");
}

/* A process gone before its command line was read is named by the comm its
 * exit event carried; a command line, when read, wins over it. */
static void test_process_comm(void **state)
{
	static const char comm16[TTLEAK_COMM_LEN] = "exactly16bytes!!"; /* no NUL */
	struct process_labels l = { 0 };
	struct run_info run;

	(void)state;
	memset(&run, 0, sizeof(run));
	assert_int_equal(process_labels__set_command(&l, 20, ""), 0);
	assert_int_equal(process_labels__set_comm(&l, 20, "ttsim_workload"), 0);
	assert_int_equal(process_labels__set_command(&l, 21, "python t.py"), 0);
	assert_int_equal(process_labels__set_comm(&l, 21, "python3"), 0);
	assert_int_equal(process_labels__set_comm(&l, 22, comm16), 0);
	assert_int_equal(process_labels__set_comm(&l, 23, ""), 0);
	assert_int_equal(l.n, 3); /* an empty comm adds nothing */
	run.labels = l.v;
	run.n_labels = l.n;
	assert_string_equal(describe__process_command(&run, 20), "[ttsim_workload]");
	assert_string_equal(describe__process_command(&run, 21), "python t.py");
	assert_string_equal(describe__process_command(&run, 22), "[exactly16bytes!!]");
	assert_string_equal(describe__process_command(&run, 23), "");
	process_labels__free(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_devices),
		cmocka_unit_test(test_wait_status),
		cmocka_unit_test(test_process_command),
		cmocka_unit_test(test_process_comm),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
