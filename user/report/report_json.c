// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stddef.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <json-c/json.h>
#include "attach/probes.h"
#include "report/describe.h"
#include "report/report_json.h"
#include "elf/stacks.h"
#include "attach/stack_mode.h"
#include "model/verdict.h"

#define JSON_SCHEMA_VERSION 1

static void put_u64(struct json_object *o, const char *key, uint64_t v)
{
	json_object_object_add(o, key, json_object_new_uint64(v));
}

static void put_str(struct json_object *o, const char *key, const char *v)
{
	json_object_object_add(o, key, v ? json_object_new_string(v) : NULL);
}

static struct json_object *check_names(uint32_t mask)
{
	static const char *const names[] = { "cb_tracking", "reclaimed_at_close", "never_freed",
					     "growth", "anomalies" };
	struct json_object *a = json_object_new_array();
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (mask & (1u << i))
			json_object_array_add(a, json_object_new_string(names[i]));
	return a;
}

/* --all: each library file, its owner and whether it was traced. */
static struct json_object *libraries_json(const struct run_info *run)
{
	struct json_object *a = json_object_new_array();
	size_t i;

	for (i = 0; i < run->n_libraries; i++) {
		const struct run_library *l = &run->libraries[i];
		struct json_object *o = json_object_new_object();

		put_str(o, "path", l->path);
		put_u64(o, "owner_uid", l->owner);
		json_object_object_add(o, "untrusted", json_object_new_boolean(l->untrusted));
		json_object_object_add(o, "traced", json_object_new_boolean(l->traced));
		put_str(o, "generation", l->generation);
		put_str(o, "layout_source", l->layout_source);
		put_str(o, "problem", l->problem);
		json_object_array_add(a, o);
	}
	return a;
}

static struct json_object *run_json(const struct run_info *run, const struct tracker_results *r)
{
	struct json_object *o = json_object_new_object(), *drops = json_object_new_object();

	json_object_object_add(o, "pid", json_object_new_int(run->pid));
	put_str(o, "command", run->command);
	if (run->command_ran) {
		json_object_object_add(o, "command_exit_status",
				       WIFEXITED(run->command_status)
					       ? json_object_new_int(WEXITSTATUS(run->command_status))
					       : NULL);
		json_object_object_add(o, "command_signal",
				       WIFSIGNALED(run->command_status)
					       ? json_object_new_int(WTERMSIG(run->command_status))
					       : NULL);
		json_object_object_add(o, "command_failed",
				       json_object_new_boolean(verdict__command_failed(run)));
	}
	put_str(o, "library", run->lib_path);
	put_str(o, "generation", run->generation);
	put_str(o, "layout_source", run->layout_source);
	json_object_object_add(o, "attached_mid_run", json_object_new_boolean(run->attached_mid_run));
	put_str(o, "replay", run->replay_path);
	/* A replay whose clock cannot be trusted has no duration. */
	json_object_object_add(o, "duration_s", run->duration_s < 0 ? NULL :
				json_object_new_double(run->duration_s));
	put_u64(o, "events", r->events);
	put_u64(drops, "ringbuf_full", run->drops[TTLEAK_DROP_RINGBUF_FULL]);
	json_object_object_add(o, "drops", drops);
	put_u64(o, "unarmed_events", run->unarmed_events);
	put_u64(o, "mesh_id_read_faults", run->mesh_id_read_faults);
	put_u64(o, "lost_or_unreadable", verdict__lost_events(run, r));
	put_str(o, "stop_reason", run->stop_reason);
	json_object_object_add(o, "checked", check_names(run->checks));
	json_object_object_add(o, "not_checked", check_names(CHECK_ALL & ~run->checks));
	json_object_object_add(o, "libraries", libraries_json(run));
	put_u64(o, "max_live", run->max_live);
	json_object_object_add(o, "certified", json_object_new_boolean(verdict__certified(run, r)));
	json_object_object_add(o, "exit_status", json_object_new_int(verdict__exit_status(run, r)));
	return o;
}

static void put_device_id(struct json_object *o, const struct tracker_device_id *d)
{
	char ptr[32];

	struct json_object *chips = json_object_new_array();
	char name[320];
	uint32_t i;

	describe__device(d, name, sizeof(name));
	put_str(o, "device", name);
	put_str(o, "device_kind", describe__device_kind(d->kind));
	json_object_object_add(o, "chip_id", d->chip_id == TTLEAK_CHIP_UNKNOWN
					      ? NULL : json_object_new_int(d->chip_id));
	json_object_object_add(o, "mesh_id", d->mesh_id == TTLEAK_MESH_UNKNOWN
					      ? NULL : json_object_new_int(d->mesh_id));
	for (i = 0; i < d->n_chips; i++)
		json_object_array_add(chips, json_object_new_int(d->chips[i]));
	json_object_object_add(o, "mesh_chips", chips);
	snprintf(ptr, sizeof(ptr), "0x%llx", (unsigned long long)d->ptr);
	put_str(o, "device_ptr", ptr);
	put_u64(o, "device_ordinal", d->ordinal);
}

/* A uint64_t counter of a struct, by its JSON key and where it is in the struct. */
struct u64_field {
	const char *key;
	size_t offset;
};

#define STAT(name) { #name, offsetof(struct tracker_stats, name) }
static const struct u64_field stats_fields[] = {
	STAT(live_count), STAT(live_bytes), STAT(peak_count), STAT(peak_bytes), STAT(allocs),
	STAT(alloc_bytes), STAT(frees), STAT(free_bytes), STAT(reclaimed), STAT(reclaimed_bytes),
};
#undef STAT

#define PROC(key, name) { key, offsetof(struct tracker_process_info, name) }
static const struct u64_field process_fields[] = {
	PROC("events", events), PROC("pre_attach_frees", pre_attach_frees),
	PROC("pre_attach_free_bytes", pre_attach_free_bytes), PROC("late_frees", late_frees),
	PROC("unknown_programs", unknown_programs), PROC("unreadable_events", unreadable),
	PROC("implausible_events", implausible),
};
static const struct u64_field process_fields_after[] = {
	PROC("hooked_allocations", hooked_allocs), PROC("globally_allocated_cbs", global_cbs),
	PROC("unattributed_cbs", unattributed_cbs), PROC("budget_drops", budget_drops),
	PROC("records_held", held),
};
#undef PROC

static void put_fields(struct json_object *o, const void *base, const struct u64_field *f,
		       size_t n)
{
	for (size_t i = 0; i < n; i++)
		put_u64(o, f[i].key, *(const uint64_t *)((const char *)base + f[i].offset));
}

#define PUT_FIELDS(o, base, table) put_fields(o, base, table, sizeof(table) / sizeof(table[0]))

static struct json_object *stats_json(const struct tracker_stats *s)
{
	struct json_object *o = json_object_new_object();

	PUT_FIELDS(o, s, stats_fields);
	return o;
}

static struct json_object *device_json(const struct tracker_device_info *d)
{
	struct json_object *o = json_object_new_object(), *mem = json_object_new_object();
	int row;

	put_device_id(o, &d->id);
	put_u64(o, "listener_live", d->listener_live);
	put_u64(o, "closes", d->closes);
	for (row = 0; row < TRACKER_ROWS; row++)
		json_object_object_add(mem, tracker_row_name(row), stats_json(&d->rows[row]));
	json_object_object_add(o, "memory", mem);
	return o;
}

/* Which layout field each implausible event points at. */
static void implausible_json(struct json_object *o, const struct tracker_process_info *p)
{
	struct json_object *by = json_object_new_object();
	int i;

	for (i = 0; i < IMPLAUSIBLE_REASON_MAX; i++)
		if (p->implausible_by[i])
			put_u64(by, implausible_reason_name(i), p->implausible_by[i]);
	json_object_object_add(o, "implausible_by_field", by);
}

static struct json_object *process_json(const struct run_info *run,
					const struct tracker_process_info *p,
					const struct tracker_results *r)
{
	struct json_object *o = json_object_new_object(), *devs = json_object_new_array();
	size_t i;

	json_object_object_add(o, "pid", json_object_new_int((int)p->tgid));
	put_str(o, "command", describe__process_command(run, p->tgid));
	json_object_object_add(o, "exited", json_object_new_boolean(p->exited));
	PUT_FIELDS(o, p, process_fields);
	implausible_json(o, p);
	PUT_FIELDS(o, p, process_fields_after);
	for (i = 0; i < r->n_devices; i++)
		if (r->devices[i].tgid == p->tgid)
			json_object_array_add(devs, device_json(&r->devices[i]));
	json_object_object_add(o, "devices", devs);
	return o;
}

/* A finding's rows by (address, size): what the text report lists. */
static struct json_object *addresses_json(const struct finding_group *g)
{
	struct json_object *a = json_object_new_array();
	size_t i;

	for (i = 0; i < g->n_addresses; i++) {
		struct json_object *s = json_object_new_object();

		put_u64(s, "address", g->addresses[i].address);
		put_u64(s, "size", g->addresses[i].size);
		put_u64(s, "count", g->addresses[i].count);
		json_object_array_add(a, s);
	}
	return a;
}

/* A finding's rows by allocation stack (one per call path, see "stacks"). */
static struct json_object *stack_rows_json(const struct finding_group *g)
{
	struct json_object *a = json_object_new_array();
	size_t i;

	for (i = 0; i < g->n_stacks; i++) {
		struct json_object *s = json_object_new_object();

		if (g->stacks[i].stack_id >= 0)
			json_object_object_add(s, "stack_id",
					       json_object_new_int(g->stacks[i].stack_id));
		put_u64(s, "count", g->stacks[i].count);
		put_u64(s, "bytes", g->stacks[i].bytes);
		put_u64(s, "stacks_merged", g->stacks[i].merged);
		json_object_array_add(a, s);
	}
	return a;
}

static struct json_object *finding_json(const struct finding_group *g)
{
	struct json_object *o = json_object_new_object(), *sites = json_object_new_array();
	struct json_object *series = json_object_new_array();
	size_t i;

	put_str(o, "kind", finding_kind_name(g->kind));
	put_str(o, "anomaly", g->kind == FINDING_ANOMALY ? anomaly_kind_name(g->anomaly) : NULL);
	json_object_object_add(o, "pid", json_object_new_int((int)g->tgid));
	put_device_id(o, &g->device);
	put_str(o, "type", tracker_row_name(g->row));
	put_u64(o, "count", g->count);
	put_u64(o, "bytes", g->bytes);
	if (g->kind == FINDING_CB_TRACKING)
		put_u64(o, "programs", g->programs);
	for (i = 0; i < g->n_sites; i++) {
		struct json_object *s = json_object_new_object();

		put_u64(s, "address", g->sites[i].address);
		put_u64(s, "size", g->sites[i].size);
		put_u64(s, "count", g->sites[i].count);
		if (g->sites[i].stack_id >= 0)
			json_object_object_add(s, "stack_id",
					       json_object_new_int(g->sites[i].stack_id));
		json_object_array_add(sites, s);
	}
	json_object_object_add(o, "sites", sites);
	json_object_object_add(o, "by_address", addresses_json(g));
	json_object_object_add(o, "by_stack", stack_rows_json(g));
	for (i = 0; i < g->n_series; i++)
		json_object_array_add(series, json_object_new_uint64(g->series[i]));
	json_object_object_add(o, "series", series);
	put_str(o, "title", describe__finding_title(g));
	put_str(o, "advice", describe__finding_advice(g));
	return o;
}

static struct json_object *frames_json(const struct stack_frame *f, size_t n)
{
	struct json_object *a = json_object_new_array();
	size_t i;

	for (i = 0; i < n; i++) {
		struct json_object *o = json_object_new_object();

		put_u64(o, "ip", f[i].ip);
		put_str(o, "module", f[i].module);
		if (f[i].module)
			put_u64(o, "offset", f[i].offset);
		put_str(o, "symbol", f[i].symbol);
		put_str(o, "source", f[i].source);
		if (f[i].source)
			json_object_object_add(o, "line", json_object_new_int(f[i].line));
		json_object_array_add(a, o);
	}
	return a;
}

/* The stacks the findings refer to, once each: [{pid, stack_id, frames}]. */
static struct json_object *stacks_json(const struct run_info *run,
				       const struct tracker_results *r)
{
	struct json_object *a = json_object_new_array(), *seen = json_object_new_object();
	const struct stack_frame *f;
	char key[32];
	size_t i, j, n;

	for (i = 0; i < r->n_findings; i++) {
		const struct finding_group *g = &r->findings[i];

		for (j = 0; j < g->n_sites; j++) {
			struct json_object *o;

			snprintf(key, sizeof(key), "%u/%d", g->tgid, g->sites[j].stack_id);
			f = stack_store__frames(run->stacks, g->tgid, g->sites[j].stack_id, &n);
			if (!f || json_object_object_get_ex(seen, key, NULL))
				continue;
			json_object_object_add(seen, key, NULL);
			o = json_object_new_object();
			json_object_object_add(o, "pid", json_object_new_int((int)g->tgid));
			json_object_object_add(o, "stack_id", json_object_new_int(g->sites[j].stack_id));
			json_object_object_add(o, "frames", frames_json(f, n));
			json_object_array_add(a, o);
		}
	}
	json_object_put(seen);
	return a;
}

static struct json_object *stack_stats_json(const struct run_info *run)
{
	struct json_object *o = json_object_new_object();
	struct stack_stats st;

	stack_store__stats(run->stacks, &st);
	json_object_object_add(o, "mode", json_object_new_string(stack_mode__name(run->stack_mode)));
	put_u64(o, "captured", st.captured);
	put_u64(o, "map_full", run->stack_errors[TTLEAK_STACK_MAP_FULL]);
	put_u64(o, "copy_dropped", run->stack_errors[TTLEAK_STACK_SAMPLE_DROPPED]);
	put_u64(o, "walk_failed", run->stack_errors[TTLEAK_STACK_FAULT]);
	put_u64(o, "unreadable", st.read_failures);
	put_u64(o, "truncated", st.truncated);
	put_u64(o, "cut_at_non_code_address", st.unmapped);
	put_u64(o, "frames_without_symbol", st.unsymbolized);
	put_u64(o, "process_gone", st.process_gone);
	if (run->stack_mode == TTLEAK_STACKS_DWARF) {
		put_u64(o, "stack_bytes", run->stack_bytes);
		put_u64(o, "unwind_needed_more_stack", st.unwind_slice_ended);
		put_u64(o, "unwind_no_cfi", st.unwind_failed);
	}
	return o;
}

int report_json__write_stream(FILE *f, const struct run_info *run,
			      const struct tracker_results *r, char *err, size_t errlen)
{
	struct json_object *root = json_object_new_object();
	struct json_object *procs = json_object_new_array(), *finds = json_object_new_array();
	int ret = 0;
	size_t i;

	json_object_object_add(root, "schema_version", json_object_new_int(JSON_SCHEMA_VERSION));
	json_object_object_add(root, "run", run_json(run, r));
	for (i = 0; i < r->n_processes; i++)
		json_object_array_add(procs, process_json(run, &r->processes[i], r));
	json_object_object_add(root, "processes", procs);
	for (i = 0; i < r->n_findings; i++)
		json_object_array_add(finds, finding_json(&r->findings[i]));
	json_object_object_add(root, "findings", finds);
	if (run->stacks) {
		json_object_object_add(root, "stacks", stacks_json(run, r));
		json_object_object_add(root, "stack_stats", stack_stats_json(run));
	}
	fprintf(f, "%s\n", json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
								  JSON_C_TO_STRING_NOSLASHESCAPE));
	if (fflush(f) != 0 || ferror(f)) {
		ret = -EIO;
		snprintf(err, errlen, "error writing the JSON report");
	}
	json_object_put(root);
	return ret;
}

int report_json__write(const char *path, const struct run_info *run,
		       const struct tracker_results *r, char *err, size_t errlen)
{
	FILE *f = strcmp(path, "-") == 0 ? stdout : fopen(path, "w");
	int ret;

	if (!f) {
		ret = -errno;
		snprintf(err, errlen, "cannot write JSON report %s: %s", path, strerror(-ret));
		return ret;
	}
	ret = report_json__write_stream(f, run, r, err, errlen);
	if (f != stdout && fclose(f) != 0 && !ret) {
		ret = -errno;
		snprintf(err, errlen, "error writing JSON report %s: %s", path, strerror(-ret));
	}
	return ret;
}
