// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "report/describe.h"
#include "report/metrics.h"
#include "report/output_file.h"

/* The label pairs of one series before its own (type, kind), e.g.
 * pid="42",command="python t.py",chip="0": the escaped command (up to 512
 * bytes) fits with room to spare. */
#define LABELS_MAX 640

/* One series: its label text, and the item (device or process) it starts
 * from; items with the same text are one series, summed. */
struct series_key {
	char text[LABELS_MAX];
	size_t item;
};

int metrics__parse_labels(const char *list, unsigned *out)
{
	unsigned labels = 0;
	bool none = false;
	const char *p = list;

	if (!*list)
		return -EINVAL;
	for (;;) {
		size_t n = strcspn(p, ",");

		if (n == 3 && !strncmp(p, "pid", n))
			labels |= METRICS_LABEL_PID;
		else if (n == 7 && !strncmp(p, "command", n))
			labels |= METRICS_LABEL_COMMAND;
		else if (n == 4 && !strncmp(p, "none", n))
			none = true;
		else
			return -EINVAL;
		if (!p[n])
			break;
		p += n + 1;
	}
	if (none && labels)
		return -EINVAL;
	*out = labels;
	return 0;
}

void metrics__escape(char *buf, size_t size, const char *value)
{
	const unsigned char *v = (const unsigned char *)value;
	size_t n = 0, len;

	if (!size)
		return;
	while (*v) {
		len = describe__utf8_length(v);
		if (len > 1) {
			if (n + len >= size)
				break;
			memcpy(buf + n, v, len);
			n += len;
			v += len;
			continue;
		}
		if (*v == '\\' || *v == '"' || *v == '\n') {
			if (n + 3 > size)
				break;
			buf[n++] = '\\';
			buf[n++] = *v == '\n' ? 'n' : (char)*v;
		} else {
			if (n + 2 > size)
				break;
			/* Not UTF-8: the parser would refuse the whole file. */
			buf[n++] = len ? (char)*v : '?';
		}
		v++;
	}
	buf[n] = '\0';
}

/* Appends name="value" (value already escaped) to the label text. */
static void add_label(char *buf, const char *name, const char *value)
{
	size_t n = strlen(buf);

	snprintf(buf + n, LABELS_MAX - n, "%s%s=\"%s\"", n ? "," : "", name, value);
}

static void process_labels(char *buf, const struct run_info *run, uint32_t tgid, unsigned labels)
{
	char value[520];

	buf[0] = '\0';
	if (labels & METRICS_LABEL_PID) {
		snprintf(value, sizeof(value), "%u", tgid);
		add_label(buf, "pid", value);
	}
	if (labels & METRICS_LABEL_COMMAND) {
		metrics__escape(value, sizeof(value), describe__process_command(run, tgid));
		add_label(buf, "command", value);
	}
}

/* chip="N", mesh="M", or device="0x..." when the class or id could not be
 * read, so two devices of one process never merge. */
static void device_labels(char *buf, const struct run_info *run,
			  const struct tracker_device_info *d, unsigned labels)
{
	char value[32];

	process_labels(buf, run, d->tgid, labels);
	if (d->id.kind == TRACKER_DEVICE_CHIP && d->id.chip_id != TTLEAK_CHIP_UNKNOWN) {
		snprintf(value, sizeof(value), "%d", d->id.chip_id);
		add_label(buf, "chip", value);
	} else if (d->id.kind == TRACKER_DEVICE_MESH && d->id.mesh_id != TTLEAK_MESH_UNKNOWN) {
		snprintf(value, sizeof(value), "%d", d->id.mesh_id);
		add_label(buf, "mesh", value);
	} else {
		snprintf(value, sizeof(value), "0x%" PRIx64, d->id.ptr);
		add_label(buf, "device", value);
	}
}

static int compare_keys(const void *a, const void *b)
{
	const struct series_key *x = a, *y = b;
	int c = strcmp(x->text, y->text);

	if (c)
		return c;
	return x->item < y->item ? -1 : x->item > y->item;
}

/* Sorts keys by text and numbers the series: series_of[item] is the series
 * of each item, first[s] the key giving series s its labels. Returns the
 * number of series. */
static size_t number_series(struct series_key *keys, size_t n, size_t *series_of,
			    size_t *first)
{
	size_t i, s = 0;

	qsort(keys, n, sizeof(*keys), compare_keys);
	for (i = 0; i < n; i++) {
		if (i == 0 || strcmp(keys[i].text, keys[i - 1].text))
			first[s++] = i;
		series_of[keys[i].item] = s - 1;
	}
	return s;
}

/* HELP then TYPE, both naming the samples (counters end in _total). */
static void family(FILE *out, const char *name, const char *type, const char *help)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
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

/* The device series: one per label text, the stats of its devices summed. */
struct device_series {
	struct series_key *keys;
	size_t *first;
	size_t n;
	struct tracker_stats (*rows)[TRACKER_ROWS];
};

static void device_series_free(struct device_series *ds)
{
	free(ds->keys);
	free(ds->first);
	free(ds->rows);
}

static int device_series(struct device_series *ds, const struct run_info *run,
			 const struct tracker_results *r, unsigned labels)
{
	size_t *series_of = NULL;
	size_t n = r->n_devices, i;
	int row;

	memset(ds, 0, sizeof(*ds));
	ds->keys = calloc(n ? n : 1, sizeof(*ds->keys));
	ds->first = calloc(n ? n : 1, sizeof(*ds->first));
	ds->rows = calloc(n ? n : 1, sizeof(*ds->rows));
	series_of = calloc(n ? n : 1, sizeof(*series_of));
	if (!ds->keys || !ds->first || !ds->rows || !series_of) {
		free(series_of);
		device_series_free(ds);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		device_labels(ds->keys[i].text, run, &r->devices[i], labels);
		ds->keys[i].item = i;
	}
	ds->n = number_series(ds->keys, n, series_of, ds->first);
	for (i = 0; i < n; i++) {
		struct tracker_stats *sum = ds->rows[series_of[i]];

		for (row = 0; row < TRACKER_ROWS; row++) {
			sum[row].live_bytes += r->devices[i].rows[row].live_bytes;
			sum[row].live_count += r->devices[i].rows[row].live_count;
			sum[row].allocs += r->devices[i].rows[row].allocs;
			sum[row].frees += r->devices[i].rows[row].frees;
		}
	}
	free(series_of);
	return 0;
}

static void device_family(FILE *out, const struct device_series *ds, enum stat_field f,
			  const char *sample)
{
	size_t s;
	int row;

	for (s = 0; s < ds->n; s++)
		for (row = 0; row < TRACKER_ROWS; row++)
			fprintf(out, "%s{%s,type=\"%s\"} %" PRIu64 "\n", sample,
				ds->keys[ds->first[s]].text, tracker_row_name(row),
				stat_value(&ds->rows[s][row], f));
}

/* The finding series: one per label text of the processes, every kind,
 * zeros included, so alerts see 0 -> N. Without per-process labels there
 * is one series per kind, there from the start. */
struct finding_series {
	struct series_key *keys;
	size_t *first;
	size_t n;
	uint64_t (*count)[FINDING_KIND_MAX], (*bytes)[FINDING_KIND_MAX];
};

static void finding_series_free(struct finding_series *fs)
{
	free(fs->keys);
	free(fs->first);
	free(fs->count);
	free(fs->bytes);
}

struct tgid_series {
	uint32_t tgid;
	size_t series;
};

static int compare_tgids(const void *a, const void *b)
{
	const struct tgid_series *x = a, *y = b;

	return x->tgid < y->tgid ? -1 : x->tgid > y->tgid;
}

static int finding_series(struct finding_series *fs, const struct run_info *run,
			  const struct tracker_results *r, unsigned labels)
{
	size_t n = labels ? r->n_processes : 1, i;
	size_t *series_of = NULL;
	struct tgid_series *by_tgid = NULL;

	memset(fs, 0, sizeof(*fs));
	fs->keys = calloc(n ? n : 1, sizeof(*fs->keys));
	fs->first = calloc(n ? n : 1, sizeof(*fs->first));
	fs->count = calloc(n ? n : 1, sizeof(*fs->count));
	fs->bytes = calloc(n ? n : 1, sizeof(*fs->bytes));
	series_of = calloc(n ? n : 1, sizeof(*series_of));
	by_tgid = calloc(n ? n : 1, sizeof(*by_tgid));
	if (!fs->keys || !fs->first || !fs->count || !fs->bytes || !series_of || !by_tgid) {
		free(series_of);
		free(by_tgid);
		finding_series_free(fs);
		return -ENOMEM;
	}
	if (!labels) {
		fs->n = 1; /* keys[0].text "": every finding counts in it */
		for (i = 0; i < r->n_findings; i++) {
			fs->count[0][r->findings[i].kind] += r->findings[i].count;
			fs->bytes[0][r->findings[i].kind] += r->findings[i].bytes;
		}
		goto out;
	}
	for (i = 0; i < n; i++) {
		process_labels(fs->keys[i].text, run, r->processes[i].tgid, labels);
		fs->keys[i].item = i;
	}
	fs->n = number_series(fs->keys, n, series_of, fs->first);
	for (i = 0; i < n; i++)
		by_tgid[i] = (struct tgid_series){ r->processes[i].tgid, series_of[i] };
	qsort(by_tgid, n, sizeof(*by_tgid), compare_tgids);
	for (i = 0; i < r->n_findings; i++) {
		struct tgid_series want = { .tgid = r->findings[i].tgid }, *p;

		p = bsearch(&want, by_tgid, n, sizeof(*by_tgid), compare_tgids);
		if (!p)
			continue; /* no process to name it by */
		fs->count[p->series][r->findings[i].kind] += r->findings[i].count;
		fs->bytes[p->series][r->findings[i].kind] += r->findings[i].bytes;
	}
out:
	free(series_of);
	free(by_tgid);
	return 0;
}

static void findings_family(FILE *out, const struct finding_series *fs, bool bytes)
{
	const char *name = bytes ? "ttleak_finding_bytes" : "ttleak_findings";
	size_t s;
	int k;

	for (s = 0; s < fs->n; s++) {
		const char *text = fs->keys[fs->first[s]].text;

		for (k = FINDING_CB_TRACKING; k < FINDING_KIND_MAX; k++)
			fprintf(out, "%s{%s%skind=\"%s\"} %" PRIu64 "\n", name, text,
				text[0] ? "," : "", finding_kind_name(k),
				bytes ? fs->bytes[s][k] : fs->count[s][k]);
	}
}

int metrics__format(FILE *out, const struct run_info *run, const struct tracker_results *r,
		    unsigned labels)
{
	struct device_series ds;
	struct finding_series fs;

	if (device_series(&ds, run, r, labels))
		return -ENOMEM;
	if (finding_series(&fs, run, r, labels)) {
		device_series_free(&ds);
		return -ENOMEM;
	}
	family(out, "ttleak_live_bytes", "gauge",
	       "Device memory held now, by chip and type (CB: circular buffers).");
	device_family(out, &ds, LIVE_BYTES, "ttleak_live_bytes");
	family(out, "ttleak_live_buffers", "gauge",
	       "Buffers (CBs for type CB) live now, by chip and type.");
	device_family(out, &ds, LIVE_COUNT, "ttleak_live_buffers");
	family(out, "ttleak_allocations_total", "counter",
	       "Allocations seen since tracing started.");
	device_family(out, &ds, ALLOCS, "ttleak_allocations_total");
	family(out, "ttleak_frees_total", "counter", "Frees seen since tracing started.");
	device_family(out, &ds, FREES, "ttleak_frees_total");
	family(out, "ttleak_findings", "gauge",
	       "Leaked or anomalous buffers and CBs found so far, by finding kind "
	       "(growth: how far the live count rose across device closes).");
	findings_family(out, &fs, false);
	family(out, "ttleak_finding_bytes", "gauge",
	       "Bytes of the leaked buffers and CBs found so far, by finding kind.");
	findings_family(out, &fs, true);
	family(out, "ttleak_dropped_events_total", "counter",
	       "Events the BPF programs could not deliver; findings may be incomplete.");
	fprintf(out, "ttleak_dropped_events_total{reason=\"ringbuf_full\"} %" PRIu64 "\n",
		run->drops[TTLEAK_DROP_RINGBUF_FULL]);
	family(out, "ttleak_events_total", "counter", "Events received from the traced processes.");
	fprintf(out, "ttleak_events_total %" PRIu64 "\n", r->events);
	device_series_free(&ds);
	finding_series_free(&fs);
	return 0;
}

int metrics__write_file(const char *path, const struct run_info *run,
			const struct tracker_results *r, unsigned labels, char *err,
			size_t errlen)
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
	ret = metrics__format(out, run, r, labels);
	if (ret) {
		snprintf(why, sizeof(why), "%s: %s", path, strerror(-ret));
		output_file__abandon(f);
		goto cleanup;
	}
	ret = output_file__commit(f, why, sizeof(why));
cleanup:
	if (ret)
		snprintf(err, errlen, "cannot write metrics: %s", why);
	return ret;
}
