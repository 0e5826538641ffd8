// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit tests for user/elf/sort_by_address.c: the radix sort of symbols by
 * address, against qsort on the same records. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "elf/sort_by_address.h"

/* Shaped like a symbol: the key is not the first field. */
struct record {
	uint32_t seq;
	uint64_t addr;
	char pad[12];
};

static int by_addr_then_seq(const void *a, const void *b)
{
	const struct record *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static uint64_t next_random(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* n records with keys base + (random & mask): equal keys come often when
 * mask is small, and only the low bytes differ when base is large. */
static void check_sorted_like_qsort(size_t n, uint64_t base, uint64_t mask)
{
	struct record *r = calloc(n ? n : 1, sizeof(*r)), *want = calloc(n ? n : 1, sizeof(*r));
	uint64_t seed = 0x9e3779b97f4a7c15ULL ^ n ^ mask;
	size_t i;

	assert_non_null(r);
	assert_non_null(want);
	for (i = 0; i < n; i++)
		r[i] = (struct record){ .seq = (uint32_t)i, .addr = base + (next_random(&seed) & mask) };
	memcpy(want, r, n * sizeof(*r));
	/* seq breaks ties: qsort then gives the order a stable sort must. */
	qsort(want, n, sizeof(*want), by_addr_then_seq);
	assert_int_equal(sort_by_address(r, n, sizeof(*r), offsetof(struct record, addr)), 0);
	assert_memory_equal(r, want, n * sizeof(*r));
	free(r);
	free(want);
}

static void test_random_keys(void **state)
{
	(void)state;
	check_sorted_like_qsort(100000, 0, UINT64_MAX);
}

static void test_addresses_of_one_file(void **state)
{
	(void)state;
	check_sorted_like_qsort(50000, 0x7f0000000000ULL, 0xffffff);
}

static void test_equal_keys_keep_their_order(void **state)
{
	(void)state;
	check_sorted_like_qsort(5000, 0x400000, 0x7);
}

static void test_tiny_inputs(void **state)
{
	(void)state;
	check_sorted_like_qsort(0, 0, UINT64_MAX);
	check_sorted_like_qsort(1, 0, UINT64_MAX);
	check_sorted_like_qsort(2, 0, UINT64_MAX);
	/* Every key alike: no pass runs at all. */
	check_sorted_like_qsort(300, 42, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_keys),
		cmocka_unit_test(test_addresses_of_one_file),
		cmocka_unit_test(test_equal_keys_keep_their_order),
		cmocka_unit_test(test_tiny_inputs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
