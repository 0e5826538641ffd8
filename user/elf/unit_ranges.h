/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A module's compile units by address, for source lines where libdw finds
 * none by itself. libdw finds a unit through .debug_aranges, which clang
 * does not emit by default: its DWARF 5 units give their addresses in
 * DW_AT_ranges only. Scanning every unit for every frame costs frames x
 * units range reads (a -g tt-metal has thousands of units); this table is
 * built once per module and searched by bisection.
 */
#ifndef TTLEAK_UNIT_RANGES_H
#define TTLEAK_UNIT_RANGES_H

#include <elfutils/libdwfl.h>

struct unit_ranges;

/* The table of mod's units; NULL when it has none with addresses (or out of
 * memory): then no source is found this way. */
struct unit_ranges *unit_ranges__build(Dwfl_Module *mod);

/* The source file and *line of addr (an address as libdwfl placed the
 * module) by the unit whose ranges hold it; NULL when none does or the unit
 * has no line for it. The string belongs to libdw. */
const char *unit_ranges__source(const struct unit_ranges *u, Dwarf_Addr addr, int *line);

void unit_ranges__free(struct unit_ranges *u);

#endif /* TTLEAK_UNIT_RANGES_H */
