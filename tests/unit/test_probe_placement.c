// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The probe placement rule on hand-assembled x86-64 code. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "attach/probe_placement.h"

#define ENDBR64 0xf3, 0x0f, 0x1e, 0xfa
#define RET 0xc3

static void test_endbr64_then_push_moves(void **state)
{
	const uint8_t push_rbp[] = { ENDBR64, 0x55, 0x48, 0x89, 0xe5, 0x5d, RET };
	const uint8_t push_r15[] = { ENDBR64, 0x41, 0x57, 0x41, 0x5f, RET };
	const uint8_t tail_jmp[] = { ENDBR64, 0xe9, 0x00, 0x00, 0x00, 0x00 };

	(void)state;
	assert_int_equal(probe_placement__skip(push_rbp, sizeof(push_rbp)), 4);
	assert_int_equal(probe_placement__skip(push_r15, sizeof(push_r15)), 4);
	assert_int_equal(probe_placement__skip(tail_jmp, sizeof(tail_jmp)), 4);
}

static void test_single_stepped_next_instruction_stays(void **state)
{
	/* mov rdx, rsi after endbr64: single-stepped anyway, nothing to gain */
	const uint8_t mov[] = { ENDBR64, 0x48, 0x89, 0xf2, RET };

	(void)state;
	assert_int_equal(probe_placement__skip(mov, sizeof(mov)), 0);
}

static void test_branch_to_the_moved_probe_stays(void **state)
{
	/* push rbp; pop rbp; jmp back to the push (offset 4): the probe there
	 * would fire on every turn of the loop, not once per call. */
	const uint8_t loop[] = { ENDBR64, 0x55, 0x5d, 0xeb, 0xfc, RET }; /* jmp 8-4 */
	/* the same with a call to offset 4 */
	const uint8_t call[] = { ENDBR64, 0x55, 0x5d, 0xe8, 0xf9, 0xff, 0xff, 0xff, RET }; /* 11-7 */

	(void)state;
	assert_int_equal(probe_placement__skip(loop, sizeof(loop)), 0);
	assert_int_equal(probe_placement__skip(call, sizeof(call)), 0);
}

static void test_no_endbr64_or_undecodable_stays(void **state)
{
	const uint8_t plain[] = { 0x55, 0x48, 0x89, 0xe5, 0x5d, RET };
	const uint8_t short_code[] = { ENDBR64 };
	const uint8_t garbage[] = { ENDBR64, 0x55, 0x06 }; /* 0x06 is invalid in 64-bit mode */

	(void)state;
	assert_int_equal(probe_placement__skip(plain, sizeof(plain)), 0);
	assert_int_equal(probe_placement__skip(short_code, sizeof(short_code)), 0);
	assert_int_equal(probe_placement__skip(garbage, sizeof(garbage)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_endbr64_then_push_moves),
		cmocka_unit_test(test_single_stepped_next_instruction_stays),
		cmocka_unit_test(test_branch_to_the_moved_probe_stays),
		cmocka_unit_test(test_no_endbr64_or_undecodable_stays),
	};

	return cmocka_run_group_tests_name("probe_placement", tests, NULL, NULL);
}
