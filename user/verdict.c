// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdlib.h>
#include <sys/wait.h>
#include "cli.h"
#include "probes.h"
#include "verdict.h"

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

void verdict__filter(struct tracker_results *r, uint32_t checks)
{
	size_t i, kept = 0;

	for (i = 0; i < r->n_findings; i++) {
		if (checks & check_of(r->findings[i].kind))
			r->findings[kept++] = r->findings[i];
		else
			free(r->findings[i].sites);
	}
	r->n_findings = kept;
}

uint64_t verdict__lost_events(const struct run_info *run, const struct tracker_results *r)
{
	uint64_t lost = 0;
	size_t i;

	for (i = 0; i < TTLEAK_DROP_REASON_MAX; i++)
		lost += run->drops[i];
	for (i = 0; i < r->n_processes; i++)
		lost += r->processes[i].unreadable + r->processes[i].implausible;
	return lost;
}

bool verdict__command_failed(const struct run_info *run)
{
	return run->command_ran &&
	       !(WIFEXITED(run->command_status) && WEXITSTATUS(run->command_status) == 0);
}

bool verdict__certified(const struct run_info *run, const struct tracker_results *r)
{
	uint64_t dropped = 0, bad = 0;
	size_t i;

	for (i = 0; i < TTLEAK_DROP_REASON_MAX; i++)
		dropped += run->drops[i];
	for (i = 0; i < r->n_processes; i++)
		bad += r->processes[i].unreadable + r->processes[i].implausible;
	/* --allow-drops accepts lost events, never unreadable ones: those
	 * mean the layout is wrong and every number may be. */
	return bad == 0 && (dropped == 0 || run->allow_drops) && !verdict__command_failed(run);
}

int verdict__exit_status(const struct run_info *run, const struct tracker_results *r)
{
	if (!verdict__certified(run, r))
		return EXIT_UNCERTIFIED;
	return r->n_findings ? EXIT_LEAK : EXIT_CLEAN;
}
