// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* site_rows: a finding's rows by (address, size) and by stack (site_rows.h). */
#include <stdlib.h>
#include <string.h>
#include "model/site_rows.h"

/* A site with the stack id it had before merging, to count merged stacks. */
struct tagged_site {
	struct finding_site s;
	int32_t original;
};

static void *xrealloc(void *p, size_t n, size_t size)
{
	p = realloc(p, (n ? n : 1) * size);
	if (!p)
		abort(); /* as the tracker: a hole would make every number wrong */
	return p;
}

static int cmp_u64(uint64_t a, uint64_t b)
{
	return a < b ? -1 : a > b;
}

static int cmp_i32(int32_t a, int32_t b)
{
	return a < b ? -1 : a > b;
}

/* By address, size, stack, then the original stack: equal rows are adjacent. */
static int by_place(const void *a, const void *b)
{
	const struct tagged_site *x = a, *y = b;

	return cmp_u64(x->s.address, y->s.address) ?: cmp_u64(x->s.size, y->s.size) ?:
	       cmp_i32(x->s.stack_id, y->s.stack_id) ?: cmp_i32(x->original, y->original);
}

static int by_stack(const void *a, const void *b)
{
	const struct tagged_site *x = a, *y = b;

	return cmp_i32(x->s.stack_id, y->s.stack_id) ?: cmp_i32(x->original, y->original);
}

static int sites_by_count(const void *a, const void *b)
{
	const struct finding_site *x = a, *y = b;

	return -cmp_u64(x->count, y->count) ?: cmp_u64(x->address, y->address) ?:
	       cmp_u64(x->size, y->size) ?: cmp_i32(x->stack_id, y->stack_id);
}

static int addresses_by_count(const void *a, const void *b)
{
	const struct finding_address *x = a, *y = b;

	return -cmp_u64(x->count, y->count) ?: cmp_u64(x->address, y->address) ?:
	       cmp_u64(x->size, y->size);
}

static int stacks_by_bytes(const void *a, const void *b)
{
	const struct finding_stack *x = a, *y = b;

	return -cmp_u64(x->bytes, y->bytes) ?: cmp_i32(x->stack_id, y->stack_id);
}

/* The group's sites, each with the stack id that stands for its stack. */
static struct tagged_site *tag(const struct finding_group *g, site_rows_same_stack same_stack,
			       void *ctx)
{
	struct tagged_site *t = xrealloc(NULL, g->n_sites, sizeof(*t));
	size_t i;

	for (i = 0; i < g->n_sites; i++) {
		t[i].s = g->sites[i];
		t[i].original = g->sites[i].stack_id;
		if (same_stack && g->sites[i].stack_id >= 0)
			t[i].s.stack_id = same_stack(ctx, g->tgid, g->sites[i].stack_id);
	}
	return t;
}

/* Sites with the same address, size and stack become one. */
static void merge_sites(struct finding_group *g, struct tagged_site *t)
{
	size_t i, n = 0;

	qsort(t, g->n_sites, sizeof(*t), by_place);
	for (i = 0; i < g->n_sites; i++) {
		struct finding_site *last = n ? &g->sites[n - 1] : NULL;

		if (last && last->address == t[i].s.address && last->size == t[i].s.size &&
		    last->stack_id == t[i].s.stack_id)
			last->count += t[i].s.count;
		else
			g->sites[n++] = t[i].s;
	}
	g->n_sites = n;
}

static void make_addresses(struct finding_group *g, const struct tagged_site *t, size_t n)
{
	size_t i;

	free(g->addresses);
	g->addresses = xrealloc(NULL, n, sizeof(*g->addresses));
	g->n_addresses = 0;
	for (i = 0; i < n; i++) {
		struct finding_address *last = g->n_addresses ?
			&g->addresses[g->n_addresses - 1] : NULL;

		if (last && last->address == t[i].s.address && last->size == t[i].s.size) {
			last->count += t[i].s.count;
			continue;
		}
		g->addresses[g->n_addresses++] = (struct finding_address){
			.address = t[i].s.address, .size = t[i].s.size, .count = t[i].s.count };
	}
	qsort(g->addresses, g->n_addresses, sizeof(*g->addresses), addresses_by_count);
}

static void make_stacks(struct finding_group *g, struct tagged_site *t, size_t n)
{
	size_t i;

	qsort(t, n, sizeof(*t), by_stack);
	free(g->stacks);
	g->stacks = xrealloc(NULL, n, sizeof(*g->stacks));
	g->n_stacks = 0;
	for (i = 0; i < n; i++) {
		struct finding_stack *last = g->n_stacks ? &g->stacks[g->n_stacks - 1] : NULL;

		if (!last || last->stack_id != t[i].s.stack_id) {
			last = &g->stacks[g->n_stacks++];
			*last = (struct finding_stack){ .stack_id = t[i].s.stack_id };
		}
		if (!last->merged || t[i].original != t[i - 1].original)
			last->merged++;
		last->count += t[i].s.count;
		last->bytes += t[i].s.count * t[i].s.size;
	}
	qsort(g->stacks, g->n_stacks, sizeof(*g->stacks), stacks_by_bytes);
}

void site_rows__build(struct tracker_results *r, site_rows_same_stack same_stack, void *ctx)
{
	size_t i;

	for (i = 0; i < r->n_findings; i++) {
		struct finding_group *g = &r->findings[i];
		size_t n = g->n_sites;
		struct tagged_site *t;

		if (!n)
			continue;
		t = tag(g, same_stack, ctx);
		merge_sites(g, t);
		make_addresses(g, t, n); /* t is still in address order */
		make_stacks(g, t, n);
		free(t);
		qsort(g->sites, g->n_sites, sizeof(*g->sites), sites_by_count);
	}
}
