// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit tests of the tracker: every finding, and the corner cases that make
 * a tracer lie (pre-attach frees, double frees, reused addresses). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "model/tracker.h"

#define PID 100
#define TID 101
#define ALLOC0 0xa000
#define ALLOC1 0xa100
#define DEV0 0xd000
#define DEV1 0xd100
#define PROG_A 0xf000
#define PROG_B 0xf100

static struct ttleak_event base(uint8_t kind)
{
	struct ttleak_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.kind = kind;
	ev.tgid = PID;
	ev.tid = TID;
	ev.chip_id = TTLEAK_CHIP_UNKNOWN;
	ev.mesh_id = TTLEAK_MESH_UNKNOWN;
	ev.stack_id = -1;
	return ev;
}

static void buffer_event(struct tracker *t, uint8_t kind, uint64_t allocator, int chip,
			 uint64_t device, uint8_t type, uint64_t address, uint64_t size)
{
	struct ttleak_event ev = base(kind);

	ev.allocator = allocator;
	ev.allocator_field = allocator; /* a free's `this` is the buffer's allocator_ */
	ev.chip_id = chip;
	ev.device = device;
	ev.buffer_type = type;
	ev.address = address;
	ev.size = size;
	ev.object = 0xb000 + address;
	tracker__consume(t, &ev);
}

static void alloc(struct tracker *t, uint8_t type, uint64_t address, uint64_t size)
{
	buffer_event(t, TTLEAK_EV_BUFFER_ALLOC, ALLOC0, 0, DEV0, type, address, size);
}

static void release(struct tracker *t, uint8_t type, uint64_t address, uint64_t size)
{
	buffer_event(t, TTLEAK_EV_BUFFER_FREE, ALLOC0, 0, DEV0, type, address, size);
}

static void simple(struct tracker *t, uint8_t kind, uint64_t object, uint64_t device, int chip)
{
	struct ttleak_event ev = base(kind);

	ev.object = object;
	ev.allocator = object;
	ev.device = device;
	ev.chip_id = chip;
	tracker__consume(t, &ev);
}

static void layout(struct tracker *t, uint64_t program, uint64_t device, int chip,
		   const uint64_t *sizes, size_t n)
{
	uint64_t address = 101152;
	size_t i;

	simple(t, TTLEAK_EV_CB_LAYOUT, program, device, chip);
	for (i = 0; i < n; i++) {
		struct ttleak_event ev = base(TTLEAK_EV_CB_ALLOC);

		ev.device = device;
		ev.chip_id = chip;
		ev.address = address;
		ev.size = sizes[i];
		tracker__consume(t, &ev);
		address += sizes[i];
	}
}

static const uint64_t seed_cbs[] = { 4096, 4096, 2048 };

static const struct finding_group *find(const struct tracker_results *r, enum finding_kind kind,
					int row)
{
	size_t i;

	for (i = 0; i < r->n_findings; i++)
		if (r->findings[i].kind == kind && r->findings[i].row == row)
			return &r->findings[i];
	return NULL;
}

static struct tracker *new_tracker(bool mid_run)
{
	struct tracker_opts opts = { .attached_mid_run = mid_run };
	struct tracker *t = tracker__new(&opts);

	assert_non_null(t);
	return t;
}

static void test_clean_run_has_no_findings(void **state)
{
	struct tracker *t = new_tracker(false);
	struct tracker_results *r;

	(void)state;
	alloc(t, TTLEAK_BUF_DRAM, 0x1000, 4096);
	alloc(t, TTLEAK_BUF_L1, 0x1000, 2048); /* same address, other bank manager */
	layout(t, PROG_A, DEV0, 0, seed_cbs, 3);
	release(t, TTLEAK_BUF_DRAM, 0x1000, 4096);
	release(t, TTLEAK_BUF_L1, 0x1000, 2048);
	simple(t, TTLEAK_EV_PROGRAM_DESTROY, PROG_A, 0, TTLEAK_CHIP_UNKNOWN);
	simple(t, TTLEAK_EV_CB_DEALLOC, 0, DEV0, 0);
	simple(t, TTLEAK_EV_PROCESS_EXIT, 0, 0, TTLEAK_CHIP_UNKNOWN);
	r = tracker__results(t);
	assert_int_equal(r->n_findings, 0);
	assert_int_equal(r->n_devices, 1);
	assert_int_equal(r->devices[0].rows[TTLEAK_BUF_DRAM].allocs, 1);
	assert_int_equal(r->devices[0].rows[TTLEAK_BUF_DRAM].frees, 1);
	assert_int_equal(r->devices[0].rows[TTLEAK_BUF_DRAM].live_count, 0);
	assert_int_equal(r->devices[0].rows[TTLEAK_BUF_DRAM].peak_bytes, 4096);
	assert_int_equal(r->devices[0].rows[TRACKER_ROW_CB].allocs, 3);
	assert_int_equal(r->devices[0].rows[TRACKER_ROW_CB].live_bytes, 0);
	assert_int_equal(r->devices[0].listener_live, 0);
	tracker_results__free(r);
	tracker__free(t);
}

/* Seed 1: programs die, track_deallocate_cb never comes. */
static void test_cb_tracking_imbalance(void **state)
{
	struct tracker *t = new_tracker(false);
	struct tracker_results *r;
	const struct finding_group *g;

	(void)state;
	layout(t, PROG_A, DEV0, 0, seed_cbs, 3);
	layout(t, PROG_B, DEV0, 0, seed_cbs, 3);
	simple(t, TTLEAK_EV_PROGRAM_DESTROY, PROG_A, 0, TTLEAK_CHIP_UNKNOWN);
	simple(t, TTLEAK_EV_CB_LAYOUT, PROG_B, DEV0, 0); /* the thread goes on: ~Program is over */
	r = tracker__results(t);
	g = find(r, FINDING_CB_TRACKING, TRACKER_ROW_CB);
	assert_non_null(g);
	assert_int_equal(g->count, 3); /* PROG_B is alive: its CBs are real */
	assert_int_equal(g->bytes, 10240);
	assert_int_equal(g->programs, 1);
	assert_int_equal(g->n_sites, 3);
	assert_int_equal(g->sites[0].address, 101152);
	assert_int_equal(g->device.chip_id, 0);
	/* Live CB bytes are PROG_B's only: PROG_A's space is free again. */
	assert_int_equal(r->devices[0].rows[TRACKER_ROW_CB].live_bytes, 10240);
	tracker_results__free(r);
	/* A report for the device clears the listener's view. */
	simple(t, TTLEAK_EV_CB_DEALLOC, 0, DEV0, 0);
	r = tracker__results(t);
	assert_null(find(r, FINDING_CB_TRACKING, TRACKER_ROW_CB));
	tracker_results__free(r);
	tracker__free(t);
}

static void test_device_less_cb_dealloc_clears_every_device(void **state)
{
	struct tracker *t = new_tracker(false);
	struct tracker_results *r;
	struct ttleak_event ev = base(TTLEAK_EV_CB_DEALLOC);

	(void)state;
	layout(t, PROG_A, DEV0, 0, seed_cbs, 3);
	layout(t, PROG_B, DEV1, 1, seed_cbs, 3);
	simple(t, TTLEAK_EV_PROGRAM_DESTROY, PROG_A, 0, TTLEAK_CHIP_UNKNOWN);
	simple(t, TTLEAK_EV_PROGRAM_DESTROY, PROG_B, 0, TTLEAK_CHIP_UNKNOWN);
	ev.flags = TTLEAK_F_NO_DEVICE;
	tracker__consume(t, &ev);
	r = tracker__results(t);
	assert_int_equal(r->n_findings, 0);
	tracker_results__free(r);
	tracker__free(t);
}

/* A program laid out again on the same device replaces its CBs. */
static void test_relayout_replaces_program_cbs(void **state)
{
	struct tracker *t = new_tracker(false);
	struct tracker_results *r;
	const uint64_t one[] = { 8192 };

	(void)state;
	layout(t, PROG_A, DEV0, 0, seed_cbs, 3);
	layout(t, PROG_A, DEV0, 0, NULL, 0); /* already laid out: returns early */
	r = tracker__results(t);
	assert_int_equal(r->devices[0].rows[TRACKER_ROW_CB].live_bytes, 10240);
	tracker_results__free(r);
	layout(t, PROG_A, DEV0, 0, one, 1);
	r = tracker__results(t);
	assert_int_equal(r->devices[0].rows[TRACKER_ROW_CB].live_count, 1);
	assert_int_equal(r->devices[0].rows[TRACKER_ROW_CB].live_bytes, 8192);
	tracker_results__free(r);
	tracker__free(t);
}

static void test_cb_outside_layout_is_unattributed(void **state)
{
	struct tracker *t = new_tracker(false);
	struct tracker_results *r;
	struct ttleak_event ev = base(TTLEAK_EV_CB_ALLOC);

	(void)state;
	layout(t, PROG_A, DEV0, 0, NULL, 0);
	alloc(t, TTLEAK_BUF_L1, 0x100, 64); /* the thread left allocate_circular_buffers */
	ev.device = DEV0;
	ev.chip_id = 0;
	ev.address = 101152;
	ev.size = 4096;
	tracker__consume(t, &ev);
	r = tracker__results(t);
	assert_int_equal(r->processes[0].unattributed_cbs, 1);
	assert_int_equal(r->devices[0].rows[TRACKER_ROW_CB].allocs, 0);
	tracker_results__free(r);
	tracker__free(t);
}

/* Seed 2: the kernel-binary buffer survives until the allocator reset. */
static void test_reclaimed_at_close(void **state)
{
	struct tracker *t = new_tracker(false);
	struct tracker_results *r;
	const struct finding_group *g;

	(void)state;
	alloc(t, TTLEAK_BUF_DRAM, 0x3FFFF000, 24576);
	alloc(t, TTLEAK_BUF_L1, 0x2000, 1024);
	release(t, TTLEAK_BUF_L1, 0x2000, 1024);
	simple(t, TTLEAK_EV_DEVICE_CLOSE, DEV0, DEV0, 0);
	simple(t, TTLEAK_EV_ALLOCATOR_RESET, ALLOC0, 0, TTLEAK_CHIP_UNKNOWN);
	simple(t, TTLEAK_EV_ALLOCATOR_RESET, ALLOC0, 0, TTLEAK_CHIP_UNKNOWN); /* clear() again */
	/* The owner frees it after close: not an error, counted apart. */
	release(t, TTLEAK_BUF_DRAM, 0x3FFFF000, 24576);
	simple(t, TTLEAK_EV_PROCESS_EXIT, 0, 0, TTLEAK_CHIP_UNKNOWN);
	r = tracker__results(t);
	g = find(r, FINDING_RECLAIMED_AT_CLOSE, TTLEAK_BUF_DRAM);
	assert_non_null(g);
	assert_int_equal(g->count, 1);
	assert_int_equal(g->bytes, 24576);
	assert_int_equal(g->sites[0].address, 1073737728);
	assert_null(find(r, FINDING_NEVER_FREED, TTLEAK_BUF_DRAM));
	assert_null(find(r, FINDING_ANOMALY, TTLEAK_BUF_DRAM));
	assert_int_equal(r->processes[0].late_frees, 1);
	assert_int_equal(r->devices[0].rows[TTLEAK_BUF_DRAM].reclaimed, 1);
	assert_int_equal(r->devices[0].rows[TTLEAK_BUF_DRAM].live_count, 0);
	tracker_results__free(r);
	tracker__free(t);
}

static void test_never_freed_at_exit(void **state)
{
	struct tracker *t = new_tracker(false);
	struct tracker_results *r;
	const struct finding_group *g;

	(void)state;
	alloc(t, TTLEAK_BUF_L1, 0x8000, 2048);
	alloc(t, TTLEAK_BUF_L1, 0x9000, 2048);
	release(t, TTLEAK_BUF_L1, 0x9000, 2048);
	r = tracker__results(t);
	assert_null(find(r, FINDING_NEVER_FREED, TTLEAK_BUF_L1)); /* still running */
	tracker_results__free(r);
	simple(t, TTLEAK_EV_PROCESS_EXIT, 0, 0, TTLEAK_CHIP_UNKNOWN);
	r = tracker__results(t);
	g = find(r, FINDING_NEVER_FREED, TTLEAK_BUF_L1);
	assert_non_null(g);
	assert_int_equal(g->count, 1);
	assert_int_equal(g->sites[0].address, 0x8000);
	assert_true(r->processes[0].exited);
	tracker_results__free(r);
	tracker__free(t);
}

static void close_cycle(struct tracker *t, int leaked_programs)
{
	int i;

	for (i = 0; i < leaked_programs; i++) {
		layout(t, PROG_A + (uint64_t)i, DEV0, 0, seed_cbs, 3);
		simple(t, TTLEAK_EV_PROGRAM_DESTROY, PROG_A + (uint64_t)i, 0, TTLEAK_CHIP_UNKNOWN);
	}
	simple(t, TTLEAK_EV_DEVICE_CLOSE, DEV0, DEV0, 0);
	simple(t, TTLEAK_EV_ALLOCATOR_RESET, ALLOC0, 0, TTLEAK_CHIP_UNKNOWN);
}

static void test_growth_across_closes(void **state)
{
	struct tracker *t = new_tracker(false);
	struct tracker_results *r;
	const struct finding_group *g;

	(void)state;
	alloc(t, TTLEAK_BUF_DRAM, 0x3FFFF000, 24576); /* maps ALLOC0 to the device */
	close_cycle(t, 1);
	close_cycle(t, 1);
	r = tracker__results(t);
	assert_null(find(r, FINDING_GROWTH, TRACKER_ROW_CB)); /* two samples only */
	tracker_results__free(r);
	close_cycle(t, 2);
	r = tracker__results(t);
	g = find(r, FINDING_GROWTH, TRACKER_ROW_CB);
	assert_non_null(g);
	assert_int_equal(g->n_series, 3);
	assert_int_equal(g->series[0], 4);  /* 1 reclaimed buffer + 3 CBs */
	assert_int_equal(g->series[1], 7);
	assert_int_equal(g->series[2], 13);
	tracker_results__free(r);
	tracker__free(t);
}

static void test_pre_attach_frees_are_counted_apart(void **state)
{
	struct tracker *t = new_tracker(true);
	struct tracker_results *r;

	(void)state;
	release(t, TTLEAK_BUF_DRAM, 0x5000, 4096);
	simple(t, TTLEAK_EV_PROGRAM_DESTROY, PROG_A, 0, TTLEAK_CHIP_UNKNOWN);
	r = tracker__results(t);
	assert_int_equal(r->n_findings, 0);
	assert_int_equal(r->processes[0].pre_attach_frees, 1);
	assert_int_equal(r->processes[0].pre_attach_free_bytes, 4096);
	assert_int_equal(r->processes[0].unknown_programs, 1);
	tracker_results__free(r);
	tracker__free(t);
}

static void test_anomalies(void **state)
{
	struct tracker *t = new_tracker(false);
	struct tracker_results *r;
	size_t i, unknown = 0, twice = 0, overlap = 0;

	(void)state;
	release(t, TTLEAK_BUF_DRAM, 0x5000, 4096);  /* never allocated, traced from start */
	alloc(t, TTLEAK_BUF_DRAM, 0x6000, 4096);
	release(t, TTLEAK_BUF_DRAM, 0x6000, 4096);
	release(t, TTLEAK_BUF_DRAM, 0x6000, 4096);  /* double free */
	alloc(t, TTLEAK_BUF_L1, 0x7000, 64);
	alloc(t, TTLEAK_BUF_L1, 0x7000, 128);       /* over a live buffer */
	release(t, TTLEAK_BUF_L1, 0x7000, 128);
	r = tracker__results(t);
	for (i = 0; i < r->n_findings; i++) {
		const struct finding_group *g = &r->findings[i];

		assert_int_equal(g->kind, FINDING_ANOMALY);
		unknown += g->anomaly == ANOMALY_UNKNOWN_FREE ? g->count : 0;
		twice += g->anomaly == ANOMALY_DOUBLE_FREE ? g->count : 0;
		overlap += g->anomaly == ANOMALY_OVERLAP ? g->count : 0;
	}
	assert_int_equal(unknown, 1);
	assert_int_equal(twice, 1);
	assert_int_equal(overlap, 1);
	assert_int_equal(r->devices[0].rows[TTLEAK_BUF_L1].live_count, 0);
	tracker_results__free(r);
	tracker__free(t);
}

static void test_devices_and_processes_are_separate(void **state)
{
	struct tracker *t = new_tracker(false);
	struct tracker_results *r;
	struct ttleak_event ev = base(TTLEAK_EV_PROCESS_EXIT);

	(void)state;
	buffer_event(t, TTLEAK_EV_BUFFER_ALLOC, ALLOC0, 0, DEV0, TTLEAK_BUF_DRAM, 0x1000, 64);
	buffer_event(t, TTLEAK_EV_BUFFER_ALLOC, ALLOC1, 1, DEV1, TTLEAK_BUF_DRAM, 0x1000, 64);
	/* chip id unreadable: the device is named by pointer */
	buffer_event(t, TTLEAK_EV_BUFFER_ALLOC, 0xa200, TTLEAK_CHIP_UNKNOWN, 0xd200,
		     TTLEAK_BUF_DRAM, 0x1000, 64);
	ev.tgid = PID + 1;
	tracker__consume(t, &ev); /* a process never seen exits: not ours, ignored */
	buffer_event(t, TTLEAK_EV_BUFFER_FREE, ALLOC1, 1, DEV1, TTLEAK_BUF_DRAM, 0x1000, 64);
	ev.tgid = PID + 2; /* another traced process: its state stays apart */
	ev.kind = TTLEAK_EV_BUFFER_ALLOC;
	ev.allocator = ALLOC0;
	ev.device = DEV0;
	ev.chip_id = 0;
	ev.address = 0x1000;
	ev.size = 64;
	tracker__consume(t, &ev);
	r = tracker__results(t);
	assert_int_equal(r->n_devices, 4);
	assert_int_equal(r->n_processes, 2);
	assert_int_equal(r->devices[0].id.chip_id, 0);
	assert_int_equal(r->devices[0].rows[TTLEAK_BUF_DRAM].live_count, 1);
	assert_int_equal(r->devices[1].id.chip_id, 1);
	assert_int_equal(r->devices[1].rows[TTLEAK_BUF_DRAM].live_count, 0);
	assert_int_equal(r->devices[2].id.chip_id, TTLEAK_CHIP_UNKNOWN);
	assert_int_equal(r->devices[2].id.ptr, 0xd200);
	assert_int_equal(r->devices[2].id.ordinal, 2);
	assert_int_equal(r->devices[3].tgid, PID + 2);
	assert_int_equal(r->devices[3].id.ordinal, 0);
	assert_int_equal(r->devices[3].rows[TTLEAK_BUF_DRAM].live_count, 1);
	assert_int_equal(r->n_findings, 0);
	tracker_results__free(r);
	tracker__free(t);
}

static void test_unreadable_and_implausible_events_are_counted(void **state)
{
	struct tracker *t = new_tracker(false);
	struct tracker_results *r;
	struct ttleak_event ev = base(TTLEAK_EV_BUFFER_ALLOC);

	(void)state;
	ev.flags = TTLEAK_F_READ_FAULT;
	tracker__consume(t, &ev);
	ev.flags = 0;
	ev.allocator = ALLOC0;
	ev.size = 64;
	ev.buffer_type = 17; /* no such BufferType: the layout is wrong */
	tracker__consume(t, &ev);
	r = tracker__results(t);
	assert_int_equal(r->processes[0].unreadable, 1);
	assert_int_equal(r->processes[0].implausible, 1);
	assert_int_equal(r->n_devices, 0);
	tracker_results__free(r);
	tracker__free(t);
}

/* Device::id_ read at a wrong offset gives garbage chip ids: each would
 * become a device of its own. They count as implausible instead, and the
 * device is named by its pointer; ids 0..4095 stay chips. */
static void test_implausible_chip_ids_are_counted(void **state)
{
	struct tracker *t = new_tracker(false);
	struct tracker_results *r;

	(void)state;
	buffer_event(t, TTLEAK_EV_BUFFER_ALLOC, ALLOC0, 0x7f3a1c00, DEV0, TTLEAK_BUF_DRAM, 0x1000, 64);
	buffer_event(t, TTLEAK_EV_BUFFER_ALLOC, ALLOC0, -5, DEV0, TTLEAK_BUF_DRAM, 0x2000, 64);
	buffer_event(t, TTLEAK_EV_BUFFER_FREE, ALLOC0, 0x7f3a1c00, DEV0, TTLEAK_BUF_DRAM, 0x1000, 64);
	buffer_event(t, TTLEAK_EV_BUFFER_ALLOC, ALLOC1, 4095, DEV1, TTLEAK_BUF_L1, 0x1000, 32);
	r = tracker__results(t);
	/* the free finds its buffer by allocator and address: its chip id is not used */
	assert_int_equal(r->processes[0].implausible, 2);
	assert_int_equal(r->processes[0].unreadable, 0);
	assert_int_equal(r->n_devices, 2);
	assert_int_equal(r->devices[0].id.chip_id, TTLEAK_CHIP_UNKNOWN);
	assert_int_equal(r->devices[0].id.ptr, DEV0);
	assert_int_equal(r->devices[0].rows[TTLEAK_BUF_DRAM].live_count, 1);
	assert_int_equal(r->devices[1].id.chip_id, 4095);
	assert_int_equal(r->n_findings, 0);
	tracker_results__free(r);
	tracker__free(t);
}


#define DEVICE_VPTR 0x7f0000001010ull
#define MESH_VPTR 0x7f0000002010ull
#define MESH0 0xe000

/* The session's announcement of where the process mapped the vtables. */
static void announce(struct tracker *t)
{
	struct ttleak_event ev = base(TTLEAK_EV_PROCESS_INFO);

	ev.tid = 0;
	ev.object = DEVICE_VPTR;
	ev.address = MESH_VPTR;
	tracker__consume(t, &ev);
}

static void on_device(struct ttleak_event *ev, uint64_t device, uint64_t vptr, int chip, int mesh)
{
	ev->device = device;
	ev->device_vptr = vptr;
	ev->chip_id = chip;
	ev->mesh_id = mesh;
}

static void mesh_buffer(struct tracker *t, uint8_t kind, uint64_t address, uint64_t size)
{
	struct ttleak_event ev = base(kind);

	on_device(&ev, MESH0, MESH_VPTR, 0x55 /* garbage read at Device::id_ */, 7);
	ev.allocator = ev.allocator_field = ALLOC1;
	ev.buffer_type = TTLEAK_BUF_DRAM;
	ev.address = address;
	ev.size = size;
	ev.page_size = 2048;
	tracker__consume(t, &ev);
}

static void mesh_cb(struct tracker *t, uint64_t device, int chip, uint64_t address, bool global)
{
	struct ttleak_event ev = base(TTLEAK_EV_CB_ALLOC);

	on_device(&ev, device, DEVICE_VPTR, chip, 0);
	ev.address = address;
	ev.size = 4096;
	if (global)
		ev.flags |= TTLEAK_F_CB_GLOBAL;
	tracker__consume(t, &ev);
}

/* A buffer whose device_ is a MeshDevice belongs to the mesh, named by its
 * id; a CB layout called with the mesh and reported per chip (2026-04 fan-out)
 * belongs to the program and tells which chips the mesh spans; a globally
 * allocated CB is not counted as CB memory (its L1 buffer is). */
static void test_mesh_buffers_and_cb_fan_out(void **state)
{
	struct tracker *t = new_tracker(false);
	struct ttleak_event ev = base(TTLEAK_EV_CB_LAYOUT);
	struct tracker_results *r;
	const struct tracker_device_info *mesh = NULL;
	size_t i;

	(void)state;
	announce(t);
	mesh_buffer(t, TTLEAK_EV_BUFFER_ALLOC, 1073737728, 24576);
	ev.object = PROG_A;
	on_device(&ev, MESH0, MESH_VPTR, 0x55, 7);
	tracker__consume(t, &ev);
	mesh_cb(t, DEV1, 1, 101152, false);
	mesh_cb(t, DEV0, 0, 101152, false);
	mesh_cb(t, DEV0, 0, 200000, true);
	ev = base(TTLEAK_EV_ALLOCATOR_RESET);
	ev.allocator = ALLOC1;
	tracker__consume(t, &ev);
	r = tracker__results(t);
	assert_int_equal(r->processes[0].unattributed_cbs, 0);
	assert_int_equal(r->processes[0].implausible, 0);
	assert_int_equal(r->processes[0].global_cbs, 1);
	for (i = 0; i < r->n_devices; i++)
		if (r->devices[i].id.kind == TRACKER_DEVICE_MESH)
			mesh = &r->devices[i];
	assert_non_null(mesh);
	assert_int_equal(mesh->id.mesh_id, 7);
	assert_int_equal(mesh->id.n_chips, 2);
	assert_int_equal(mesh->id.chips[0], 0);
	assert_int_equal(mesh->id.chips[1], 1);
	assert_int_equal(mesh->rows[TTLEAK_BUF_DRAM].reclaimed, 1);
	assert_int_equal(r->n_findings, 1);
	assert_int_equal(r->findings[0].kind, FINDING_RECLAIMED_AT_CLOSE);
	assert_int_equal(r->findings[0].device.kind, TRACKER_DEVICE_MESH);
	for (i = 0; i < r->n_devices; i++)
		if (r->devices[i].id.kind == TRACKER_DEVICE_CHIP)
			assert_int_equal(r->devices[i].rows[TRACKER_ROW_CB].live_bytes, 4096);
	tracker_results__free(r);
	tracker__free(t);
}

/* What cannot be true of any build marks the field that must be wrong: a
 * device whose vtable is neither class (device_), a free on an allocator
 * that is not the buffer's (allocator_), a size that is no page multiple. */
static void test_layout_contradictions_are_named(void **state)
{
	struct tracker *t = new_tracker(false);
	struct ttleak_event ev = base(TTLEAK_EV_BUFFER_ALLOC);
	struct tracker_results *r;

	(void)state;
	announce(t);
	on_device(&ev, DEV0, 0x1234, 0, TTLEAK_MESH_UNKNOWN);
	ev.allocator = ALLOC0;
	ev.buffer_type = TTLEAK_BUF_L1;
	ev.address = 0x1000;
	ev.size = 4096;
	ev.page_size = 1024;
	tracker__consume(t, &ev);
	ev.kind = TTLEAK_EV_BUFFER_FREE;
	ev.allocator_field = ALLOC1;
	tracker__consume(t, &ev);
	ev.kind = TTLEAK_EV_BUFFER_ALLOC;
	ev.size = 4000;
	tracker__consume(t, &ev);
	r = tracker__results(t);
	assert_int_equal(r->processes[0].implausible_by[IMPLAUSIBLE_DEVICE], 1);
	assert_int_equal(r->processes[0].implausible_by[IMPLAUSIBLE_ALLOCATOR], 1);
	assert_int_equal(r->processes[0].implausible_by[IMPLAUSIBLE_SIZE], 1);
	assert_int_equal(r->processes[0].implausible, 3);
	assert_string_equal(implausible_reason_name(IMPLAUSIBLE_DEVICE), "device_");
	tracker_results__free(r);
	tracker__free(t);
}

/* NO_DISPATCH allocations (address 0, never given to the allocator) are no
 * device memory: counted apart, never findings. */
static void test_hooked_allocations_are_not_leaks(void **state)
{
	struct tracker *t = new_tracker(false);
	struct tracker_results *r;

	(void)state;
	alloc(t, TTLEAK_BUF_L1, 0, 4096);
	alloc(t, TTLEAK_BUF_DRAM, 0, 8192);
	simple(t, TTLEAK_EV_PROCESS_EXIT, 0, 0, TTLEAK_CHIP_UNKNOWN);
	r = tracker__results(t);
	assert_int_equal(r->n_findings, 0);
	assert_int_equal(r->processes[0].hooked_allocs, 2);
	tracker_results__free(r);
	tracker__free(t);
}


static const struct tracker_process_info *process_of(const struct tracker_results *r)
{
	assert_int_equal(r->n_processes, 1);
	return &r->processes[0];
}

/* A process flooding allocations (or devices, or bad frees) is held to its
 * budget: the rest is dropped and counted, and the tracker stops growing. */
static void test_budget_caps_a_flood(void **state)
{
	struct tracker_opts opts = { .max_live = 100 };
	struct tracker *t = tracker__new(&opts);
	struct tracker_results *r;
	uint64_t i, held;

	(void)state;
	assert_non_null(t);
	for (i = 0; i < 1000; i++)
		alloc(t, TTLEAK_BUF_DRAM, 0x1000 + i * 4096, 4096);
	r = tracker__stats(t);
	held = process_of(r)->held;
	assert_true(held <= 100);
	assert_true(process_of(r)->budget_drops >= 900);
	tracker_results__free(r);
	/* New devices and unknown frees are records too. */
	for (i = 0; i < 1000; i++) {
		simple(t, TTLEAK_EV_DEVICE_CLOSE, 0, 0xe0000 + i * 64, (int)(i % 4000));
		buffer_event(t, TTLEAK_EV_BUFFER_FREE, ALLOC1, 0, DEV0, TTLEAK_BUF_L1,
			     0x900000 + i * 4096, 4096);
	}
	r = tracker__stats(t);
	assert_true(process_of(r)->held <= held + 2); /* the stand-in device, its allocator */
	assert_true(process_of(r)->budget_drops >= 2900);
	tracker_results__free(r);
	/* Frees of what it holds still go through and make room. */
	r = tracker__stats(t);
	held = process_of(r)->held;
	tracker_results__free(r);
	for (i = 0; i < 10; i++)
		release(t, TTLEAK_BUF_DRAM, 0x1000 + i * 4096, 4096);
	alloc(t, TTLEAK_BUF_L1, 0x2000, 4096);
	r = tracker__results(t);
	for (i = 0, held = 0; i < r->n_devices; i++)
		held += r->devices[i].rows[TTLEAK_BUF_L1].allocs;
	assert_int_equal(held, 1);
	tracker_results__free(r);
	tracker__free(t);
}

/* Freed addresses have a budget of their own; once some are forgotten, a
 * free of an unknown buffer is a drop, never a guessed finding. */
static void test_budget_of_freed_addresses(void **state)
{
	struct tracker_opts opts = { .max_live = 10 };
	struct tracker *t = tracker__new(&opts);
	struct tracker_results *r;
	uint64_t i;

	(void)state;
	assert_non_null(t);
	for (i = 0; i < 100; i++) {
		alloc(t, TTLEAK_BUF_DRAM, 0x1000 + i * 4096, 4096);
		release(t, TTLEAK_BUF_DRAM, 0x1000 + i * 4096, 4096);
	}
	release(t, TTLEAK_BUF_DRAM, 0x1000 + 99 * 4096, 4096); /* remembered: double free */
	release(t, TTLEAK_BUF_DRAM, 0x1000, 4096);             /* forgotten */
	r = tracker__results(t);
	assert_int_equal(process_of(r)->budget_drops, 1);
	assert_non_null(find(r, FINDING_ANOMALY, TTLEAK_BUF_DRAM));
	assert_int_equal(find(r, FINDING_ANOMALY, TTLEAK_BUF_DRAM)->count, 1);
	tracker_results__free(r);
	tracker__free(t);
}

/* Records come and go with what they stand for: a long clean run stays
 * far below the budget. */
static void test_budget_follows_frees(void **state)
{
	struct tracker *t = new_tracker(false);
	struct tracker_results *r;
	int round;

	(void)state;
	for (round = 0; round < 1000; round++) {
		alloc(t, TTLEAK_BUF_DRAM, 0x1000, 4096);
		layout(t, PROG_A, DEV0, 0, seed_cbs, 3);
		simple(t, TTLEAK_EV_CB_DEALLOC, 0, DEV0, 0);
		simple(t, TTLEAK_EV_PROGRAM_DESTROY, PROG_A, 0, 0);
		release(t, TTLEAK_BUF_DRAM, 0x1000, 4096);
	}
	r = tracker__results(t);
	assert_true(process_of(r)->held < 10);
	assert_int_equal(process_of(r)->budget_drops, 0);
	tracker_results__free(r);
	tracker__free(t);
}

/* A trace stopped inside a destructor, before the CB deallocation reports
 * it makes (2026-04 builds), is no imbalance: the dead program counts only
 * once its thread has moved on (another thread's events do not say so). */
static void test_destructor_in_progress_is_no_imbalance(void **state)
{
	struct tracker *t = new_tracker(true);
	struct ttleak_event other = base(TTLEAK_EV_CB_LAYOUT);
	struct tracker_results *r;

	(void)state;
	layout(t, PROG_A, DEV0, 0, seed_cbs, 3);
	simple(t, TTLEAK_EV_PROGRAM_DESTROY, PROG_A, 0, TTLEAK_CHIP_UNKNOWN);
	other.tid = TID + 1;
	other.object = PROG_B;
	other.device = DEV0;
	other.chip_id = 0;
	tracker__consume(t, &other);
	r = tracker__results(t);
	assert_null(find(r, FINDING_CB_TRACKING, TRACKER_ROW_CB));
	tracker_results__free(r);
	simple(t, TTLEAK_EV_CB_DEALLOC, 0, DEV0, 0); /* the report it was about to make */
	simple(t, TTLEAK_EV_DEVICE_CLOSE, DEV0, DEV0, 0);
	r = tracker__results(t);
	assert_null(find(r, FINDING_CB_TRACKING, TRACKER_ROW_CB));
	tracker_results__free(r);
	tracker__free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clean_run_has_no_findings),
		cmocka_unit_test(test_budget_caps_a_flood),
		cmocka_unit_test(test_budget_follows_frees),
		cmocka_unit_test(test_budget_of_freed_addresses),
		cmocka_unit_test(test_mesh_buffers_and_cb_fan_out),
		cmocka_unit_test(test_layout_contradictions_are_named),
		cmocka_unit_test(test_hooked_allocations_are_not_leaks),
		cmocka_unit_test(test_destructor_in_progress_is_no_imbalance),
		cmocka_unit_test(test_cb_tracking_imbalance),
		cmocka_unit_test(test_device_less_cb_dealloc_clears_every_device),
		cmocka_unit_test(test_relayout_replaces_program_cbs),
		cmocka_unit_test(test_cb_outside_layout_is_unattributed),
		cmocka_unit_test(test_reclaimed_at_close),
		cmocka_unit_test(test_never_freed_at_exit),
		cmocka_unit_test(test_growth_across_closes),
		cmocka_unit_test(test_pre_attach_frees_are_counted_apart),
		cmocka_unit_test(test_anomalies),
		cmocka_unit_test(test_devices_and_processes_are_separate),
		cmocka_unit_test(test_unreadable_and_implausible_events_are_counted),
		cmocka_unit_test(test_implausible_chip_ids_are_counted),
	};

	return cmocka_run_group_tests_name("tracker", tests, NULL, NULL);
}
