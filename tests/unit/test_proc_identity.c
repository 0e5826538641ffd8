// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit tests for user/proc_identity.c: the start time of /proc/PID/stat
 * (field 22, counted from the last ')', whatever the command holds), the
 * comparison that tells a reused pid, and the pidfd on real processes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "attach/proc_identity.h"

/* Fields 3..21 of a real stat line, then starttime 8815632, then the rest. */
#define AFTER_COMM " S 1 4242 4242 0 -1 4194560 1203 0 0 0 3 1 0 0 20 0 1 0 8815632 " \
		   "10493952 1090 18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 0 17 3 0 0 0 0 0\n"

static void expect_start(const char *line, int ret, uint64_t want)
{
	uint64_t v = 0;

	assert_int_equal(proc_identity__parse_start_time(line, &v), ret);
	if (ret == 0)
		assert_int_equal(v, want);
}

static void test_parse_start_time(void **state)
{
	(void)state;
	expect_start("4242 (python3)" AFTER_COMM, 0, 8815632);
	/* A command may hold spaces and parentheses: count from the last ')'. */
	expect_start("4242 (a b) (c))" AFTER_COMM, 0, 8815632);
	expect_start("4242 (x 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22)"
		     AFTER_COMM, 0, 8815632);
	/* Without the trailing fields or newline, as a truncated read. */
	expect_start("1 (init) S 0 1 1 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 77", 0, 77);
	expect_start("1 (init) S 0 1 1 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 77\n", 0, 77);
}

static void test_parse_start_time_malformed(void **state)
{
	(void)state;
	expect_start(NULL, -EINVAL, 0);
	expect_start("", -EINVAL, 0);
	expect_start("4242 python3 S 1", -EINVAL, 0);              /* no ')' */
	expect_start("1 (init) S 0 1 1 0 -1", -EINVAL, 0);           /* too short */
	expect_start("1 (init) S 0 1 1 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 x7", -EINVAL, 0);
	expect_start("1 (init) S 0 1 1 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 -7", -EINVAL, 0);
	expect_start("1 (init) S 0 1 1 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 7z", -EINVAL, 0);
	expect_start("1 (init) S 0 1 1 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 "
		     "99999999999999999999999", -EINVAL, 0);
}

static void test_same_start(void **state)
{
	(void)state;
	assert_true(proc_identity__same_start(100, 0, 100, 0));
	/* The pid now names a process started later: reused. */
	assert_false(proc_identity__same_start(100, 0, 250, 0));
	/* Either read failed (the process is gone): never the same. */
	assert_false(proc_identity__same_start(100, 0, 100, -ESRCH));
	assert_false(proc_identity__same_start(100, -ESRCH, 100, 0));
	assert_false(proc_identity__same_start(0, -EINVAL, 0, -EINVAL));
}

static void test_live_self(void **state)
{
	struct proc_identity id;
	char err[256] = "";
	uint64_t t;

	(void)state;
	assert_int_equal(proc_identity__read_start_time(getpid(), &t), 0);
	assert_int_equal(proc_identity__open(getpid(), &id, err, sizeof(err)), 0);
	assert_int_equal(id.start_time, t);
	assert_int_equal(proc_identity__verify(&id, err, sizeof(err)), 0);
	assert_false(proc_identity__exited(&id));
	/* A start time that is not this process's: as if the pid were reused. */
	id.start_time = t + 1;
	assert_int_equal(proc_identity__verify(&id, err, sizeof(err)), -ESRCH);
	assert_non_null(strstr(err, "not the one found"));
	proc_identity__close(&id);
	assert_int_equal(id.pidfd, -1);
}

static void test_child_exits(void **state)
{
	struct proc_identity id;
	char err[256] = "";
	pid_t child;

	(void)state;
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		pause();
		_exit(0);
	}
	assert_int_equal(proc_identity__open(child, &id, err, sizeof(err)), 0);
	assert_int_equal(proc_identity__verify(&id, err, sizeof(err)), 0);
	kill(child, SIGKILL);
	assert_int_equal(waitpid(child, NULL, 0), child);
	assert_true(proc_identity__exited(&id));
	assert_int_equal(proc_identity__verify(&id, err, sizeof(err)), -ESRCH);
	assert_non_null(strstr(err, "exited"));
	proc_identity__close(&id);
	/* Reaped: no process to open (reuse within this instant is unlikely). */
	assert_int_equal(proc_identity__open(child, &id, err, sizeof(err)), -ESRCH);
	assert_non_null(strstr(err, "no process"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_start_time),
		cmocka_unit_test(test_parse_start_time_malformed),
		cmocka_unit_test(test_same_start),
		cmocka_unit_test(test_live_self),
		cmocka_unit_test(test_child_exits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
