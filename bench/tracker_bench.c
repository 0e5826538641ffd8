// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tracker_bench: the user-space tracker alone, without BPF or file output.
 *
 *   tracker_bench replay LOG     events per second through tracker__consume(),
 *                                timing only the tracker (the log is read in
 *                                chunks between timed sections), then the cost
 *                                of tracker__results() at the end
 *   tracker_bench memory [LIVE]  heap and RSS per live allocation with LIVE
 *                                buffers live at once (default 1,000,000)
 *
 * Prints one JSON object.
 */
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "bench_common.h"
#include "model/event_log.h"
#include "model/tracker.h"

#define CHUNK 65536

static int replay(const char *path)
{
	struct ttleak_event *chunk = malloc(CHUNK * sizeof(*chunk));
	struct event_log_header h;
	struct tracker_opts topts = { 0 };
	struct event_log_reader *r;
	struct tracker_results *res;
	struct tracker *t;
	uint64_t consume_ns = 0, results_ns, events = 0, t0;
	char err[512];
	size_t n, i;
	int ret = 1;

	r = event_log_reader__open(path, &h, err, sizeof(err));
	if (!r || !chunk) {
		fprintf(stderr, "tracker_bench: %s\n", r ? "out of memory" : err);
		goto out;
	}
	topts.attached_mid_run = h.flags & EVENT_LOG_F_ATTACHED;
	t = tracker__new(&topts);
	if (!t)
		goto out;
	do {
		for (n = 0; n < CHUNK && (ret = event_log_reader__next(r, &chunk[n], err,
								      sizeof(err))) == 1; n++)
			;
		t0 = bench_now_ns();
		for (i = 0; i < n; i++)
			tracker__consume(t, &chunk[i]);
		consume_ns += bench_now_ns() - t0;
		events += n;
	} while (ret == 1);
	if (ret < 0) {
		fprintf(stderr, "tracker_bench: %s\n", err);
		tracker__free(t);
		ret = 1;
		goto out;
	}
	t0 = bench_now_ns();
	res = tracker__results(t);
	results_ns = bench_now_ns() - t0;
	printf("{\"program\":\"tracker_bench\",\"mode\":\"replay\",\"events\":%llu,"
	       "\"consume_s\":%.6f,\"events_per_s\":%.0f,\"results_s\":%.6f,\"findings\":%zu}\n",
	       (unsigned long long)events, consume_ns / 1e9, events / (consume_ns / 1e9),
	       results_ns / 1e9, res ? res->n_findings : 0);
	tracker_results__free(res);
	tracker__free(t);
	ret = 0;
out:
	if (r)
		event_log_reader__close(r);
	free(chunk);
	return ret;
}

static long rss_bytes(void)
{
	long size = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f) {
		if (fscanf(f, "%ld %ld", &size, &resident) != 2)
			resident = 0;
		fclose(f);
	}
	return resident * sysconf(_SC_PAGESIZE);
}

/* LIVE buffers on two devices of one process, all live at once. */
static int memory(unsigned long live)
{
	struct ttleak_event ev = {
		.tgid = 4242, .tid = 4243, .kind = TTLEAK_EV_BUFFER_ALLOC,
		.buffer_type = TTLEAK_BUF_DRAM, .page_size = 2048, .size = 4096, .stack_id = -1,
	};
	struct tracker *t = tracker__new(NULL);
	struct mallinfo2 before, after;
	long rss_before, rss_after;
	uint64_t t0, ns;
	unsigned long i;

	if (!t)
		return 1;
	ev.chip_id = 0;  /* a first event, so the process and devices exist before we measure */
	ev.device = 0x5550000000ull;
	ev.allocator = 0x5560000000ull;
	ev.address = 1;
	tracker__consume(t, &ev);
	ev.chip_id = 1;
	ev.device += 0x10000;
	ev.allocator += 0x10000;
	tracker__consume(t, &ev);
	malloc_trim(0);
	before = mallinfo2();
	rss_before = rss_bytes();
	t0 = bench_now_ns();
	for (i = 0; i < live; i++) {
		ev.chip_id = (int32_t)(i & 1);
		ev.device = 0x5550000000ull + (i & 1) * 0x10000;
		ev.allocator = 0x5560000000ull + (i & 1) * 0x10000;
		ev.address = 0x100000 + (i >> 1) * 4096;
		ev.ts_ns = i;
		tracker__consume(t, &ev);
	}
	ns = bench_now_ns() - t0;
	after = mallinfo2();
	rss_after = rss_bytes();
	printf("{\"program\":\"tracker_bench\",\"mode\":\"memory\",\"live\":%lu,"
	       "\"heap_bytes_per_live\":%.1f,\"rss_bytes_per_live\":%.1f,\"insert_events_per_s\":%.0f}\n",
	       live, (double)(after.uordblks - before.uordblks) / live,
	       (double)(rss_after - rss_before) / live, live / (ns / 1e9));
	tracker__free(t);
	return 0;
}

int main(int argc, char **argv)
{
	char *end;
	unsigned long live = 1000000;

	if (argc == 3 && strcmp(argv[1], "replay") == 0)
		return replay(argv[2]);
	if ((argc == 2 || argc == 3) && strcmp(argv[1], "memory") == 0) {
		if (argc == 3) {
			errno = 0;
			live = strtoul(argv[2], &end, 10);
			if (errno || *end || !live)
				goto usage;
		}
		return memory(live);
	}
usage:
	fprintf(stderr, "usage: tracker_bench replay LOG | tracker_bench memory [LIVE]\n");
	return 2;
}
