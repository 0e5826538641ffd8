// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "model/event_log.h"
#include "pipeline/pipeline.h"
#include "attach/probes.h"
#include "pipeline/replay.h"
#include "pipeline/run_record.h"

static void describe_recording(const struct event_log_header *h, const char *path,
			       struct run_info *run)
{
	memset(run, 0, sizeof(*run));
	run->pid = (int)h->target_pid;
	run->replay_path = path;
	run->attached_mid_run = h->flags & EVENT_LOG_F_ATTACHED;
	run->checks = probes__checks_for_mask(h->probe_mask);
	snprintf(run->layout_source, sizeof(run->layout_source), "as recorded");
	run->stop_reason = "end of recording";
}

/* The live run's own account of itself, from the log's metadata: the
 * report then says what the live one said. The replay's options (--max-live,
 * --allow-drops) and the log's header and footer keep their say. */
static int apply_record(const struct run_record *rec, struct run_info *run,
			struct stack_store **stacks)
{
	const struct run_info own = *run;
	size_t i;

	/* The replay's own: the header's process and mode, its options, the
	 * footer's drops. The rest is what the live run said of itself. */
	*run = rec->run;
	run->pid = own.pid;
	run->attached_mid_run = own.attached_mid_run;
	run->replay_path = own.replay_path;
	memcpy(run->drops, own.drops, sizeof(run->drops));
	run->allow_drops = own.allow_drops;
	run->max_live = own.max_live;
	run->stacks = NULL;
	run->reported = NULL;
	run->n_reported = 0;
	if (!rec->has_stack_stats)
		return 0;
	*stacks = stack_store__new();
	if (!*stacks)
		return -ENOMEM;
	for (i = 0; i < rec->n_stacks; i++)
		if (stack_store__restore(*stacks, rec->stacks[i].tgid, rec->stacks[i].stack_id,
					 rec->stacks[i].frames, rec->stacks[i].n))
			return -ENOMEM;
	stack_store__restore_stats(*stacks, &rec->stack_stats);
	run->stacks = *stacks;
	return 0;
}

/* The end of the log: drops, and the metadata when the log has it. */
static int read_end(const struct event_log_footer *f, const char *path, struct run_record *rec,
		    struct run_info *run, struct stack_store **stacks)
{
	char err[512];
	int ret;

	memcpy(run->drops, f->drops, sizeof(run->drops));
	if (!f->meta)
		return 0; /* a recording cut short by an error at start: events only */
	ret = run_record__decode(f->meta, f->meta_size, rec, err, sizeof(err));
	if (ret == -EINVAL)
		fprintf(stderr, "ttleak-bpf: %s: %s; the file is corrupt: re-record\n", path, err);
	ret = ret ?: apply_record(rec, run, stacks);
	if (ret == -ENOMEM)
		fprintf(stderr, "ttleak-bpf: out of memory\n");
	return ret ? -1 : 1;
}

double replay__span_s(uint64_t first_ns, uint64_t last_ns)
{
	double s;

	if (last_ns < first_ns) /* no events */
		return 0;
	s = (last_ns - first_ns) / 1e9;
	return s > REPLAY_MAX_SPAN_DAYS * 86400.0 ? -1 : s;
}

/* Reads every event into the pipeline; -1 after saying why it stopped. */
static int read_events(struct event_log_reader *reader, struct pipeline *p,
		       uint64_t *first_ns, uint64_t *last_ns)
{
	struct ttleak_event ev;
	char err[512];
	int ret;

	while ((ret = event_log_reader__next(reader, &ev, err, sizeof(err))) == 1) {
		/* Events of different CPUs may come slightly out of order, and a
		 * damaged log anywhere: the span is from the earliest to the latest. */
		*first_ns = ev.ts_ns < *first_ns ? ev.ts_ns : *first_ns;
		*last_ns = ev.ts_ns > *last_ns ? ev.ts_ns : *last_ns;
		pipeline__event(p, &ev);
	}
	if (ret < 0)
		fprintf(stderr, "ttleak-bpf: %s\n", err);
	return ret < 0 ? -1 : 0;
}

int replay__run(const struct cli_opts *opts)
{
	struct event_log_header h;
	struct event_log_reader *reader;
	struct pipeline_opts po = { .cli = opts };
	struct pipeline *p = NULL;
	struct run_info run;
	struct run_record rec = { 0 };
	struct stack_store *stacks = NULL;
	uint64_t first_ns = UINT64_MAX, last_ns = 0;
	char err[512];
	int status, recorded;

	reader = event_log_reader__open(opts->replay_path, &h, err, sizeof(err));
	if (!reader) {
		fprintf(stderr, "ttleak-bpf: %s\n", err);
		return EXIT_USAGE;
	}
	describe_recording(&h, opts->replay_path, &run);
	run.allow_drops = opts->allow_drops;
	po.tracker.attached_mid_run = run.attached_mid_run;
	po.tracker.max_live = run.max_live = opts->max_live;
	po.checks = run.checks;
	status = pipeline__open(&po, &p);
	if (status || read_events(reader, p, &first_ns, &last_ns)) {
		status = status ? status : EXIT_USAGE;
		goto cleanup;
	}
	recorded = read_end(event_log_reader__footer(reader), opts->replay_path, &rec, &run,
			    &stacks);
	if (recorded < 0) {
		status = EXIT_USAGE;
		goto cleanup;
	}
	if (!recorded)
		run.duration_s = replay__span_s(first_ns, last_ns);
	if (run.duration_s < 0 && !recorded)
		fprintf(stderr, "ttleak-bpf: note: %s: event times span more than %d days, so some are "
			"damaged: the traced time is unknown\n", opts->replay_path, REPLAY_MAX_SPAN_DAYS);
	status = pipeline__finish(p, &run, last_ns);
cleanup:
	pipeline__free(p);
	event_log_reader__close(reader);
	stack_store__free(stacks);
	run_record__free(&rec);
	return status;
}
