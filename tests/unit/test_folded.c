// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* --folded: the exact lines for stacks of this very process, and the
 * format's rules checked line by line as flamegraph.pl reads them. */
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
#include "model/tracker.h"
#include "pipeline/site_stacks.h"
#include "report/folded.h"
#include "test_event.h"


__attribute__((noinline)) int folded_allocator_for_test(int x)
{
	return x * 7 + 1;
}

__attribute__((noinline)) static int folded_caller_for_test(int x)
{
	return folded_allocator_for_test(x) + folded_allocator_for_test(x + 2);
}

static void feed(struct tracker *t, uint8_t kind, uint8_t type, uint64_t address,
		 uint64_t size, int32_t stack_id)
{
	struct ttleak_event ev = test_event(kind, stack_id);

	ev.buffer_type = type;
	ev.address = address;
	ev.size = size;
	tracker__consume(t, &ev);
}

/* Two DRAM buffers from two call sites of one caller (one stack row), one
 * L1 buffer without a captured stack; the DRAM ones reclaimed at close,
 * the L1 one still allocated at exit. */
static struct tracker_results *results(void)
{
	struct tracker *t = tracker__new(NULL);
	struct tracker_results *r;

	feed(t, TTLEAK_EV_BUFFER_ALLOC, TTLEAK_BUF_DRAM, 0x1000, 4096, 1);
	feed(t, TTLEAK_EV_BUFFER_ALLOC, TTLEAK_BUF_DRAM, 0x3000, 8192, 2);
	feed(t, TTLEAK_EV_ALLOCATOR_RESET, 0, 0, 0, -1);
	feed(t, TTLEAK_EV_BUFFER_ALLOC, TTLEAK_BUF_L1, 0x2000, 1024, -1);
	feed(t, TTLEAK_EV_PROCESS_EXIT, 0, 0, 0, -1);
	r = tracker__results(t);
	tracker__free(t);
	return r;
}

static char *folded(const struct run_info *run, struct tracker_results *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	assert_non_null(out);
	site_stacks__group(r, run->stacks);
	assert_int_equal(folded__write(out, run, r), 0);
	assert_int_equal(fclose(out), 0);
	return buf;
}

/* flamegraph.pl's reading: "STACK VALUE", frames split at ';', none empty,
 * VALUE a whole number; here also above zero, and each stack once. */
static void check_format(const char *text)
{
	char *copy = strdup(text), *save = NULL, *line;
	char seen[8][256];
	size_t n = 0, i;

	assert_non_null(copy);
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *space = strrchr(line, ' '), *end, *frame;
		unsigned long long value;

		assert_non_null(space);
		value = strtoull(space + 1, &end, 10);
		assert_true(*end == '\0' && end > space + 1 && value > 0);
		*space = '\0';
		assert_true(line[0] != '\0' && line[0] != ';' && space[-1] != ';');
		for (frame = line; (frame = strchr(frame, ';')); frame++)
			assert_true(frame[1] != ';');
		for (i = 0; i < n; i++)
			assert_string_not_equal(seen[i], line);
		assert_true(n < 8 && strlen(line) < sizeof(seen[0]));
		strcpy(seen[n++], line);
	}
	free(copy);
}

static void test_lines_per_stack(void **state)
{
	uint64_t caller = (uint64_t)(uintptr_t)folded_caller_for_test;
	uint64_t callee = (uint64_t)(uintptr_t)folded_allocator_for_test;
	uint64_t one[] = { callee, caller + 1 }, two[] = { callee, caller + 2 };
	struct stack_store *s = stack_store__new();
	struct run_info run = { .stacks = s };
	struct tracker_results *r = results();
	uint32_t pid = (uint32_t)getpid();
	char *text;

	(void)state;
	assert_int_equal(folded_caller_for_test(1), 8 + 22);
	assert_int_equal(stack_store__add(s, pid, 1, one, 2), 0);
	assert_int_equal(stack_store__add(s, pid, 2, two, 2), 0);
	stack_store__symbolize(s);
	text = folded(&run, r);
	assert_string_equal(text,
		"never_freed L1;(no stack) 1024\n"
		"reclaimed_at_close DRAM;folded_caller_for_test;folded_allocator_for_test 12288\n");
	check_format(text);
	free(text);
	tracker_results__free(r);
	stack_store__free(s);
}

static void test_without_stacks(void **state)
{
	struct run_info run = { .stacks = NULL };
	struct tracker_results *r = results();
	char *text = folded(&run, r);

	(void)state;
	assert_string_equal(text, "never_freed L1;(no stack) 1024\n"
				  "reclaimed_at_close DRAM;(no stack) 12288\n");
	check_format(text);
	free(text);
	tracker_results__free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines_per_stack),
		cmocka_unit_test(test_without_stacks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
