// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pipeline/exports.h"
#include "pipeline/output.h"
#include "pipeline/pipeline.h"
#include "pipeline/run_record.h"
#include "model/verdict.h"

struct pipeline {
	const struct cli_opts *cli;
	struct tracker *tracker;
	struct exports *exports;  /* -i, --trace, --metrics; NULL when none */
	struct event_log_writer *log; /* --record */
	bool log_failed;          /* said once; the log is then incomplete */
};

static int open_log(struct pipeline *p, const struct event_log_header *h)
{
	if (!p->cli->record_path)
		return 0;
	p->log = event_log_writer__open(p->cli->record_path, h);
	if (p->log)
		return 0;
	fprintf(stderr, "ttleak-bpf: cannot write event log %s: %s\n", p->cli->record_path,
		strerror(errno));
	return EXIT_USAGE;
}

int pipeline__open(const struct pipeline_opts *o, struct pipeline **out)
{
	struct pipeline *p = calloc(1, sizeof(*p));

	*out = p;
	if (!p || exports__new(o->cli, o->checks, o->start_s, &p->exports)) {
		fprintf(stderr, "ttleak-bpf: out of memory\n");
		return EXIT_UNCERTIFIED;
	}
	p->cli = o->cli;
	p->tracker = tracker__new(&o->tracker);
	return o->record ? open_log(p, o->record) : 0;
}

void pipeline__free(struct pipeline *p)
{
	if (!p)
		return;
	if (p->log)
		event_log_writer__close(p->log, NULL);
	exports__free(p->exports);
	tracker__free(p->tracker);
	free(p);
}

void pipeline__event(struct pipeline *p, const struct ttleak_event *ev)
{
	tracker__consume(p->tracker, ev);
	exports__event(p->exports, p->tracker, ev);
	if (p->log && !p->log_failed && event_log_writer__append(p->log, ev)) {
		fprintf(stderr, "ttleak-bpf: writing %s failed: %s; recording stopped\n",
			p->cli->record_path, strerror(errno));
		p->log_failed = true;
	}
}

bool pipeline__due(const struct pipeline *p, double now_s)
{
	return exports__due(p->exports, now_s);
}

void pipeline__tick(struct pipeline *p, const struct run_info *run, double now_s)
{
	exports__tick(p->exports, p->tracker, run, now_s);
}

struct tracker_results *pipeline__results(struct pipeline *p, uint32_t checks)
{
	return verdict__results(p->tracker, checks);
}

/* The log's footer says what was dropped; a log that could not be written
 * whole makes the run uncertified (a replay of it would miss events). */
static int close_log(struct pipeline *p, const struct run_info *run, int status)
{
	struct event_log_footer f = { .event_count = 0 };
	unsigned char *meta = NULL;
	size_t meta_size = 0;
	bool meta_failed;

	if (!p->log)
		return status;
	memcpy(f.drops, run->drops, sizeof(f.drops));
	/* What the run knew at its end, so a replay reports as it did. */
	meta_failed = run_record__encode(run, &meta, &meta_size) != 0 ||
		      meta_size > EVENT_LOG_META_MAX;
	if (meta_failed)
		fprintf(stderr, "ttleak-bpf: the run's metadata (%zu bytes) could not be added to the "
			"event log %s\n", meta_size, p->cli->record_path);
	f.meta = meta_failed ? NULL : meta;
	f.meta_size = meta_failed ? 0 : (uint32_t)meta_size;
	if (event_log_writer__close(p->log, &f) || p->log_failed || meta_failed) {
		fprintf(stderr, "ttleak-bpf: the event log %s is incomplete\n", p->cli->record_path);
		status = status == EXIT_USAGE ? status : EXIT_UNCERTIFIED;
	}
	p->log = NULL;
	free(meta);
	return status;
}

int pipeline__finish(struct pipeline *p, const struct run_info *run, uint64_t end_ns)
{
	int status = output__finish(p->cli, run, p->tracker);

	if (exports__finish(p->exports, p->tracker, run, end_ns))
		status = EXIT_USAGE;
	return close_log(p, run, status);
}
