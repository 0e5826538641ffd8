// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdlib.h>
#include "elf/demangle.h"

char *__cxa_demangle(const char *mangled, char *buf, size_t *len, int *status);

char *demangle__into(const char *name, char **buf, size_t *len)
{
	int status = 0;
	char *d = __cxa_demangle(name, *buf, len, &status);

	if (!d || status)
		return NULL;
	*buf = d; /* it may have been reallocated */
	return d;
}

char *demangle__dup(const char *name)
{
	int status = 0;
	char *d = __cxa_demangle(name, NULL, NULL, &status);

	if (d && status) {
		free(d);
		return NULL;
	}
	return d;
}
