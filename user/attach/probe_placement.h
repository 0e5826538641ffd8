/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Where in a function to place its uprobe. The kernel emulates a breakpoint
 * on push, nop and jmp (about 0.9 us per hit measured here) but single-steps
 * most other instructions, endbr64 among them (about 4.2 us). Builds with
 * control-flow protection (-fcf-protection, Ubuntu's default) start every
 * function with endbr64. endbr64 changes no register, flag, memory or stack,
 * so a probe on the instruction after it sees exactly the entry state; it is
 * moved there when that instruction is emulated and no direct branch in the
 * function lands on it (the probe would then fire twice per call). Decoding
 * uses capstone.
 */
#ifndef TTLEAK_PROBE_PLACEMENT_H
#define TTLEAK_PROBE_PLACEMENT_H

#include <stddef.h>
#include <stdint.h>
#include "attach/probes.h"

/* Bytes to skip at the start of a function's code (0 or 4). */
size_t probe_placement__skip(const uint8_t *code, size_t len);

/* Move the plan's probes where it is safe; reads the functions from the file.
 * Probes whose code cannot be read stay at the entry. */
void probe_placement__apply(const char *lib_path, struct probe_plan *plan);

#endif /* TTLEAK_PROBE_PLACEMENT_H */
