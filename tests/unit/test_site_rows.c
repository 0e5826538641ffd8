// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* A finding's rows: one per (address, size) and one per call path, whatever
 * stack ids the capture gave (the repeated rows of a ttnn job whose device
 * closes reclaim the same buffer again and again, each time from another
 * captured stack). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "elf/stacks.h"
#include "model/site_rows.h"
#include "model/tracker.h"
#include "pipeline/site_stacks.h"
#include "test_event.h"

#define ADDRESS 0x3FFFF000
#define SIZE 24576

/* One device open/close cycle: the buffer is allocated at the same address
 * (from the stack given) and reclaimed by the close. */
static void cycle(struct tracker *t, int32_t stack_id)
{
	struct ttleak_event ev = test_event(TTLEAK_EV_BUFFER_ALLOC, stack_id);

	ev.buffer_type = TTLEAK_BUF_DRAM;
	ev.address = ADDRESS;
	ev.size = SIZE;
	ev.page_size = 2048;
	tracker__consume(t, &ev);
	ev = test_event(TTLEAK_EV_DEVICE_CLOSE, -1);
	tracker__consume(t, &ev);
	ev = test_event(TTLEAK_EV_ALLOCATOR_RESET, -1);
	tracker__consume(t, &ev);
}

static struct tracker_results *five_cycles(const int32_t *stack_ids)
{
	struct tracker *t = tracker__new(NULL);
	struct tracker_results *r;
	int i;

	for (i = 0; i < 5; i++)
		cycle(t, stack_ids[i]);
	r = tracker__results(t);
	tracker__free(t);
	return r;
}

/* The reclaimed buffers (the closes also show as growth). */
static const struct finding_group *reclaimed(const struct tracker_results *r)
{
	size_t i;

	for (i = 0; i < r->n_findings; i++)
		if (r->findings[i].kind == FINDING_RECLAIMED_AT_CLOSE)
			return &r->findings[i];
	fail_msg("no reclaimed_at_close finding");
	return NULL;
}

static void test_one_row_per_address_and_size(void **state)
{
	const int32_t ids[] = { 3, 9, 3, 12, 9 };
	struct tracker_results *r = five_cycles(ids);
	const struct finding_group *g = reclaimed(r);

	(void)state;
	assert_int_equal(g->count, 5);
	assert_int_equal(g->n_addresses, 1);
	assert_int_equal(g->addresses[0].address, ADDRESS);
	assert_int_equal(g->addresses[0].size, SIZE);
	assert_int_equal(g->addresses[0].count, 5);
	/* Three stack ids, none known to be the same path: three stack rows. */
	assert_int_equal(g->n_sites, 3);
	assert_int_equal(g->n_stacks, 3);
	assert_int_equal(g->stacks[0].stack_id, 3); /* 2 x 24576 bytes, before 9 by id */
	assert_int_equal(g->stacks[0].count, 2);
	assert_int_equal(g->stacks[0].bytes, 2 * SIZE);
	assert_int_equal(g->stacks[0].merged, 1);
	assert_int_equal(g->stacks[2].stack_id, 12);
	assert_int_equal(g->stacks[2].count, 1);
	tracker_results__free(r);
}

static int32_t all_the_same(void *ctx, uint32_t tgid, int32_t stack_id)
{
	(void)ctx;
	(void)tgid;
	return stack_id == 12 ? 12 : 3;
}

static void test_same_path_is_one_row(void **state)
{
	const int32_t ids[] = { 3, 9, 3, 12, 9 };
	struct tracker_results *r = five_cycles(ids);
	const struct finding_group *g = reclaimed(r);

	(void)state;
	site_rows__build(r, all_the_same, NULL);
	assert_int_equal(g->n_stacks, 2);
	assert_int_equal(g->stacks[0].stack_id, 3);
	assert_int_equal(g->stacks[0].count, 4);
	assert_int_equal(g->stacks[0].bytes, 4 * SIZE);
	assert_int_equal(g->stacks[0].merged, 2); /* ids 3 and 9 */
	assert_int_equal(g->n_sites, 2);
	assert_int_equal(g->sites[0].count, 4);
	assert_int_equal(g->n_addresses, 1);
	assert_int_equal(g->addresses[0].count, 5);
	tracker_results__free(r);
}

__attribute__((noinline)) int allocating_function_for_test(int x)
{
	return x * 5 + 3;
}

__attribute__((noinline)) static int two_calls_for_test(int x)
{
	return allocating_function_for_test(x) + allocating_function_for_test(x + 1);
}

/* Two captured stacks through the same functions (two call sites in one
 * caller) are one row; a stack of other functions stays apart. */
static void test_stacks_grouped_by_function(void **state)
{
	const int32_t ids[] = { 1, 2, 1, 2, 7 };
	uint64_t caller = (uint64_t)(uintptr_t)two_calls_for_test;
	uint64_t callee = (uint64_t)(uintptr_t)allocating_function_for_test;
	uint64_t one[] = { callee, caller + 1 }, other[] = { callee, caller + 2 };
	uint64_t apart[] = { callee, callee + 1 };
	struct stack_store *s = stack_store__new();
	struct tracker_results *r = five_cycles(ids);
	const struct finding_group *g = reclaimed(r);
	uint32_t pid = (uint32_t)getpid();

	(void)state;
	assert_int_equal(two_calls_for_test(1), 8 + 13);
	assert_int_equal(stack_store__add(s, pid, 1, one, 2), 0);
	assert_int_equal(stack_store__add(s, pid, 2, other, 2), 0);
	assert_int_equal(stack_store__add(s, pid, 7, apart, 2), 0);
	stack_store__symbolize(s);
	site_stacks__group(r, s);
	assert_int_equal(g->n_stacks, 2);
	assert_int_equal(g->stacks[0].stack_id, 1);
	assert_int_equal(g->stacks[0].count, 4);
	assert_int_equal(g->stacks[0].merged, 2);
	assert_int_equal(g->stacks[1].stack_id, 7);
	assert_int_equal(g->stacks[1].merged, 1);
	tracker_results__free(r);
	stack_store__free(s);
}

static void test_signature_names_what_is_known(void **state)
{
	struct stack_frame f[3] = {
		{ .ip = 0x1000, .module = "/lib/libtt_metal.so", .offset = 0x10, .symbol = "f" },
		{ .ip = 0x2000, .module = "/lib/libtt_metal.so", .offset = 0x2a },
		{ .ip = 0x3000 },
	};
	char *sig = site_stacks__signature(f, 3);

	(void)state;
	assert_string_equal(sig, "f\n/lib/libtt_metal.so+0x2a\n0x3000\n");
	free(sig);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_row_per_address_and_size),
		cmocka_unit_test(test_same_path_is_one_row),
		cmocka_unit_test(test_stacks_grouped_by_function),
		cmocka_unit_test(test_signature_names_what_is_known),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
