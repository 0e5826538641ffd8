// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "cli.h"
#include "elf/layout_evidence.h"
#include "elf/layout_select.h"
#include "attach/lib_prepare.h"

int lib_prepare__probes(const char *open_path, const char *shown, struct probe_plan *plan)
{
	char missing[256];
	int ret = probes__resolve(open_path, plan);

	if (ret) {
		fprintf(stderr, "ttleak-bpf: %s: %s\n", shown, probes__strerror(ret));
		return EXIT_USAGE;
	}
	probes__missing_required(plan, missing, sizeof(missing));
	if (missing[0]) {
		fprintf(stderr, "ttleak-bpf: %s lacks required functions: %s. It is not a tt-metal "
			"runtime build ttleak-bpf supports; see 'ttleak-bpf --list-probes --lib %s'\n",
			shown, missing, shown);
		return EXIT_USAGE;
	}
	return 0;
}

/* Name each Buffer field nothing proves, with why, for the refusal. */
static void explain_unproven(const struct layout_choice *c)
{
	int id;

	for (id = 0; id < LE_N_FIELDS; id++)
		if (!c->known[id] && (id <= LE_BUFFER_PAGE_SIZE || strstr(c->evidence[id], "CONTRA")))
			fprintf(stderr, "  %-12s %s\n", layout_evidence__field_name(id),
				c->evidence[id]);
}

/* Refuse to trace shown: why, on which fields, each field's evidence, and
 * what to do (a printf format). */
__attribute__((format(printf, 5, 6)))
static int refuse_layout(const struct layout_choice *c, const char *shown, const char *why,
			 const char *fields, const char *advice, ...)
{
	va_list ap;

	fprintf(stderr, "ttleak-bpf: cannot trace %s: %s: %s\n", shown, why, fields);
	explain_unproven(c);
	fprintf(stderr, "ttleak-bpf: ");
	va_start(ap, advice);
	vfprintf(stderr, advice, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	return EXIT_UNCERTIFIED;
}

/* "DWARF in /proc/self/fd/5" says nothing to a reader: name the file as
 * the process maps it. */
static void name_source(struct layout *l, const char *open_path, const char *shown)
{
	char *at = strstr(l->source, open_path);
	char tail[sizeof(l->source)];

	if (!at || !strcmp(open_path, shown))
		return;
	snprintf(tail, sizeof(tail), "%s", at + strlen(open_path));
	snprintf(at, sizeof(l->source) - (size_t)(at - l->source), "%s%s", shown, tail);
}

int lib_prepare__layout(const char *open_path, const char *shown, const char *layout_file,
			struct layout *layout, struct runtime_vtables *vtables)
{
	struct layout_choice c;
	char err[512];

	if (layout_select(open_path, layout_file, &c, err, sizeof(err))) {
		fprintf(stderr, "ttleak-bpf: %s\n", err);
		return EXIT_USAGE;
	}
	if (c.contradicted[0])
		return refuse_layout(&c, shown, "the layout file contradicts the library itself on",
				     c.contradicted, "remove those keys from %s ('ttleak-bpf "
				     "--list-probes' shows the evidence)", layout_file);
	if (c.unproven[0])
		return refuse_layout(&c, shown, "nothing proves where these Buffer fields are",
				     c.unproven, "give them in a --layout FILE (see "
				     "docs/layout-files.md), or install the library's debug file");
	*layout = c.layout;
	name_source(layout, open_path, shown);
	*vtables = c.vtables;
	return 0;
}
