// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * gen_events: write an event log (--record format, user/event_log.h) of what
 * the tracer sees of a long ttnn-like job, for the tracker's throughput.
 *
 *   gen_events OUT [EVENTS]        (default 10,000,000 events)
 *
 * One process, two devices, one thread per device. Each op allocates one to
 * three buffers, lays out its cached program (CB layout; the CBs themselves
 * once per program per device open), and frees its inputs; one op in a
 * hundred leaks a buffer, which the next close reclaims. Every 20,000 ops a
 * device closes: its programs are destroyed (with their CB reports), then
 * the allocator is cleared and reset. Addresses are reused like a real
 * allocator's, so the tracker's tables see hits, misses and deletions.
 * Deterministic: the same log every time.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "model/event_log.h"
#include "attach/probes.h"

#define DEVICES 2
#define PROGRAMS 16
#define CLOSE_EVERY 20000
#define TGID 4242
#define MAX_LIVE 8

struct device_sim {
	uint64_t device, allocator, program_base;
	uint64_t next_addr;
	uint64_t free_addrs[64];  /* recently freed addresses, reused first */
	unsigned n_free;
	uint64_t live[MAX_LIVE], live_size[MAX_LIVE];
	unsigned n_live;
	uint64_t ops;
	uint32_t laid_out;        /* bit per program: CBs allocated since the open */
	int chip;
};

struct gen {
	struct event_log_writer *w;
	uint64_t n, limit, ts;
	int err;
};

static void emit(struct gen *g, const struct device_sim *d, uint8_t kind, struct ttleak_event ev)
{
	if (g->err || g->n == g->limit)
		return;
	ev.ts_ns = g->ts += 700;
	ev.tgid = TGID;
	ev.tid = TGID + 1 + (uint32_t)d->chip;
	ev.kind = kind;
	ev.chip_id = d->chip;
	ev.stack_id = -1;
	if (!ev.device)
		ev.device = d->device;
	g->err = event_log_writer__append(g->w, &ev);
	g->n++;
}

static uint64_t take_addr(struct device_sim *d)
{
	if (d->n_free)
		return d->free_addrs[--d->n_free];
	d->next_addr += 0x40000;
	return d->next_addr;
}

static void buffer_alloc(struct gen *g, struct device_sim *d, uint64_t addr, uint64_t size)
{
	emit(g, d, TTLEAK_EV_BUFFER_ALLOC, (struct ttleak_event){
		.buffer_type = TTLEAK_BUF_DRAM, .object = 0x7f0000000000ull + addr,
		.allocator = d->allocator, .address = addr, .size = size, .page_size = 2048 });
}

static void buffer_free(struct gen *g, struct device_sim *d, uint64_t addr, uint64_t size)
{
	emit(g, d, TTLEAK_EV_BUFFER_FREE, (struct ttleak_event){
		.buffer_type = TTLEAK_BUF_DRAM, .object = 0x7f0000000000ull + addr,
		.allocator = d->allocator, .allocator_field = d->allocator, .address = addr,
		.size = size, .page_size = 2048 });
	if (d->n_free < sizeof(d->free_addrs) / sizeof(d->free_addrs[0]))
		d->free_addrs[d->n_free++] = addr;
}

static void op(struct gen *g, struct device_sim *d)
{
	unsigned n_out = 1 + d->ops % 3, prog = d->ops % PROGRAMS, i, cbs = 3 + prog % 4;
	uint64_t out[3], size = 262144, program = d->program_base + prog * 0x1000;

	for (i = 0; i < n_out; i++) {
		out[i] = take_addr(d);
		buffer_alloc(g, d, out[i], size);
	}
	emit(g, d, TTLEAK_EV_CB_LAYOUT, (struct ttleak_event){ .object = program });
	if (!(d->laid_out & (1u << prog))) {
		for (i = 0; i < cbs; i++)
			emit(g, d, TTLEAK_EV_CB_ALLOC, (struct ttleak_event){
				.address = 101152 + i * 4096, .size = 4096 });
		d->laid_out |= 1u << prog;
	}
	/* The inputs go, except one in a hundred ops', which leaks until the close. */
	for (i = 0; i < d->n_live; i++)
		if (d->ops % 100 != 0)
			buffer_free(g, d, d->live[i], d->live_size[i]);
	for (i = 0; i < n_out; i++) {
		d->live[i] = out[i];
		d->live_size[i] = size;
	}
	d->n_live = n_out;
	d->ops++;
}

static void close_device(struct gen *g, struct device_sim *d)
{
	unsigned p;

	emit(g, d, TTLEAK_EV_DEVICE_CLOSE, (struct ttleak_event){ .object = d->device });
	for (p = 0; p < PROGRAMS; p++) {
		emit(g, d, TTLEAK_EV_PROGRAM_DESTROY,
		     (struct ttleak_event){ .object = d->program_base + p * 0x1000 });
		emit(g, d, TTLEAK_EV_CB_DEALLOC, (struct ttleak_event){ .device = d->device });
	}
	emit(g, d, TTLEAK_EV_ALLOCATOR_RESET,
	     (struct ttleak_event){ .object = d->allocator, .allocator = d->allocator });
	emit(g, d, TTLEAK_EV_ALLOCATOR_RESET,
	     (struct ttleak_event){ .object = d->allocator, .allocator = d->allocator });
	/* Reopen: new program objects, a fresh allocator state. */
	d->program_base += PROGRAMS * 0x1000;
	d->next_addr = 0;
	d->n_free = d->n_live = 0;
	d->laid_out = 0;
}

int main(int argc, char **argv)
{
	/* What the tracer attaches in a 2026 build, so that --replay checks everything. */
	struct event_log_header h = {
		.target_pid = TGID,
		.probe_mask = (1ull << PROBE_MAX) - 1 - (1ull << PROBE_PROGRAM_DTOR),
	};
	struct device_sim devs[DEVICES];
	struct gen g = { .limit = 10000000, .ts = 1000000000ull };
	char *end;
	int i;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: gen_events OUT [EVENTS]\n");
		return 2;
	}
	if (argc == 3) {
		errno = 0;
		g.limit = strtoull(argv[2], &end, 10);
		if (errno || *end || g.limit < 2) {
			fprintf(stderr, "gen_events: bad event count '%s'\n", argv[2]);
			return 2;
		}
	}
	memset(devs, 0, sizeof(devs));
	for (i = 0; i < DEVICES; i++) {
		devs[i].chip = i;
		devs[i].device = 0x5550000000ull + i * 0x10000;
		devs[i].allocator = 0x5560000000ull + i * 0x10000;
		devs[i].program_base = 0x5600000000ull + (uint64_t)i * 0x100000000ull;
	}
	g.w = event_log_writer__open(argv[1], &h);
	if (!g.w) {
		fprintf(stderr, "gen_events: cannot write %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	g.limit--; /* the process exit closes the log */
	while (g.n < g.limit && !g.err)
		for (i = 0; i < DEVICES; i++) {
			op(&g, &devs[i]);
			if (devs[i].ops % CLOSE_EVERY == 0)
				close_device(&g, &devs[i]);
		}
	g.limit++;
	emit(&g, &devs[0], TTLEAK_EV_PROCESS_EXIT, (struct ttleak_event){ .device = 0 });
	if (event_log_writer__close(g.w, NULL) || g.err) {
		fprintf(stderr, "gen_events: writing %s failed\n", argv[1]);
		return 1;
	}
	printf("{\"program\":\"gen_events\",\"events\":%llu}\n", (unsigned long long)g.n);
	return 0;
}
