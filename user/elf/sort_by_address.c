// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "elf/sort_by_address.h"

static uint64_t key_of(const unsigned char *record, size_t key_offset)
{
	uint64_t k;

	memcpy(&k, record + key_offset, sizeof(k));
	return k;
}

/* One stable counting pass on byte `shift / 8` of the keys: from src to dst. */
static void pass(const unsigned char *src, unsigned char *dst, size_t n, size_t size,
		 size_t key_offset, unsigned shift)
{
	size_t start[256] = { 0 }, i, sum = 0;

	for (i = 0; i < n; i++)
		start[(key_of(src + i * size, key_offset) >> shift) & 0xff]++;
	for (i = 0; i < 256; i++) {
		size_t c = start[i];

		start[i] = sum;
		sum += c;
	}
	for (i = 0; i < n; i++) {
		const unsigned char *r = src + i * size;

		memcpy(dst + start[(key_of(r, key_offset) >> shift) & 0xff]++ * size, r, size);
	}
}

int sort_by_address(void *base, size_t n, size_t size, size_t key_offset)
{
	uint64_t all_or = 0, all_and = UINT64_MAX;
	unsigned char *a = base, *b, *scratch;
	unsigned shift;
	size_t i;

	if (n < 2)
		return 0;
	for (i = 0; i < n; i++) {
		uint64_t k = key_of(a + i * size, key_offset);

		all_or |= k;
		all_and &= k;
	}
	scratch = malloc(n * size);
	if (!scratch)
		return -ENOMEM;
	b = scratch;
	for (shift = 0; shift < 64; shift += 8) {
		unsigned char *t;

		/* A byte every key has alike orders nothing. */
		if (!(((all_or ^ all_and) >> shift) & 0xff))
			continue;
		pass(a, b, n, size, key_offset, shift);
		t = a;
		a = b;
		b = t;
	}
	if (a != base)
		memcpy(base, a, n * size);
	free(scratch);
	return 0;
}
