/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* A fresh directory under /tmp for a test's files, made in a cmocka setup
 * and removed with all in it by the teardown. */
#ifndef TTLEAK_TEST_TMP_DIR_H
#define TTLEAK_TEST_TMP_DIR_H

#include <stdio.h>
#include <stdlib.h>

/* Make /tmp/ttleak-NAME-XXXXXX (mkdtemp) and write its path to dir.
 * 0, or -1 when it could not be made. */
static inline int tmp_dir_make(char *dir, size_t size, const char *name)
{
	snprintf(dir, size, "/tmp/ttleak-%s-XXXXXX", name);
	return mkdtemp(dir) ? 0 : -1;
}

/* A teardown's work: remove dir and all in it, then free the fixture that
 * holds it. 0, or -1 (the fixture kept) when dir could not be removed. */
static inline int tmp_dir_teardown(void *fixture, const char *dir)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		return -1;
	free(fixture);
	return 0;
}

#endif /* TTLEAK_TEST_TMP_DIR_H */
