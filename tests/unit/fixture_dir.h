/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Where the fixture libraries of tests/unit/fixtures.mk are: next to the
 * test binary (from /proc/self/exe), or TTLEAK_FIXTURE_DIR. */
#ifndef TTLEAK_TEST_FIXTURE_DIR_H
#define TTLEAK_TEST_FIXTURE_DIR_H

#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static inline void fixture_dir_find(char *out, size_t size)
{
	const char *env = getenv("TTLEAK_FIXTURE_DIR");
	char exe[PATH_MAX];
	ssize_t n;

	if (env) {
		snprintf(out, size, "%s", env);
		return;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n < 0) {
		perror("readlink /proc/self/exe");
		exit(1);
	}
	exe[n] = '\0';
	snprintf(out, size, "%s/fixtures", dirname(exe));
}

#endif /* TTLEAK_TEST_FIXTURE_DIR_H */
