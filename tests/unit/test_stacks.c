// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The stack store on this very process: its own functions (with DWARF, as
 * the unit tests are built with -g) and libc, mapped from /proc/self/maps
 * and symbolized from the files. */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <linux/types.h>
#include "elf/stacks.h"
#include "elf/unwind.h"
#include "ttleak_args.h"
#include "ttleak_event.h"

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

/* Where this thread's stack mapping ends above sp. */
static uint64_t stack_end(uint64_t sp)
{
	unsigned long long lo, hi;
	char line[512];
	uint64_t end = 0;
	FILE *f = fopen("/proc/self/maps", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "%llx-%llx", &lo, &hi) == 2 && sp >= lo && sp < hi)
			end = hi;
	if (f)
		fclose(f);
	return end;
}

/* The stack as the BPF side copies it: bytes from sp up, unchecked (they
 * hold other frames' locals and, under AddressSanitizer, their redzones). */
__attribute__((no_sanitize_address)) static void copy_stack(uint8_t *dst, uint64_t sp,
							   size_t n)
{
	const volatile uint8_t *src = (const volatile uint8_t *)(uintptr_t)sp;
	size_t i;

	for (i = 0; i < n; i++)
		dst[i] = src[i];
}

/* Registers at an instruction of this function, as a uprobe sees them at
 * its own: the ones the CFI may need (callee-saved, sp, ip). */
__attribute__((noinline)) static size_t capture_here(struct ttleak_ustack *u, size_t max)
{
	__u64 *r = u->regs;
	size_t n;

	__asm__ volatile("mov %%rbx, 24(%0)\n\t"
			 "mov %%rbp, 48(%0)\n\t"
			 "mov %%rsp, 56(%0)\n\t"
			 "mov %%r12, 96(%0)\n\t"
			 "mov %%r13, 104(%0)\n\t"
			 "mov %%r14, 112(%0)\n\t"
			 "mov %%r15, 120(%0)\n\t"
			 "lea 0(%%rip), %%rax\n\t"
			 "mov %%rax, 128(%0)\n\t"
			 : : "r"(r) : "rax", "memory");
	n = stack_end(r[TTLEAK_UREG_SP]) - r[TTLEAK_UREG_SP];
	n = n < max ? n : max;
	copy_stack(u->data, r[TTLEAK_UREG_SP], n);
	u->size = (uint32_t)n;
	return sizeof(*u) + n;
}

__attribute__((noinline)) static size_t caller_for_unwind(struct ttleak_ustack *u, size_t max)
{
	size_t size = capture_here(u, max);

	__asm__ volatile("" ::: "memory"); /* no tail call: keep this frame */
	return size;
}

/* The function, or a clone of it the compiler made (name.constprop.0). */
static bool is_function(const struct stack_frame *f, const char *name)
{
	size_t len = strlen(name);

	return f->symbol && strncmp(f->symbol, name, len) == 0 &&
	       (f->symbol[len] == '\0' || f->symbol[len] == '.');
}

static bool has_symbol(const struct stack_frame *f, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (is_function(&f[i], name))
			return true;
	return false;
}

/* A copy of this thread's own registers and stack unwinds with the CFI to
 * main; the same stack again gets the same id; a copy too short is cut and
 * counted, with the entry frames still there. */
static void test_unwinds_own_stack(void **state)
{
	struct stack_store *s = stack_store__new();
	struct ttleak_ustack *u = calloc(1, sizeof(*u) + 65536);
	const struct stack_frame *f;
	struct stack_stats st;
	int32_t id, again, short_id;
	size_t size, n;

	(void)state;
	u->tgid = u->tid = (uint32_t)getpid();
	size = caller_for_unwind(u, 65536);
	assert_int_equal(stack_store__add_sample(s, u, size, &id), 0);
	assert_int_equal(stack_store__add_sample(s, u, size, &again), 0);
	assert_int_equal(id, again);
	assert_int_equal(stack_store__add_sample(s, u, sizeof(*u) + 16, &short_id), 0);
	assert_int_not_equal(short_id, id);
	stack_store__symbolize(s);
	f = stack_store__frames(s, (uint32_t)getpid(), id, &n);
	assert_non_null(f);
	assert_true(is_function(&f[0], "capture_here"));
	assert_true(is_function(&f[1], "caller_for_unwind"));
	assert_true(has_symbol(f, n, "test_unwinds_own_stack"));
	assert_true(has_symbol(f, n, "main"));
	f = stack_store__frames(s, (uint32_t)getpid(), short_id, &n);
	assert_true(n >= 1);
	assert_true(is_function(&f[0], "capture_here"));
	stack_store__stats(s, &st);
	assert_int_equal(st.captured, 2);
	assert_int_equal(st.unwind_slice_ended, 1);
	assert_int_equal(st.unwind_failed, 0);
	free(u);
	stack_store__free(s);
}

/* Without CFI the caller comes from the return address, found where the
 * probe's cookie said: the top of the stack at the entry, higher after pushes. */
static void test_entry_frames_follow_the_return_slot(void **state)
{
	struct ttleak_ustack *u = calloc(1, sizeof(*u) + 24);
	const uint64_t stack[3] = { 0xa0, 0xb0, 0xc0 };
	uint64_t ips[4];

	(void)state;
	u->regs[TTLEAK_UREG_IP] = 0x1000;
	memcpy(u->data, stack, sizeof(stack));
	assert_int_equal(unwind__entry_frames(u, sizeof(*u) + 24, ips, 4), 2);
	assert_int_equal(ips[0], 0x1000);
	assert_int_equal(ips[1], 0xa0);
	u->ret_slot = 2; /* two pushes before the probe */
	assert_int_equal(unwind__entry_frames(u, sizeof(*u) + 24, ips, 4), 2);
	assert_int_equal(ips[1], 0xc0);
	/* The slot past the copy, or unknown: the function alone, nothing guessed. */
	assert_int_equal(unwind__entry_frames(u, sizeof(*u) + 16, ips, 4), 1);
	u->ret_slot = TTLEAK_RET_SLOT_UNKNOWN;
	assert_int_equal(unwind__entry_frames(u, sizeof(*u) + 24, ips, 4), 1);
	free(u);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_own_functions_are_symbolized),
		cmocka_unit_test(test_library_and_unmapped_frames),
		cmocka_unit_test(test_unwinds_own_stack),
		cmocka_unit_test(test_entry_frames_follow_the_return_slot),
	};

	return cmocka_run_group_tests_name("stacks", tests, NULL, NULL);
}
