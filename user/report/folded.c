// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* folded: bytes left per allocation stack, for flame graphs (folded.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>
#include "elf/stacks.h"
#include "report/folded.h"

/* One line of the output: its stack text, and the bytes summed into it. */
struct line {
	UT_hash_handle hh;
	char *stack;
	uint64_t bytes;
};

/* What a flame graph shows of a finding: what stayed allocated or leaked. */
static bool left_behind(enum finding_kind kind)
{
	return kind == FINDING_NEVER_FREED || kind == FINDING_RECLAIMED_AT_CLOSE ||
	       kind == FINDING_CB_TRACKING;
}

/* A frame's name as one field: ';' separates frames and a line ends the
 * record, so neither may appear in it (names come from the traced files). */
static void put_name(FILE *out, const char *name)
{
	for (; *name; name++) {
		unsigned char c = (unsigned char)*name;

		fputc(c == ';' ? ':' : c < 0x20 || c == 0x7f ? '?' : c, out);
	}
}

static void put_frame(FILE *out, const struct stack_frame *f)
{
	const char *base = f->module ? strrchr(f->module, '/') : NULL;

	fputc(';', out);
	if (f->symbol) {
		put_name(out, f->symbol);
	} else if (f->module) {
		put_name(out, base ? base + 1 : f->module);
		fprintf(out, "+0x%" PRIx64, f->offset);
	} else {
		fprintf(out, "0x%" PRIx64, f->ip);
	}
}

/* "kind TYPE;outermost;...;innermost" of a finding's stack row. */
static char *stack_text(const struct run_info *run, const struct finding_group *g,
			const struct finding_stack *row)
{
	const struct stack_frame *f = NULL;
	char *buf = NULL;
	size_t len = 0, n = 0;
	FILE *out = open_memstream(&buf, &len);

	if (!out)
		return NULL;
	fprintf(out, "%s %s", finding_kind_name(g->kind), tracker_row_name(g->row));
	if (run->stacks && row->stack_id >= 0)
		f = stack_store__frames(run->stacks, g->tgid, row->stack_id, &n);
	if (!f || !n)
		fputs(";(no stack)", out);
	while (f && n > 0)
		put_frame(out, &f[--n]);
	if (fclose(out)) {
		free(buf);
		return NULL;
	}
	return buf;
}

static int add_line(struct line **lines, char *stack, uint64_t bytes)
{
	struct line *l;

	HASH_FIND_STR(*lines, stack, l);
	if (l) {
		free(stack);
		l->bytes += bytes;
		return 0;
	}
	l = calloc(1, sizeof(*l));
	if (!l) {
		free(stack);
		return -ENOMEM;
	}
	l->stack = stack;
	l->bytes = bytes;
	HASH_ADD_KEYPTR(hh, *lines, l->stack, strlen(l->stack), l);
	return 0;
}

static int by_stack_text(const struct line *a, const struct line *b)
{
	return strcmp(a->stack, b->stack);
}

static int collect(struct line **lines, const struct run_info *run,
		   const struct tracker_results *r)
{
	size_t i, j;

	for (i = 0; i < r->n_findings; i++) {
		const struct finding_group *g = &r->findings[i];

		for (j = 0; left_behind(g->kind) && j < g->n_stacks; j++) {
			char *stack;

			if (!g->stacks[j].bytes)
				continue;
			stack = stack_text(run, g, &g->stacks[j]);
			if (!stack || add_line(lines, stack, g->stacks[j].bytes))
				return -ENOMEM;
		}
	}
	return 0;
}

int folded__write(FILE *out, const struct run_info *run, const struct tracker_results *r)
{
	struct line *lines = NULL, *l, *tmp;
	int ret = collect(&lines, run, r);

	HASH_SORT(lines, by_stack_text);
	HASH_ITER(hh, lines, l, tmp) {
		if (!ret)
			fprintf(out, "%s %" PRIu64 "\n", l->stack, l->bytes);
		HASH_DEL(lines, l);
		free(l->stack);
		free(l);
	}
	return ret;
}
