// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* libFuzzer harness: the /proc/PID/maps parser (user/proc_maps.c): one line
 * as a string, and the whole input as a maps stream. */
#define _GNU_SOURCE
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "attach/proc_maps.h"

static struct proc_mapping m;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *line = malloc(size + 1);
	FILE *f;

	if (!line)
		return 0;
	memcpy(line, data, size);
	line[size] = '\0';
	if (proc_maps__parse_line(line, &m) == 0) {
		if (m.end < m.start || !memchr(m.path, '\0', sizeof(m.path)))
			__builtin_trap();
		proc_maps__path_matches(m.path, "libtt_metal");
	}
	free(line);
	f = size ? fmemopen((void *)data, size, "r") : NULL;
	if (f) {
		proc_maps__find_in_stream(f, "libtt_metal", &m);
		rewind(f);
		proc_maps__find_inode_in_stream(f, 0xfe, 1, 2097350, &m);
		fclose(f);
	}
	return 0;
}
