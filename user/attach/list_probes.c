// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "elf/layout.h"
#include "elf/layout_select.h"
#include "attach/list_probes.h"
#include "attach/probe_site.h"
#include "attach/probes.h"
#include "attach/target.h"

/* Where the probe sits in its function, on what, and where its program
 * reads each argument there. */
static void print_site(const struct probe_target *t)
{
	char args[128];

	probe_site__describe(t->arg_cookie, t->args_read, args, sizeof(args));
	if (t->moved)
		printf("  %-42s   site: entry+%" PRIu32 " (%s), moved; ", "", t->moved, t->site_insn);
	else
		printf("  %-42s   site: entry (%s); ", "", t->site_insn[0] ? t->site_insn : "not decoded");
	printf("reads %s\n", args[0] ? args : "no argument");
}

static void print_probe(const struct probe_plan *plan, enum probe_id id)
{
	const struct probe_def *def = probes__def(id);
	char disables[128];
	size_t i;

	if (!plan->wanted[id]) {
		printf("  %-32s not used in this build\n", def->label);
		return;
	}
	if (plan->n_targets[id] == 0) {
		probes__describe_checks(def->needed_by, disables, sizeof(disables));
		printf("  %-32s MISSING (%s)%s%s\n", def->label, def->required ? "required" : "optional",
		       disables[0] ? "; disables: " : "", disables);
		return;
	}
	for (i = 0; i < plan->n_targets[id]; i++) {
		printf("  %-32s %-9s 0x%08" PRIx64 "  %s\n", i ? "" : def->label,
		       i ? "" : (def->required ? "required" : "optional"),
		       plan->targets[id][i].file_offset, plan->targets[id][i].demangled);
		print_site(&plan->targets[id][i]);
	}
}

/* Every offset the tracer would read, with the evidence for it. */
static int print_layout(const char *lib_path, const char *layout_file)
{
	struct layout_choice c;
	char err[512];
	int id;

	if (layout_select(lib_path, layout_file, &c, err, sizeof(err))) {
		fprintf(stderr, "ttleak-bpf: %s\n", err);
		return -1;
	}
	printf("layout (by evidence):\n  %-22s %-6s %s\n", "field", "offset", "evidence");
	for (id = 0; id < LE_N_FIELDS; id++) {
		char offset[16] = "?";

		if (c.known[id])
			snprintf(offset, sizeof(offset), "%d", layout_select__offset(&c.layout, id));
		printf("  %-22s %-6s %s\n", layout_evidence__field_name(id), offset,
		       c.evidence[id]);
	}
	printf("device classes: Device vtable %s, MeshDevice vtable %s\n",
	       c.vtables.device_vaddr ? "found" : "MISSING",
	       c.vtables.mesh_vaddr ? "found" : "MISSING");
	if (c.contradicted[0])
		printf("layout: CONTRADICTED by the layout file: %s\n", c.contradicted);
	if (c.unproven[0])
		printf("layout: NOT PROVEN: %s; tracing this build needs --layout FILE\n",
		       c.unproven);
	return 0;
}

static int list_target(const struct cli_opts *opts, const struct target *t)
{
	struct probe_plan plan;
	char missing[256];
	size_t id;
	int ret;

	ret = probes__resolve(t->host_path, &plan);
	if (ret) {
		fprintf(stderr, "ttleak-bpf: %s: %s\n", t->mapped_path, probes__strerror(ret));
		return EXIT_USAGE;
	}
	printf("library: %s\n", t->mapped_path);
	printf("symbols: %" PRIu64 " scanned; %s; %s; build id %s\n", plan.symbols_scanned,
	       plan.has_symtab ? ".symtab present" : "stripped (exports only)",
	       plan.has_debuginfo ? "DWARF present" : "no DWARF",
	       plan.build_id[0] ? plan.build_id : "none");
	printf("era (from the exported names): %s\n",
	       plan.generation[0] ? plan.generation : "unknown");
	if (print_layout(t->host_path, opts->layout_file))
		return EXIT_USAGE;
	printf("\n  %-32s %-9s %-10s  %s\n", "probe", "", "offset", "function");
	for (id = 0; id < PROBE_MAX; id++)
		print_probe(&plan, id);
	probes__missing_required(&plan, missing, sizeof(missing));
	if (missing[0]) {
		fprintf(stderr, "\nttleak-bpf: required functions missing: %s; this library cannot "
			"be traced\n", missing);
		return EXIT_USAGE;
	}
	return EXIT_CLEAN;
}

int list_probes__run(const struct cli_opts *opts)
{
	struct target t;
	char err[512];
	int status;

	if (target__resolve(opts->pid, opts->lib, &t, err, sizeof(err))) {
		fprintf(stderr, "ttleak-bpf: %s\n", err);
		return EXIT_USAGE;
	}
	status = list_target(opts, &t);
	target__close(&t);
	return status;
}
