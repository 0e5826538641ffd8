/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Places every probe of a plan: reads each function's code from the library
 * file and moves its probe to the site attach/probe_site.h proves, with the
 * cookie that tells its BPF program where the arguments are there.
 */
#ifndef TTLEAK_PROBE_PLACEMENT_H
#define TTLEAK_PROBE_PLACEMENT_H

#include "attach/probes.h"

/* Probes whose code cannot be read stay at the entry. */
void probe_placement__apply(const char *lib_path, struct probe_plan *plan);

#endif /* TTLEAK_PROBE_PLACEMENT_H */
