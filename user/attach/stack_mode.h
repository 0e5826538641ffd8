/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * --stacks=auto: walk frame pointers where the build keeps them, unwind
 * with the CFI where it does not. The probe: whether each probed allocation
 * function of the library starts by setting up a frame pointer.
 */
#ifndef TTLEAK_STACK_MODE_H
#define TTLEAK_STACK_MODE_H

#include <stdbool.h>
#include <linux/types.h>
#include "cli.h"
#include "ttleak_event.h"
#include "attach/probes.h"

/* Whether every resolved allocation probe's function (buffer and CB
 * allocate) begins with push %rbp; mov %rsp,%rbp (after an endbr64). */
bool stack_mode__frame_pointers(const char *lib_path, const struct probe_plan *plan);

/* The capture mode for --stacks[=MODE]; lib_path and plan may be NULL
 * (--all: libraries are found as the run goes), and auto is then dwarf,
 * which needs no frame pointers. */
enum ttleak_stack_mode stack_mode__choose(enum cli_stacks want, const char *lib_path,
					  const struct probe_plan *plan);

const char *stack_mode__name(enum ttleak_stack_mode mode);

#endif /* TTLEAK_STACK_MODE_H */
