// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "attach/probes.h"
#include "report/describe.h"
#include "report/report_text.h"
#include "elf/stacks.h"
#include "attach/stack_mode.h"
#include "model/verdict.h"

#define MAX_SITES_SHOWN 8
#define MAX_STACKS_SHOWN 5
#define MAX_FRAMES_SHOWN 8

/* ", 3 label" when n is not zero: counters at zero are not printed. */
static void put_count(FILE *out, const char *label, uint64_t n)
{
	if (n)
		fprintf(out, ", %" PRIu64 " %s", n, label);
}

/* Stacks that could not be captured or resolved are counted, never dropped;
 * counters at zero are left out. */
static void write_stack_stats(FILE *out, const struct run_info *run)
{
	const uint64_t *err = run->stack_errors;
	struct stack_stats st;

	stack_store__stats(run->stacks, &st);
	fprintf(out, "  stacks      %s: %" PRIu64 " captured", stack_mode__name(run->stack_mode),
		st.captured);
	put_count(out, "not captured: map full", err[TTLEAK_STACK_MAP_FULL]);
	put_count(out, "not captured: walk failed", err[TTLEAK_STACK_FAULT]);
	put_count(out, "not captured: no ring room for the stack copy",
		  err[TTLEAK_STACK_SAMPLE_DROPPED]);
	put_count(out, "not captured: unreadable", st.read_failures);
	put_count(out, run->stack_mode == TTLEAK_STACKS_FP ?
		  "cut short of the thread entry (no frame pointers?)" :
		  "cut short of the thread entry", st.truncated);
	put_count(out, "cut at a non-code address", st.unmapped);
	put_count(out, "frames without symbol", st.unsymbolized);
	put_count(out, "of exited processes (not placed)", st.process_gone);
	if (run->stack_mode == TTLEAK_STACKS_DWARF) {
		fprintf(out, "; unwound from %" PRIu32 " bytes of stack", run->stack_bytes);
		put_count(out, "needed more (--stack-bytes)", st.unwind_slice_ended);
		put_count(out, "met code without CFI", st.unwind_failed);
	}
	fputc('\n', out);
}

/* --all: every library file, its owner, and whether it is traced. A file
 * owned by neither root nor the invoking user could be anyone's code. */
static void write_libraries(FILE *out, const struct run_info *run)
{
	size_t i;

	for (i = 0; i < run->n_libraries; i++) {
		const struct run_library *l = &run->libraries[i];

		fprintf(out, "  library     ");
		describe__put_untrusted(out, l->path);
		fprintf(out, "  owner uid %u%s, %s", l->owner, l->untrusted ? " UNTRUSTED (owned by "
			"neither root nor the invoking user)" : "", l->traced ? "traced" :
			"NOT TRACED: ");
		if (!l->traced)
			describe__put_untrusted(out, l->problem);
		fputc('\n', out);
	}
}

static void write_header(FILE *out, const struct run_info *run, const struct tracker_results *r)
{
	uint64_t drops = verdict__ringbuf_drops(run);
	char status[96];

	fprintf(out, "ttleak-bpf report\n");
	if (run->replay_path) {
		fprintf(out, "  replay of   ");
		describe__put_untrusted(out, run->replay_path);
		fputc('\n', out);
	}
	if (run->pid) {
		fprintf(out, "  process     %d%s", run->pid, run->command[0] ? "  " : "");
		describe__put_untrusted(out, run->command);
		fputc('\n', out);
	} else
		fprintf(out, "  processes   every process mapping the runtime (--all)\n");
	if (run->command_ran) {
		describe__wait_status(run->command_status, status, sizeof(status));
		fprintf(out, "  command     %s%s\n", status,
			verdict__command_failed(run) ? "  (FAILED)" : "");
	}
	fprintf(out, "  runtime     ");
	describe__put_untrusted(out, run->lib_path[0] ? run->lib_path : "?");
	fprintf(out, " (era %s; layout: ", run->generation[0] ? run->generation : "unknown");
	describe__put_untrusted(out, run->layout_source);
	fprintf(out, ")\n");
	/* A damaged replay's times are unknown (< 0); never print a wrapped span. */
	if (run->duration_s >= 0 && run->duration_s < 1e9)
		fprintf(out, "  traced      %.1f s, ", run->duration_s);
	else
		fprintf(out, "  traced      unknown time, ");
	fprintf(out, "%" PRIu64 " events, %" PRIu64 " dropped%s%s\n",
		r->events, drops, run->stop_reason ? "; ended: " : "",
		run->stop_reason ? run->stop_reason : "");
	if (run->stacks)
		write_stack_stats(out, run);
	write_libraries(out, run);
	if (run->attached_mid_run)
		fprintf(out, "  attached    %s: buffers allocated before attach are not seen\n",
			run->pid ? "to a running process" : "while processes ran");
}

static void write_device(FILE *out, const struct tracker_device_info *d)
{
	char dev[320], live[32], peak[32];
	int row;

	describe__device(&d->id, dev, sizeof(dev));
	if (strlen(dev) > 10) { /* a mesh and its chips: a line of its own */
		fprintf(out, "  %s\n", dev);
		dev[0] = '\0';
	}
	for (row = 0; row < TRACKER_ROWS; row++) {
		const struct tracker_stats *s = &d->rows[row];

		if (!s->allocs && !s->live_count && !s->reclaimed)
			continue;
		describe__bytes(s->live_bytes, live, sizeof(live));
		describe__bytes(s->peak_bytes, peak, sizeof(peak));
		fprintf(out, "  %-10s %-8s %8" PRIu64 " %12s %12s %9" PRIu64 " %9" PRIu64
			" %10" PRIu64 "\n", dev, tracker_row_name(row), s->live_count, live, peak,
			s->allocs, s->frees, s->reclaimed);
		dev[0] = '\0';
	}
}

/* What to do about implausible events, by where the layout came from. */
static const char *layout_advice(const char *source)
{
	if (strncmp(source, "layout file", 11) == 0)
		return "check the offsets in the --layout file";
	if (strncmp(source, "DWARF", 5) == 0)
		return "the debug info may be from another build: give --layout FILE";
	return "see 'ttleak-bpf --list-probes' for the evidence of each offset, and --layout";
}

/* "allocator_ x3, device_ x1": the layout fields implausible events point at. */
static void implausible_fields(const struct tracker_process_info *p, char *buf, size_t size)
{
	size_t len = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < IMPLAUSIBLE_REASON_MAX && len + 1 < size; i++) {
		int n;

		if (!p->implausible_by[i])
			continue;
		n = snprintf(buf + len, size - len, "%s%s x%" PRIu64, len ? ", " : "",
			     implausible_reason_name(i), p->implausible_by[i]);
		if (n < 0)
			break;
		len += (size_t)n;
	}
}

static void write_process(FILE *out, const struct run_info *run,
			  const struct tracker_process_info *p, const struct tracker_results *r)
{
	const char *command = describe__process_command(run, p->tgid);
	size_t i;

	fprintf(out, "\nProcess %u%s%s", p->tgid, p->exited ? " (exited)" : " (running)",
		command[0] ? "  " : "");
	describe__put_untrusted(out, command);
	fputc('\n', out);
	fprintf(out, "  %-10s %-8s %8s %12s %12s %9s %9s %10s\n", "device", "type",
		p->exited ? "at exit" : "live", "bytes", "peak", "allocs", "frees", "reclaimed");
	for (i = 0; i < r->n_devices; i++)
		if (r->devices[i].tgid == p->tgid)
			write_device(out, &r->devices[i]);
	if (p->pre_attach_frees)
		fprintf(out, "  %" PRIu64 " frees (%" PRIu64 " bytes) of buffers allocated before "
			"attach: counted apart, not errors\n", p->pre_attach_frees,
			p->pre_attach_free_bytes);
	if (p->late_frees)
		fprintf(out, "  %" PRIu64 " frees of buffers already reclaimed at device close\n",
			p->late_frees);
	if (p->hooked_allocs)
		fprintf(out, "  %" PRIu64 " hooked allocations (NO_DISPATCH: graph capture, op "
			"queries) hold no device memory: counted apart\n", p->hooked_allocs);
	if (p->unreadable || p->implausible) {
		char fields[160];

		implausible_fields(p, fields, sizeof(fields));
		fprintf(out, "  WARNING: %" PRIu64 " events had unreadable and %" PRIu64
			" implausible fields (%s): the struct layout (", p->unreadable,
			p->implausible, fields[0] ? fields : "none named");
		describe__put_untrusted(out, run->layout_source[0] ? run->layout_source : "unknown");
		fprintf(out, ") may not match this build; %s; numbers may be wrong\n",
			layout_advice(run->layout_source));
	}
	if (p->unattributed_cbs)
		fprintf(out, "  %" PRIu64 " CB allocations outside allocate_circular_buffers were "
			"not attributed to a program\n", p->unattributed_cbs);
	if (p->budget_drops)
		fprintf(out, "  WARNING: %" PRIu64 " events dropped: the process went over its budget "
			"of %" PRIu64 " records (live buffers, CBs, programs, devices, findings; "
			"--max-live), so its findings are incomplete\n", p->budget_drops,
			run->max_live);
}

/* One row per (address, size): the finding names the device and type. */
static void write_sites(FILE *out, const struct finding_group *g)
{
	size_t i;

	for (i = 0; i < g->n_addresses && i < MAX_SITES_SHOWN; i++)
		fprintf(out, "      0x%-10" PRIx64 " (%" PRIu64 ")  %" PRIu64 " bytes  x%" PRIu64
			"\n", g->addresses[i].address, g->addresses[i].address,
			g->addresses[i].size, g->addresses[i].count);
	if (g->n_addresses > MAX_SITES_SHOWN)
		fprintf(out, "      ... %zu more addresses (all of them in --json)\n",
			g->n_addresses - MAX_SITES_SHOWN);
}

/* Print text as an indented paragraph wrapped at the report's width. */
static void write_wrapped(FILE *out, const char *text, int indent)
{
	const int width = 88;
	int col = 0;

	while (*text) {
		size_t word = strcspn(text, " ");

		if (col && col + 1 + (int)word > width) {
			fputc('\n', out);
			col = 0;
		}
		if (!col)
			col = fprintf(out, "%*s", indent, "");
		else
			col += fprintf(out, " ");
		col += fprintf(out, "%.*s", (int)word, text);
		text += word;
		text += strspn(text, " ");
	}
	fputc('\n', out);
}

static void write_frame(FILE *out, size_t i, const struct stack_frame *f)
{
	const char *module = f->module ? strrchr(f->module, '/') : NULL;

	fprintf(out, "        #%zu ", i);
	describe__put_untrusted(out, f->symbol ? f->symbol : "??");
	if (f->module) {
		fputs("  ", out);
		describe__put_untrusted(out, module ? module + 1 : f->module);
		fprintf(out, "+0x%" PRIx64, f->offset);
	}
	else
		fprintf(out, "  0x%" PRIx64 " (unmapped)", f->ip);
	if (f->source) {
		fputs("  ", out);
		describe__put_untrusted(out, f->source);
		fprintf(out, ":%d", f->line);
	}
	fputc('\n', out);
}

/* Frame 0 is the probed runtime function itself; the site is its callers.
 * A row may stand for several captured stacks through the same functions;
 * the code offsets and lines shown are those of the first. */
static void write_stacks(FILE *out, const struct run_info *run, const struct finding_group *g)
{
	size_t i, j, n_frames;

	for (i = 0; i < g->n_stacks && i < MAX_STACKS_SHOWN; i++) {
		const struct finding_stack *row = &g->stacks[i];
		const struct stack_frame *f =
			stack_store__frames(run->stacks, g->tgid, row->stack_id, &n_frames);

		fprintf(out, "      allocated %" PRIu64 " time%s (%" PRIu64 " bytes) at", row->count,
			row->count == 1 ? "" : "s", row->bytes);
		if (row->merged > 1)
			fprintf(out, " (%" PRIu32 " captured stacks through these functions; "
				"offsets of the first)", row->merged);
		fprintf(out, ":\n");
		if (!f)
			fprintf(out, "        (no stack: not captured, see the stack counts above)\n");
		else if (n_frames < 2)
			fprintf(out, "        (no caller frames: the stack walk failed, see "
				"docs/usage.md, 'Allocation stacks')\n");
		for (j = 1; f && j < n_frames && j <= MAX_FRAMES_SHOWN; j++)
			write_frame(out, j, &f[j]);
	}
	if (g->n_stacks > MAX_STACKS_SHOWN)
		fprintf(out, "      ... %zu more allocation sites (all of them in --json)\n",
			g->n_stacks - MAX_STACKS_SHOWN);
}

static void write_finding(FILE *out, const struct run_info *run, size_t n,
			  const struct finding_group *g, bool explain)
{
	char dev[320], bytes[32];
	size_t i;

	describe__device(&g->device, dev, sizeof(dev));
	describe__bytes(g->bytes, bytes, sizeof(bytes));
	fprintf(out, "\n[%zu] %s: pid %u, %s", n, describe__finding_title(g), g->tgid, dev);
	if (g->kind == FINDING_GROWTH) {
		fprintf(out, "\n    listener-visible active allocations after each close:");
		for (i = 0; i < g->n_series; i++)
			fprintf(out, "%s%" PRIu64, i ? " -> " : " ", g->series[i]);
		fprintf(out, "\n");
	} else {
		fprintf(out, ", %s: %" PRIu64 " %s%s, %" PRIu64 " bytes (%s)", tracker_row_name(g->row),
			g->count, g->row == TRACKER_ROW_CB ? "CB" : "buffer", g->count == 1 ? "" : "s",
			g->bytes, bytes);
		if (g->kind == FINDING_CB_TRACKING)
			fprintf(out, " from %" PRIu64 " destroyed program%s", g->programs,
				g->programs == 1 ? "" : "s");
		fprintf(out, "\n");
		write_sites(out, g);
		if (run->stacks)
			write_stacks(out, run, g);
	}
	if (explain)
		write_wrapped(out, describe__finding_advice(g), 4);
}

/* Explain a kind of finding at its first occurrence only. */
static bool first_of_kind(const struct tracker_results *r, size_t i)
{
	size_t j;

	for (j = 0; j < i; j++)
		if (r->findings[j].kind == r->findings[i].kind &&
		    r->findings[j].anomaly == r->findings[i].anomaly)
			return false;
	return true;
}

static void write_verdict(FILE *out, const struct run_info *run, const struct tracker_results *r)
{
	uint32_t missing = CHECK_ALL & ~run->checks;
	char names[128];

	if (missing) {
		probes__describe_checks(missing, names, sizeof(names));
		fprintf(out, "\nNot checked (probes missing in this build): %s\n", names);
	}
	if (verdict__command_failed(run))
		fprintf(out, "\nResult: NOT CERTIFIED: the command failed, so its run cannot be "
			"certified leak-free%s (exit %d)\n",
			r->n_findings ? "; the findings above may come from the failure" : "",
			EXIT_UNCERTIFIED);
	else if (!verdict__certified(run, r) && !verdict__lost_events(run, r))
		fprintf(out, "\nResult: NOT CERTIFIED: a library file found mapped could not be "
			"traced (see 'library' above), so its processes were not watched (exit %d)\n",
			EXIT_UNCERTIFIED);
	else if (!verdict__certified(run, r))
		fprintf(out, "\nResult: NOT CERTIFIED: %" PRIu64 " events were lost or unreadable, "
			"so leaks may be missed or wrong (exit %d)%s\n",
			verdict__lost_events(run, r), EXIT_UNCERTIFIED,
			run->drops[TTLEAK_DROP_RINGBUF_FULL] ?
				"; a larger --ringbuf helps with dropped events" : "");
	else if (r->n_findings)
		fprintf(out, "\nResult: %zu finding%s (exit %d)\n", r->n_findings,
			r->n_findings == 1 ? "" : "s", EXIT_LEAK);
	else
		fprintf(out, "\nResult: no leak found (exit %d)\n", EXIT_CLEAN);
}

static bool reported_above(const struct run_info *run, uint32_t tgid)
{
	size_t i;

	for (i = 0; i < run->n_reported; i++)
		if (run->reported[i] == tgid)
			return true;
	return false;
}

/* --all prints a process's report as it exits: the final one lists it once. */
static void write_reported_above(FILE *out, const struct run_info *run,
				 const struct tracker_results *r)
{
	size_t i, n = 0;

	for (i = 0; i < r->n_findings; i++)
		n += reported_above(run, r->findings[i].tgid);
	if (run->n_reported)
		fprintf(out, "\n%zu process%s reported above as %s exited (%zu finding%s)\n",
			run->n_reported, run->n_reported == 1 ? "" : "es",
			run->n_reported == 1 ? "it" : "they", n, n == 1 ? "" : "s");
}

void report_text__write(FILE *out, const struct run_info *run, const struct tracker_results *r)
{
	size_t i, n = 0, shown = 0;

	write_header(out, run, r);
	for (i = 0; i < r->n_processes; i++)
		if (!reported_above(run, r->processes[i].tgid))
			write_process(out, run, &r->processes[i], r);
	write_reported_above(out, run, r);
	for (i = 0; i < r->n_findings; i++)
		shown += !reported_above(run, r->findings[i].tgid);
	if (shown)
		fprintf(out, "\nFindings%s\n", verdict__layout_suspect(r) ? " (NOT TRUSTWORTHY: buffer fields "
			"were read with a struct layout that does not fit this build; see WARNING above)"
			: "");
	for (i = 0; i < r->n_findings; i++)
		if (!reported_above(run, r->findings[i].tgid))
			write_finding(out, run, ++n, &r->findings[i], first_of_kind(r, i));
	write_verdict(out, run, r);
}

void report_text__write_process(FILE *out, const struct run_info *run,
				const struct tracker_results *r, uint32_t tgid)
{
	size_t i, n = 0;

	for (i = 0; i < r->n_processes; i++)
		if (r->processes[i].tgid == tgid)
			write_process(out, run, &r->processes[i], r);
	for (i = 0; i < r->n_findings; i++)
		if (r->findings[i].tgid == tgid)
			write_finding(out, run, ++n, &r->findings[i], first_of_kind(r, i));
	fprintf(out, "  %zu finding%s for process %u\n", n, n == 1 ? "" : "s", tgid);
}
