// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Probe sites: on compiled fixtures (tests/unit/fixtures/placement_lib.cpp,
 * built by clang++ -O3, g++ -O2 and g++ -O2 -fcf-protection), through the
 * tracer's own plan, and on hand-assembled code for the cases compilers make
 * rarely (stack slots, branches back into the prologue, undecodable code).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "ttleak_args.h"
#include "attach/probe_site.h"
#include "attach/probes.h"
#include "fixture_dir.h"

#define ENDBR64 0xf3, 0x0f, 0x1e, 0xfa
#define RET 0xc3
#define REG(n) (TTLEAK_ARG_REG | (n))
#define RAX 0
#define RBX 3
#define RSI 6
#define RDI 7

static char fixture_dir[4096];

static void plan_of(const char *build, struct probe_plan *plan)
{
	char path[4200];

	snprintf(path, sizeof(path), "%s/libplace-%s.so", fixture_dir, build);
	assert_int_equal(probes__resolve(path, plan), 0);
}

static const struct probe_target *only(const struct probe_plan *plan, enum probe_id id)
{
	assert_int_equal(plan->n_targets[id], 1);
	return &plan->targets[id][0];
}

/* allocate_circular_buffers(device) forwards lay_out(device, this): both
 * arguments change registers (mov %rdi,%rax; mov %rsi,%rdi; mov %rax,%rsi),
 * then a jmp (emulated) leaves. The probe goes on the jmp and reads `this`
 * from rax (in rax and rsi there: the lowest register is taken) and the
 * device from rdi. */
static void check_wrapper(const char *build, uint32_t entry_bytes)
{
	struct probe_plan plan;
	const struct probe_target *t;

	plan_of(build, &plan);
	t = only(&plan, PROBE_CB_LAYOUT);
	assert_int_equal(t->moved, entry_bytes + 9); /* 3 movs of 3 bytes */
	assert_true(strncmp(t->site_insn, "jmp ", 4) == 0);
	assert_int_equal(TTLEAK_ARG_BYTE(t->arg_cookie, 0), REG(RAX));
	assert_int_equal(TTLEAK_ARG_BYTE(t->arg_cookie, 1), REG(RDI));
}

static void test_wrapper_moves_to_tail_jmp(void **state)
{
	(void)state;
	check_wrapper("clang-O3", 0);
	check_wrapper("gcc-O2", 0);
	check_wrapper("gcc-O2-cf", 4);
}

/* Functions that start with push: already emulated, the entry stays; with
 * -fcf-protection the push after endbr64 takes the probe, arguments intact. */
static void test_push_first_stays_or_steps_over_endbr64(void **state)
{
	static const enum probe_id ids[] = { PROBE_BUFFER_ALLOC, PROBE_CB_ALLOC, PROBE_CB_DEALLOC,
					     PROBE_BUFFER_FREE };
	struct probe_plan plain, cf;
	size_t i;

	(void)state;
	plan_of("gcc-O2", &plain);
	plan_of("gcc-O2-cf", &cf);
	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		assert_int_equal(only(&plain, ids[i])->moved, 0);
		assert_int_equal(only(&plain, ids[i])->arg_cookie, 0);
		assert_true(strncmp(only(&plain, ids[i])->site_insn, "push ", 5) == 0);
		assert_int_equal(only(&cf, ids[i])->moved, 4);
		assert_int_equal(only(&cf, ids[i])->arg_cookie, 0);
		assert_true(strncmp(only(&cf, ids[i])->site_insn, "push ", 5) == 0);
	}
}

static void test_describe(void **state)
{
	char buf[128];

	(void)state;
	probe_site__describe((uint64_t)REG(RSI) | (uint64_t)REG(RDI) << 8, 3, buf, sizeof(buf));
	assert_string_equal(buf, "rdi=%rsi rsi=%rdi");
	probe_site__describe((uint64_t)(TTLEAK_ARG_STACK | 2) << 40, 1u << 5 | 1u << 2, buf,
			     sizeof(buf));
	assert_string_equal(buf, "rdx=%rdx r9=16(%rsp)");
}

static void find(const uint8_t *code, size_t len, uint8_t args, struct probe_site *s)
{
	probe_site__find(code, len, 0x1000, args, s);
}

/* Arguments copied to other registers, then their own cleared: read from
 * the copies. One stored to the stack and its copy cleared: read from the
 * slot, counted from rsp at the site (before the site's push runs). */
static void test_register_and_stack_tracking(void **state)
{
	const uint8_t code[] = { 0x48, 0x89, 0xfb,   /* mov %rdi,%rbx */
				 0x48, 0x89, 0xf0,   /* mov %rsi,%rax */
				 0x31, 0xf6,         /* xor %esi,%esi: rsi gone */
				 0x31, 0xff,         /* xor %edi,%edi: rdi gone */
				 0x50,               /* push %rax: emulated, site */
				 0x5b, RET };
	const uint8_t pushed[] = { 0x48, 0x89, 0xf0,   /* mov %rsi,%rax */
				   0x31, 0xf6,         /* xor %esi,%esi */
				   0x48, 0x83, 0xec, 0x10, /* sub $0x10,%rsp */
				   0x48, 0x89, 0x44, 0x24, 0x08, /* mov %rax,8(%rsp) */
				   0x31, 0xc0,         /* xor %eax,%eax: now only the slot */
				   0x55,               /* push %rbp: site, slot at 8(%rsp) */
				   0x5d, RET };
	struct probe_site s;

	(void)state;
	find(code, sizeof(code), 3, &s);
	assert_int_equal(s.offset, 10);
	assert_string_equal(s.insn, "push rax");
	assert_int_equal(TTLEAK_ARG_BYTE(s.cookie, 0), REG(RBX));
	assert_int_equal(TTLEAK_ARG_BYTE(s.cookie, 1), REG(RAX));
	assert_int_equal(TTLEAK_RET_SLOT(s.cookie), 0); /* nothing pushed yet */
	find(pushed, sizeof(pushed), 2, &s);
	assert_int_equal(s.offset, 16);
	assert_int_equal(TTLEAK_ARG_BYTE(s.cookie, 1), TTLEAK_ARG_STACK | 1);
	/* 16 bytes below the entry's rsp: the return address is two slots up. */
	assert_int_equal(TTLEAK_RET_SLOT(s.cookie), 2);
}

/* An argument the BPF program reads is overwritten before any emulated
 * instruction: the entry stays, cookie 0. One it does not read may go. */
static void test_lost_argument_keeps_entry(void **state)
{
	const uint8_t code[] = { 0x31, 0xf6,      /* xor %esi,%esi */
				 0x55, 0x5d, RET };
	struct probe_site s;

	(void)state;
	find(code, sizeof(code), 1u << 1, &s);
	assert_int_equal(s.offset, 0);
	assert_int_equal(s.cookie, 0);
	find(code, sizeof(code), 1u << 0, &s);
	assert_int_equal(s.offset, 2);
	assert_int_equal(s.cookie, 0);
}

/* jcc and call are emulated and end the straight line: a probe on them is
 * reached by every call; nothing after them is. */
static void test_jcc_is_last_site(void **state)
{
	const uint8_t code[] = { 0x48, 0x8b, 0x07,   /* mov (%rdi),%rax */
				 0x48, 0x3b, 0x47, 0x08, /* cmp 8(%rdi),%rax */
				 0x74, 0x01,         /* je ret */
				 0x55,               /* push %rbp: not reached by every call */
				 RET };
	const uint8_t after_jcc[] = { 0x48, 0x85, 0xff, /* test %rdi,%rdi */
				      0x75, 0x02,       /* jne to the ret */
				      0x31, 0xc0,       /* not emulated, and past the jcc */
				      RET };
	struct probe_site s;

	(void)state;
	find(code, sizeof(code), 3, &s);
	assert_int_equal(s.offset, 7);
	assert_true(strncmp(s.insn, "je ", 3) == 0);
	assert_int_equal(s.cookie, 0);
	find(after_jcc, sizeof(after_jcc), 1, &s);
	assert_int_equal(s.offset, 3);
}

static void test_branch_into_prologue_keeps_entry(void **state)
{
	/* mov %rdi,%rax; push %rbp; pop %rbp; jmp back to the push (offset 3):
	 * the probe there would fire on every turn, not once per call. */
	const uint8_t loop[] = { 0x48, 0x89, 0xf8, 0x55, 0x5d, 0xeb, 0xfc, RET };
	/* a jmp through a register may be a jump table into anywhere */
	const uint8_t table[] = { 0x48, 0x89, 0xf8, 0x55, 0x5d, 0xff, 0xe0, RET };
	/* endbr64 then push with a loop to the push: the old rule, kept */
	const uint8_t cf_loop[] = { ENDBR64, 0x55, 0x5d, 0xeb, 0xfc, RET };
	/* -fcf-protection: a tracked jmp *%rax may only land on an endbr64 (none
	 * but the entry's here), a notrack one anywhere */
	const uint8_t cf_tracked[] = { ENDBR64, 0x55, 0x5d, 0xff, 0xe0, RET };
	const uint8_t cf_notrack[] = { ENDBR64, 0x55, 0x5d, 0x3e, 0xff, 0xe0, RET };
	const uint8_t cf_second_endbr[] = { ENDBR64, 0x48, 0x89, 0xf8, ENDBR64, 0x55, 0xff, 0xe0, RET };
	struct probe_site s;

	(void)state;
	find(loop, sizeof(loop), 1, &s);
	assert_int_equal(s.offset, 0);
	find(table, sizeof(table), 1, &s);
	assert_int_equal(s.offset, 0);
	find(cf_loop, sizeof(cf_loop), 1, &s);
	assert_int_equal(s.offset, 0);
	find(cf_tracked, sizeof(cf_tracked), 1, &s);
	assert_int_equal(s.offset, 4);
	find(cf_notrack, sizeof(cf_notrack), 1, &s);
	assert_int_equal(s.offset, 0);
	find(cf_second_endbr, sizeof(cf_second_endbr), 1, &s);
	assert_int_equal(s.offset, 0);
}

static void test_undecodable_or_rsp_unknown_keeps_entry(void **state)
{
	const uint8_t garbage[] = { ENDBR64, 0x55, 0x06 }; /* 0x06 is invalid in 64-bit mode */
	const uint8_t short_code[] = { ENDBR64 };
	/* mov %rdi,%rsp: rsp no longer known, slots cannot be placed */
	const uint8_t rsp_moved[] = { 0x48, 0x89, 0xfc, 0x55, RET };
	struct probe_site s;

	(void)state;
	find(garbage, sizeof(garbage), 1, &s);
	assert_int_equal(s.offset, 0);
	find(short_code, sizeof(short_code), 1, &s);
	assert_int_equal(s.offset, 0);
	find(rsp_moved, sizeof(rsp_moved), 1, &s);
	assert_int_equal(s.offset, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wrapper_moves_to_tail_jmp),
		cmocka_unit_test(test_push_first_stays_or_steps_over_endbr64),
		cmocka_unit_test(test_describe),
		cmocka_unit_test(test_register_and_stack_tracking),
		cmocka_unit_test(test_lost_argument_keeps_entry),
		cmocka_unit_test(test_jcc_is_last_site),
		cmocka_unit_test(test_branch_into_prologue_keeps_entry),
		cmocka_unit_test(test_undecodable_or_rsp_unknown_keeps_entry),
	};

	fixture_dir_find(fixture_dir, sizeof(fixture_dir));
	return cmocka_run_group_tests_name("probe_placement", tests, NULL, NULL);
}
