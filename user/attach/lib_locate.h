/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Which libtt_metal.so to probe when no process maps it yet (run mode, and
 * --all when no process maps one at start: lib_set.h finds those that are).
 * Uprobes attach to a file, so the probes can be in place before any
 * process loads it.
 */
#ifndef TTLEAK_LIB_LOCATE_H
#define TTLEAK_LIB_LOCATE_H

#include <stddef.h>

struct lib_choice {
	char path[4096];
	char how[160];        /* "--lib", "TT_METAL_HOME", "import ttnn", "mapped by pid 42" */
};

/*
 * Run mode: --lib, else under $TT_METAL_HOME (build/lib, build_Release/lib),
 * else, when import_module is given, the library a python3 process maps after
 * 'import MODULE'. 0, or -ENOENT with a message saying what to give.
 */
int lib_locate__for_command(const char *lib, const char *import_module, struct lib_choice *out,
			    char *err, size_t errlen);


#endif /* TTLEAK_LIB_LOCATE_H */
