// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* libFuzzer harness: the --layout file parser (user/layout.c). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "elf/layout.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct layout l;
	char err[512];

	memset(&l, 0, sizeof(l));
	layout__parse_text((const char *)data, size, "fuzz", &l, err, sizeof(err));
	/* The result must stay a valid string whatever the input. */
	if (memchr(l.name, '\0', sizeof(l.name)) == NULL)
		__builtin_trap();
	return 0;
}
