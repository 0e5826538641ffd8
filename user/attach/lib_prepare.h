/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Make one runtime library file ready to probe: resolve the runtime's
 * functions in it, and choose the struct layout its events are read with.
 * Used for the one library of -p and run mode and for each library file of
 * --all. Messages go to stderr and say which file and what to do; the
 * return value is an exit status (0, EXIT_USAGE, EXIT_UNCERTIFIED).
 */
#ifndef TTLEAK_LIB_PREPARE_H
#define TTLEAK_LIB_PREPARE_H

#include "elf/layout.h"
#include "attach/probes.h"
#include "attach/process_vtables.h"

/* open_path: the file as the tracer opens it ("/proc/self/fd/N");
 * shown: as messages name it (the path the process maps). */
int lib_prepare__probes(const char *open_path, const char *shown, struct probe_plan *plan);

int lib_prepare__layout(const char *open_path, const char *shown, const char *layout_file,
			struct layout *layout, struct runtime_vtables *vtables);

#endif /* TTLEAK_LIB_PREPARE_H */
