// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The stack store on this very process: its own functions (with DWARF, as
 * the unit tests are built with -g) and libc, mapped from /proc/self/maps
 * and symbolized from the files. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "elf/stacks.h"

__attribute__((noinline)) int probed_function_for_test(int x)
{
	return x * 3 + 1;
}

__attribute__((noinline)) static int caller_for_test(int x)
{
	return probed_function_for_test(x) + 2;
}

static void test_own_functions_are_symbolized(void **state)
{
	struct stack_store *s = stack_store__new();
	/* Frame 0 is an entry address, frame 1 a return address (one past a call). */
	uint64_t ips[] = { (uint64_t)(uintptr_t)probed_function_for_test,
			   (uint64_t)(uintptr_t)caller_for_test + 1, 0 };
	const struct stack_frame *f;
	struct stack_stats st;
	size_t n;

	(void)state;
	assert_int_equal(caller_for_test(1), 6);
	assert_false(stack_store__known(s, (uint32_t)getpid(), 7));
	assert_int_equal(stack_store__add(s, (uint32_t)getpid(), 7, ips, 3), 0);
	assert_true(stack_store__known(s, (uint32_t)getpid(), 7));
	stack_store__symbolize(s);
	f = stack_store__frames(s, (uint32_t)getpid(), 7, &n);
	assert_int_equal(n, 2);
	assert_non_null(f[0].module);
	assert_non_null(strstr(f[0].module, "test_stacks"));
	assert_string_equal(f[0].symbol, "probed_function_for_test");
	assert_non_null(f[0].source);
	assert_non_null(strstr(f[0].source, "test_stacks.c"));
	assert_true(f[0].line > 0);
	assert_string_equal(f[1].symbol, "caller_for_test");
	stack_store__stats(s, &st);
	assert_int_equal(st.captured, 1);
	assert_int_equal(st.unmapped, 0);
	assert_int_equal(st.truncated, 1); /* it stops short of a thread entry */
	stack_store__free(s);
}

static void test_library_and_unmapped_frames(void **state)
{
	struct stack_store *s = stack_store__new();
	/* A function of a shared library (libc, or the sanitizer runtime that
	 * intercepts it in sanitizer builds). */
	uint64_t ips[] = { (uint64_t)(uintptr_t)fopen, 0x10 };
	const struct stack_frame *f;
	struct stack_stats st;
	size_t n;

	(void)state;
	assert_int_equal(stack_store__add(s, (uint32_t)getpid(), 1, ips, 2), 0);
	assert_int_equal(stack_store__add(s, (uint32_t)getpid(), 2, NULL, 0), 0); /* read failed */
	stack_store__symbolize(s);
	f = stack_store__frames(s, (uint32_t)getpid(), 1, &n);
	assert_int_equal(n, 1);
	assert_non_null(strstr(f[0].module, ".so"));
	assert_non_null(f[0].symbol);
	(void)f; /* 0x10 is no return address: the stack ends before it */
	stack_store__stats(s, &st);
	assert_int_equal(st.unmapped, 1);
	assert_int_equal(st.read_failures, 1);
	assert_null(stack_store__frames(s, (uint32_t)getpid(), 3, &n));
	assert_int_equal(n, 0);
	stack_store__free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_own_functions_are_symbolized),
		cmocka_unit_test(test_library_and_unmapped_frames),
	};

	return cmocka_run_group_tests_name("stacks", tests, NULL, NULL);
}
