// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdlib.h>
#include <sys/wait.h>
#include "attach/probes.h"
#include "model/verdict.h"

static uint32_t check_of(enum finding_kind kind)
{
	switch (kind) {
	case FINDING_CB_TRACKING: return CHECK_CB_TRACKING;
	case FINDING_RECLAIMED_AT_CLOSE: return CHECK_RECLAIMED;
	case FINDING_NEVER_FREED: return CHECK_NEVER_FREED;
	case FINDING_GROWTH: return CHECK_GROWTH;
	default: return CHECK_ANOMALIES;
	}
}

static void filter(struct tracker_results *r, uint32_t checks)
{
	size_t i, kept = 0;

	for (i = 0; i < r->n_findings; i++) {
		if (checks & check_of(r->findings[i].kind))
			r->findings[kept++] = r->findings[i];
		else
			finding_group__release(&r->findings[i]);
	}
	r->n_findings = kept;
}

struct tracker_results *verdict__results(struct tracker *t, uint32_t checks)
{
	struct tracker_results *r = tracker__results(t);

	filter(r, checks);
	return r;
}

uint64_t verdict__ringbuf_drops(const struct run_info *run)
{
	uint64_t n = 0;
	size_t i;

	for (i = 0; i < TTLEAK_DROP_REASON_MAX; i++)
		n += run->drops[i];
	return n;
}

/* Lost in BPF (ring buffer full) or by the tracker (a process over its
 * --max-live budget). */
static uint64_t dropped_events(const struct run_info *run, const struct tracker_results *r)
{
	uint64_t n = verdict__ringbuf_drops(run);
	size_t i;

	for (i = 0; i < r->n_processes; i++)
		n += r->processes[i].budget_drops;
	return n;
}

static bool libraries_untraced(const struct run_info *run)
{
	size_t i;

	for (i = 0; i < run->n_libraries; i++)
		if (!run->libraries[i].traced)
			return true;
	return false;
}

/* Events whose fields could not be read or cannot be true. */
static uint64_t bad_events(const struct tracker_results *r)
{
	uint64_t n = 0;
	size_t i;

	for (i = 0; i < r->n_processes; i++)
		n += r->processes[i].unreadable + r->processes[i].implausible;
	return n;
}

bool verdict__layout_suspect(const struct tracker_results *r)
{
	return bad_events(r) != 0;
}

uint64_t verdict__lost_events(const struct run_info *run, const struct tracker_results *r)
{
	return dropped_events(run, r) + bad_events(r);
}

bool verdict__command_failed(const struct run_info *run)
{
	return run->command_ran &&
	       !(WIFEXITED(run->command_status) && WEXITSTATUS(run->command_status) == 0);
}

bool verdict__certified(const struct run_info *run, const struct tracker_results *r)
{
	/* --allow-drops accepts lost events, never unreadable ones: those
	 * mean the layout is wrong and every number may be. */
	return bad_events(r) == 0 && (dropped_events(run, r) == 0 || run->allow_drops) &&
	       !verdict__command_failed(run) && !libraries_untraced(run);
}

int verdict__exit_status(const struct run_info *run, const struct tracker_results *r)
{
	if (!verdict__certified(run, r))
		return EXIT_UNCERTIFIED;
	return r->n_findings ? EXIT_LEAK : EXIT_CLEAN;
}
