// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "elf/sort_by_address.h"
#include "elf/unit_ranges.h"

/* One address range of one unit. */
struct unit_range {
	uint64_t lo, hi;        /* [lo, hi) in the DWARF's own addresses */
	Dwarf_Die cu;
};

struct unit_ranges {
	struct unit_range *v;
	uint64_t *max_hi;       /* the largest hi of v[0..i]: where a search stops */
	size_t n, cap;
	Dwarf_Addr bias;        /* libdwfl's placement of the module */
};

static int push(struct unit_ranges *u, uint64_t lo, uint64_t hi, const Dwarf_Die *cu)
{
	if (u->n == u->cap) {
		size_t cap = u->cap ? 2 * u->cap : 256;
		struct unit_range *v = realloc(u->v, cap * sizeof(*v));

		if (!v)
			return -1;
		u->v = v;
		u->cap = cap;
	}
	u->v[u->n++] = (struct unit_range){ lo, hi, *cu };
	return 0;
}

/* Every range of one unit: DW_AT_low_pc/high_pc or DW_AT_ranges alike. */
static int add_unit(struct unit_ranges *u, Dwarf_Die *cu)
{
	Dwarf_Addr base, lo, hi;
	ptrdiff_t off = 0;

	while ((off = dwarf_ranges(cu, off, &base, &lo, &hi)) > 0)
		if (hi > lo && push(u, lo, hi, cu))
			return -1;
	return 0;
}

static int index_units(struct unit_ranges *u)
{
	size_t i;

	if (sort_by_address(u->v, u->n, sizeof(*u->v), offsetof(struct unit_range, lo)))
		return -1;
	u->max_hi = malloc(u->n * sizeof(*u->max_hi));
	if (!u->max_hi)
		return -1;
	for (i = 0; i < u->n; i++)
		u->max_hi[i] = i && u->max_hi[i - 1] > u->v[i].hi ? u->max_hi[i - 1] : u->v[i].hi;
	return 0;
}

struct unit_ranges *unit_ranges__build(Dwfl_Module *mod)
{
	struct unit_ranges *u = calloc(1, sizeof(*u));
	Dwarf_Die *cu = NULL;

	if (!u)
		return NULL;
	while ((cu = dwfl_module_nextcu(mod, cu, &u->bias)))
		if (add_unit(u, cu))
			goto fail;
	if (!u->n || index_units(u))
		goto fail;
	return u;
fail:
	unit_ranges__free(u);
	return NULL;
}

/* The last range that starts at or before a; n when none does. */
static size_t last_starting_by(const struct unit_ranges *u, uint64_t a)
{
	size_t lo = 0, hi = u->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (u->v[mid].lo <= a)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? lo - 1 : u->n;
}

const char *unit_ranges__source(const struct unit_ranges *u, Dwarf_Addr addr, int *line)
{
	uint64_t a = addr - u->bias;
	size_t i = last_starting_by(u, a);
	Dwarf_Line *l;

	if (i == u->n)
		return NULL;
	/* Ranges of units rarely overlap; where they do, an earlier one may
	 * hold a, and max_hi says when none further back can. */
	for (;; i--) {
		if (a < u->v[i].hi) {
			l = dwarf_getsrc_die(&u->v[i].cu, a);
			return l && !dwarf_lineno(l, line) ? dwarf_linesrc(l, NULL, NULL) : NULL;
		}
		if (!i || u->max_hi[i - 1] <= a)
			return NULL;
	}
}

void unit_ranges__free(struct unit_ranges *u)
{
	if (!u)
		return;
	free(u->v);
	free(u->max_hi);
	free(u);
}
