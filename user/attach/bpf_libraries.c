// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "attach/bpf_libraries.h"
#include "attach/lib_locate.h"
#include "attach/lib_prepare.h"
#include "attach/lib_set.h"

#define SCAN_INTERVAL_S 1.0

struct bpf_libraries {
	const struct cli_opts *opts;
	struct lib_set *set;
	struct traced_lib **libs;    /* per set entry; NULL: cannot be traced */
	struct run_library *report;  /* per set entry */
	size_t n;                    /* set entries looked at */
	size_t primary;
	bool have_primary;
	double next_scan;
};

static int grow(struct bpf_libraries *b, size_t n)
{
	struct traced_lib **libs = realloc(b->libs, n * sizeof(*libs));
	struct run_library *report;

	if (!libs)
		return -ENOMEM;
	b->libs = libs;
	report = realloc(b->report, n * sizeof(*report));
	if (!report)
		return -ENOMEM;
	b->report = report;
	return 0;
}

static void say_found(const struct bpf_libraries *b, const struct lib_file *f)
{
	if (b->opts->quiet)
		return;
	fprintf(stderr, "ttleak-bpf: probing %s (from %s; owner uid %u%s)\n", f->path, f->how,
		(unsigned)f->owner, f->untrusted ? ", UNTRUSTED: owned by neither root nor the "
		"invoking user" : "");
}

/* Set entry i: resolve its probes and layout. 0, or an exit status. */
static int prepare(struct bpf_libraries *b, size_t i)
{
	const struct lib_file *f = lib_set__get(b->set, i);
	struct run_library *r = &b->report[i];
	struct traced_lib *t = calloc(1, sizeof(*t));
	int status = EXIT_UNCERTIFIED;

	memset(r, 0, sizeof(*r));
	snprintf(r->path, sizeof(r->path), "%s", f->path);
	r->owner = (uint32_t)f->owner;
	r->untrusted = f->untrusted;
	b->libs[i] = NULL;
	say_found(b, f);
	if (t) {
		snprintf(t->open_path, sizeof(t->open_path), "%s", f->open_path);
		snprintf(t->path, sizeof(t->path), "%s", f->path);
		status = lib_prepare__probes(t->open_path, t->path, &t->plan);
	}
	if (!status)
		status = lib_prepare__layout(t->open_path, t->path, b->opts->layout_file, &t->layout,
					     &t->vtables);
	if (status) {
		snprintf(r->problem, sizeof(r->problem), "%s", !t ? "out of memory" :
			 "its functions or struct layout could not be resolved (see the message "
			 "at start)");
		free(t);
		return status;
	}
	snprintf(r->generation, sizeof(r->generation), "%s", t->plan.generation);
	snprintf(r->layout_source, sizeof(r->layout_source), "%s", t->layout.source);
	b->libs[i] = t;
	return 0;
}

/* Make ready the set entries not looked at yet. The first status met, or 0. */
static int prepare_new(struct bpf_libraries *b)
{
	size_t n = lib_set__count(b->set);
	int first = 0, status;

	if (n > b->n && grow(b, n))
		return EXIT_UNCERTIFIED;
	for (; b->n < n; b->n++) {
		status = prepare(b, b->n);
		if (status && !first)
			first = status;
		if (!status && !b->have_primary) {
			b->primary = b->n;
			b->have_primary = true;
		}
	}
	return first;
}

/* No file given or mapped: where run mode would look (TT_METAL_HOME,
 * --import-probe), so that processes started later are traced. */
static int add_fallback(struct bpf_libraries *b)
{
	struct lib_choice c;
	char err[512];

	if (lib_locate__for_command(NULL, b->opts->import_module, &c, err, sizeof(err)) ||
	    lib_set__add_path(b->set, c.path, c.how, err, sizeof(err))) {
		fprintf(stderr, "ttleak-bpf: no process maps %s.so yet, and %s\n", "libtt_metal",
			err);
		return EXIT_USAGE;
	}
	return 0;
}

int bpf_libraries__open(const struct cli_opts *o, struct bpf_libraries **out)
{
	struct bpf_libraries *b = calloc(1, sizeof(*b));
	char err[512];
	int status;

	*out = b;
	if (!b || !(b->set = lib_set__new(lib_set__invoking_uid()))) {
		fprintf(stderr, "ttleak-bpf: out of memory\n");
		return EXIT_UNCERTIFIED;
	}
	b->opts = o;
	if (o->lib && lib_set__add_path(b->set, o->lib, "--lib", err, sizeof(err))) {
		fprintf(stderr, "ttleak-bpf: %s\n", err);
		return EXIT_USAGE;
	}
	lib_set__scan(b->set);
	if (!lib_set__count(b->set) && (status = add_fallback(b)))
		return status;
	status = prepare_new(b);
	return b->have_primary ? 0 : status;
}

const struct traced_lib *bpf_libraries__primary(const struct bpf_libraries *b)
{
	return b->libs[b->primary];
}

/* later: found while tracing, so say when its probes are live. */
static void attach_one(struct bpf_libraries *b, size_t i, struct loader *l,
		       const struct loader_opts *base, bool later)
{
	struct traced_lib *t = b->libs[i];
	struct loader_opts lo = *base;
	enum loader_failure failure;
	char err[512];

	if (!t)
		return;
	lo.lib_path = t->open_path;
	lo.layout = &t->layout;
	lo.plan = &t->plan;
	if (loader__add_library(l, &lo, err, sizeof(err), &failure)) {
		fprintf(stderr, "ttleak-bpf: %s is not traced: %s\n", t->path, err);
		snprintf(b->report[i].problem, sizeof(b->report[i].problem), "%.255s", err);
		return;
	}
	b->report[i].traced = true;
	if (later && !b->opts->quiet)
		fprintf(stderr, "ttleak-bpf: attached probes to %s (era %s)\n", t->path,
			t->plan.generation);
}

void bpf_libraries__attach(struct bpf_libraries *b, struct loader *l,
			   const struct loader_opts *base)
{
	size_t i;

	for (i = 0; i < b->n; i++) {
		if (i == b->primary)
			b->report[i].traced = true;
		else
			attach_one(b, i, l, base, false);
	}
}

void bpf_libraries__poll(struct bpf_libraries *b, struct loader *l,
			 const struct loader_opts *base, double now)
{
	size_t from = b->n, i;

	if (now < b->next_scan)
		return;
	b->next_scan = now + SCAN_INTERVAL_S;
	if (!lib_set__scan(b->set))
		return;
	prepare_new(b);
	for (i = from; i < b->n; i++)
		attach_one(b, i, l, base, true);
}

const struct runtime_vtables *bpf_libraries__vtables(const struct bpf_libraries *b,
						     const struct ttleak_event *ev,
						     uint64_t *bias)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		if (b->libs[i] && b->report[i].traced &&
		    process_vtables__bias(&b->libs[i]->plan, ev, bias) == 0)
			return &b->libs[i]->vtables;
	return NULL;
}

const struct run_library *bpf_libraries__report(const struct bpf_libraries *b, size_t *n)
{
	*n = b->n;
	return b->report;
}

uint32_t bpf_libraries__checks(const struct bpf_libraries *b)
{
	uint32_t checks = ~0u;
	size_t i;

	for (i = 0; i < b->n; i++)
		if (b->libs[i] && b->report[i].traced)
			checks &= b->libs[i]->plan.checks;
	return checks;
}

void bpf_libraries__free(struct bpf_libraries *b)
{
	size_t i;

	if (!b)
		return;
	for (i = 0; i < b->n; i++)
		free(b->libs[i]);
	free(b->libs);
	free(b->report);
	lib_set__free(b->set);
	free(b);
}
