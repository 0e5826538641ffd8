// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "metrics.h"
#include "output_file.h"
#include "report_text.h"

/* The labels of one device: pid, command, chip (the chip id, or the device
 * pointer when the id could not be read, so two devices never merge). */
struct device_labels {
	char text[640];
};

void metrics__escape(char *buf, size_t size, const char *value)
{
	size_t n = 0;

	for (; *value && n + 3 < size; value++) {
		if (*value == '\\' || *value == '"') {
			buf[n++] = '\\';
			buf[n++] = *value;
		} else if (*value == '\n') {
			buf[n++] = '\\';
			buf[n++] = 'n';
		} else {
			buf[n++] = *value;
		}
	}
	buf[n] = '\0';
}

static void process_labels(char *buf, size_t size, const struct run_info *run, uint32_t tgid)
{
	char command[520];

	metrics__escape(command, sizeof(command), report__process_command(run, tgid));
	snprintf(buf, size, "pid=\"%u\",command=\"%s\"", tgid, command);
}

static void device_labels(struct device_labels *l, const struct run_info *run,
			  const struct tracker_device_info *d)
{
	char proc[600];

	process_labels(proc, sizeof(proc), run, d->tgid);
	if (d->id.kind == TRACKER_DEVICE_CHIP)
		snprintf(l->text, sizeof(l->text), "%s,chip=\"%d\"", proc, d->id.chip_id);
	else if (d->id.kind == TRACKER_DEVICE_MESH)
		snprintf(l->text, sizeof(l->text), "%s,mesh=\"%d\"", proc, d->id.mesh_id);
	else
		snprintf(l->text, sizeof(l->text), "%s,device=\"0x%" PRIx64 "\"", proc, d->id.ptr);
}

static void family(FILE *out, const char *name, const char *type, const char *help)
{
	fprintf(out, "# TYPE %s %s\n# HELP %s %s\n", name, type, name, help);
}

enum stat_field { LIVE_BYTES, LIVE_COUNT, ALLOCS, FREES };

static uint64_t stat_value(const struct tracker_stats *s, enum stat_field f)
{
	switch (f) {
	case LIVE_BYTES: return s->live_bytes;
	case LIVE_COUNT: return s->live_count;
	case ALLOCS: return s->allocs;
	case FREES: return s->frees;
	}
	return 0;
}

/* One sample per device and type; sample is the family name plus _total
 * for counters. */
static void device_family(FILE *out, const struct run_info *run,
			  const struct tracker_results *r, enum stat_field f, const char *sample)
{
	struct device_labels l;
	size_t i;
	int row;

	for (i = 0; i < r->n_devices; i++) {
		device_labels(&l, run, &r->devices[i]);
		for (row = 0; row < TRACKER_ROWS; row++)
			fprintf(out, "%s{%s,type=\"%s\"} %" PRIu64 "\n", sample, l.text,
				tracker_row_name(row), stat_value(&r->devices[i].rows[row], f));
	}
}

/* Every kind for every process, zeros included, so alerts see 0 -> N. */
static void findings_family(FILE *out, const struct run_info *run,
			    const struct tracker_results *r, bool bytes)
{
	char proc[600];
	size_t i, j;
	int k;

	for (i = 0; i < r->n_processes; i++) {
		uint32_t tgid = r->processes[i].tgid;

		process_labels(proc, sizeof(proc), run, tgid);
		for (k = FINDING_CB_TRACKING; k < FINDING_KIND_MAX; k++) {
			uint64_t v = 0;

			for (j = 0; j < r->n_findings; j++)
				if (r->findings[j].tgid == tgid && (int)r->findings[j].kind == k)
					v += bytes ? r->findings[j].bytes : r->findings[j].count;
			fprintf(out, "%s{%s,kind=\"%s\"} %" PRIu64 "\n",
				bytes ? "ttleak_finding_bytes" : "ttleak_findings", proc,
				finding_kind_name(k), v);
		}
	}
}

void metrics__format(FILE *out, const struct run_info *run, const struct tracker_results *r)
{
	family(out, "ttleak_live_bytes", "gauge",
	       "Device memory held now, by process, chip and type (CB: circular buffers).");
	device_family(out, run, r, LIVE_BYTES, "ttleak_live_bytes");
	family(out, "ttleak_live_buffers", "gauge",
	       "Buffers (CBs for type CB) live now, by process, chip and type.");
	device_family(out, run, r, LIVE_COUNT, "ttleak_live_buffers");
	family(out, "ttleak_allocations", "counter", "Allocations seen since tracing started.");
	device_family(out, run, r, ALLOCS, "ttleak_allocations_total");
	family(out, "ttleak_frees", "counter", "Frees seen since tracing started.");
	device_family(out, run, r, FREES, "ttleak_frees_total");
	family(out, "ttleak_findings", "gauge",
	       "Leaked or anomalous buffers and CBs found so far, by process and finding kind "
	       "(growth: how far the live count rose across device closes).");
	findings_family(out, run, r, false);
	family(out, "ttleak_finding_bytes", "gauge",
	       "Bytes of the leaked buffers and CBs found so far, by process and finding kind.");
	findings_family(out, run, r, true);
	family(out, "ttleak_dropped_events", "counter",
	       "Events the BPF programs could not deliver; findings may be incomplete.");
	fprintf(out, "ttleak_dropped_events_total{reason=\"ringbuf_full\"} %" PRIu64 "\n",
		run->drops[TTLEAK_DROP_RINGBUF_FULL]);
	family(out, "ttleak_events", "counter", "Events received from the traced processes.");
	fprintf(out, "ttleak_events_total %" PRIu64 "\n", r->events);
	fputs("# EOF\n", out);
}

int metrics__write_file(const char *path, const struct run_info *run,
			const struct tracker_results *r, char *err, size_t errlen)
{
	struct output_file *f = NULL;
	char why[PATH_MAX + 256];
	FILE *out;
	int ret;

	/* A new temporary file each time, renamed over path (see output_file.h);
	 * the collector reads only *.prom, never ".NAME.XXXXXX". */
	ret = output_file__claim(path, &f, why, sizeof(why));
	if (ret)
		goto cleanup;
	out = output_file__stream(f);
	if (!out) {
		ret = -errno;
		snprintf(why, sizeof(why), "%s: %s", path, strerror(-ret));
		output_file__abandon(f);
		goto cleanup;
	}
	metrics__format(out, run, r);
	ret = output_file__commit(f, why, sizeof(why));
cleanup:
	if (ret)
		snprintf(err, errlen, "cannot write metrics: %s", why);
	return ret;
}
