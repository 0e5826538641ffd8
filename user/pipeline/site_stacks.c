// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* site_stacks: stack ids merged by symbolized stack (site_stacks.h). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>
#include "model/site_rows.h"
#include "pipeline/site_stacks.h"

/* The first stack id seen of each call path of each process. */
struct path {
	UT_hash_handle hh;
	char *key;                /* "tgid\n" then the signature */
	int32_t first;
};

struct id_key {
	uint32_t tgid;
	int32_t id;
};

/* Each stack id of the findings, and the path it belongs to. */
struct stack_of {
	UT_hash_handle hh;
	struct id_key key;
	struct path *path;
};

struct groups {
	const struct stack_store *store;
	struct path *paths;
	struct stack_of *ids;
};

static void *xmalloc(size_t size)
{
	void *p = malloc(size);

	if (!p)
		abort(); /* a partial grouping would print wrong counts */
	return p;
}

/* Appends to an open_memstream: written in one place, freed by the caller. */
char *site_stacks__signature(const struct stack_frame *f, size_t n)
{
	char *buf = NULL;
	size_t len = 0, i;
	FILE *out = open_memstream(&buf, &len);

	if (!out)
		abort();
	for (i = 0; i < n; i++) {
		if (f[i].symbol)
			fprintf(out, "%s\n", f[i].symbol);
		else if (f[i].module)
			fprintf(out, "%s+0x%" PRIx64 "\n", f[i].module, f[i].offset);
		else
			fprintf(out, "0x%" PRIx64 "\n", f[i].ip);
	}
	if (fclose(out))
		abort();
	return buf;
}

static struct path *path_of(struct groups *g, uint32_t tgid, int32_t id)
{
	const struct stack_frame *f;
	char *signature, *key;
	struct path *p;
	size_t n, size;

	f = stack_store__frames(g->store, tgid, id, &n);
	if (!f)
		return NULL; /* not captured: a path of its own */
	signature = site_stacks__signature(f, n);
	size = strlen(signature) + 16; /* a 32-bit tgid and a newline */
	key = xmalloc(size);
	snprintf(key, size, "%" PRIu32 "\n%s", tgid, signature);
	free(signature);
	HASH_FIND_STR(g->paths, key, p);
	if (p) {
		free(key);
		if (id < p->first)
			p->first = id;
		return p;
	}
	p = xmalloc(sizeof(*p));
	p->key = key;
	p->first = id;
	HASH_ADD_KEYPTR(hh, g->paths, p->key, strlen(p->key), p);
	return p;
}

static void note(struct groups *g, uint32_t tgid, int32_t id)
{
	struct id_key key = { .tgid = tgid, .id = id };
	struct stack_of *s;

	HASH_FIND(hh, g->ids, &key, sizeof(key), s);
	if (s || id < 0)
		return;
	s = xmalloc(sizeof(*s));
	s->key = key;
	s->path = path_of(g, tgid, id);
	HASH_ADD(hh, g->ids, key, sizeof(key), s);
}

/* site_rows_same_stack: the lowest id of the same path, so the choice does
 * not depend on the order findings are visited in. */
static int32_t same_stack(void *ctx, uint32_t tgid, int32_t id)
{
	struct groups *g = ctx;
	struct id_key key = { .tgid = tgid, .id = id };
	struct stack_of *s;

	HASH_FIND(hh, g->ids, &key, sizeof(key), s);
	return s && s->path ? s->path->first : id;
}

static void groups_free(struct groups *g)
{
	struct stack_of *s, *stmp;
	struct path *p, *ptmp;

	HASH_ITER(hh, g->ids, s, stmp) {
		HASH_DEL(g->ids, s);
		free(s);
	}
	HASH_ITER(hh, g->paths, p, ptmp) {
		HASH_DEL(g->paths, p);
		free(p->key);
		free(p);
	}
}

void site_stacks__group(struct tracker_results *r, const struct stack_store *s)
{
	struct groups g = { .store = s };
	size_t i, j;

	if (!s)
		return;
	for (i = 0; i < r->n_findings; i++)
		for (j = 0; j < r->findings[i].n_sites; j++)
			note(&g, r->findings[i].tgid, r->findings[i].sites[j].stack_id);
	site_rows__build(r, same_stack, &g);
	groups_free(&g);
}
