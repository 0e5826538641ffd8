// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The tracker's model (docs/findings.md):
 *  - live buffers per (process, allocator, buffer type, address);
 *  - programs, each with the CBs that allocate_circular_buffers laid out for
 *    it; a program's CB space is free again when the program is destroyed;
 *  - per device, the CB view of a GraphTracker listener: every CB passed to
 *    track_allocate_cb since the last track_deallocate_cb of that device.
 * A CB in that view whose program is dead is a CB tracking imbalance (seed 1).
 * A buffer live when its allocator is reset in bulk was reclaimed by device
 * close (seed 2); one live when its process exits was never freed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
/* Every table of the tracker is private to this file, so it may hash its
 * small fixed keys with XXH3 (inlined from the header) rather than uthash's
 * default (Jenkins): tracker__consume ran 12.1 against 9.5 M events/s on
 * make bench's log, with the same memory per live buffer. */
#define XXH_INLINE_ALL
#include <xxhash.h>
#define HASH_FUNCTION(keyptr, keylen, hashv) ((hashv) = (unsigned)XXH3_64bits((keyptr), (keylen)))
#include <uthash.h>
#include "model/tracker.h"
#include "model/site_rows.h"

struct device_key {
	uint32_t tgid;
	uint32_t kind;            /* enum tracker_device_kind */
	int32_t id;               /* chip or mesh id; 0 for an unknown device */
	uint32_t pad;
	uint64_t ptr;             /* 0 when the id identifies the device */
};

struct program;

struct cb_entry {
	struct program *program;
	struct device *device;
	uint64_t address, size;
	int32_t stack_id;
	bool global;              /* in an L1 buffer: not counted in the CB row */
};

struct cb_list {
	struct cb_entry *v;
	size_t n, cap;
};

struct process;

struct device {
	UT_hash_handle hh;
	struct device_key key;
	struct process *proc;
	struct tracker_device_info info;
	struct cb_list view;      /* the GraphTracker listener's CBs */
	uint64_t unfreed;         /* buffers never individually freed, cumulative */
	bool close_pending;       /* closed; listener count not sampled yet */
	uint64_t dead_programs_in_view; /* set while collecting CB tracking findings */
	uint64_t series[TRACKER_MAX_SERIES];
	size_t n_series;
};

struct process {
	UT_hash_handle hh;
	uint32_t tgid;
	struct tracker_process_info info;
	uint32_t next_ordinal;
	uint64_t device_vptr, mesh_vptr; /* vtable address points in this process */
	uint64_t retired;         /* freed addresses kept (bounded apart, see retire()) */
	bool retired_lossy;       /* some were forgotten: unknown frees cannot be told */
};

struct buffer_key {
	uint64_t address;
	uint32_t type;
	uint32_t pad;
};

struct live_buffer {
	UT_hash_handle hh;
	struct buffer_key key;
	uint64_t size;
	struct device *device;
	int32_t stack_id;
};

enum retired_reason { RETIRED_FREED = 1, RETIRED_RECLAIMED };

struct retired_buffer {
	UT_hash_handle hh;
	struct buffer_key key;
	enum retired_reason reason;
};

struct owner_key {
	uint32_t tgid;
	uint32_t pad;
	uint64_t ptr;
};

struct allocator {
	UT_hash_handle hh;
	struct owner_key key;
	struct process *proc;
	struct device *device;    /* device of the last buffer seen */
	struct live_buffer *live;
	struct retired_buffer *retired;
};

struct program {
	UT_hash_handle hh;        /* in tracker.programs while alive */
	struct owner_key key;
	struct process *proc;
	bool alive;
	uint32_t refs;            /* alive + view entries + threads laying it out */
	struct cb_list cbs;       /* the program's current CB layout */
	struct device *counted_for; /* last device whose dead programs counted it */
	uint64_t counted_round;
	uint32_t destroy_tid;     /* the thread running its destructor */
	bool settled;             /* its destructor is over: see settle_programs() */
	struct tracker_program_span span; /* its life, for the trace */
};

struct thread_key {
	uint32_t tgid, tid;
};

/* A thread inside allocate_circular_buffers: its CB allocations belong to
 * that program until the thread does anything else. */
struct thread_state {
	UT_hash_handle hh;
	struct thread_key key;
	struct program *program;
	struct device *device;    /* the device allocate_circular_buffers was called with */
	/* Devices whose CBs of this program this call already replaced: a mesh
	 * call reports its layout once per chip. */
	struct device *replaced[TRACKER_MESH_CHIPS_MAX];
	size_t n_replaced;
};

struct finding_key {
	uint32_t kind, anomaly;
	struct device *device;
	int32_t row;
	int32_t stack_id;
	uint64_t address, size;
};

struct finding_count {
	UT_hash_handle hh;
	struct finding_key key;
	uint32_t tgid;
	uint64_t count;
};

struct tracker {
	struct tracker_opts opts;
	struct process *processes;
	struct device *devices;
	struct allocator *allocators;
	struct program *programs;
	struct thread_state *threads;
	struct finding_count *findings;
	uint64_t events;
	uint64_t collect_round;   /* tells one results() call's program marks from the last */
	struct program **unsettled; /* destroyed, destructor maybe not over */
	size_t n_unsettled, cap_unsettled;
	struct tracker_program_span ended; /* the program the last event destroyed */
	bool ended_valid;
};

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n, size);

	if (!p)
		abort(); /* the tracker cannot continue with a hole in its state */
	return p;
}

/* ---- the per-process budget ------------------------------------------- */

/* Every record kept for a process is charged to it; events that would add
 * records to a process over its budget are dropped and counted instead. */
static void charge(struct process *p, uint64_t n);
static void uncharge(struct process *p, uint64_t n);

static void cb_list_push(struct cb_list *l, struct cb_entry e)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 4;
		struct cb_entry *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			abort();
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = e;
}

static void program_put(struct program *p)
{
	if (--p->refs == 0) {
		uncharge(p->proc, 1);
		free(p->cbs.v);
		free(p);
	}
}

/* ---- statistics -------------------------------------------------------- */

static void stats_add(struct tracker_stats *s, uint64_t bytes)
{
	s->live_count++;
	s->live_bytes += bytes;
	s->allocs++;
	s->alloc_bytes += bytes;
	if (s->live_count > s->peak_count)
		s->peak_count = s->live_count;
	if (s->live_bytes > s->peak_bytes)
		s->peak_bytes = s->live_bytes;
}

static void stats_remove(struct tracker_stats *s, uint64_t bytes)
{
	s->live_count = s->live_count ? s->live_count - 1 : 0;
	s->live_bytes = s->live_bytes >= bytes ? s->live_bytes - bytes : 0;
}

static void charge(struct process *p, uint64_t n)
{
	p->info.held += n;
}

static void uncharge(struct process *p, uint64_t n)
{
	p->info.held = p->info.held >= n ? p->info.held - n : 0;
}

static bool over_budget(const struct tracker *t, const struct process *p)
{
	return p->info.held >= t->opts.max_live;
}

static void budget_drop(struct process *p)
{
	p->info.budget_drops++;
}

/* ---- lookups ----------------------------------------------------------- */

static bool process_known(struct tracker *t, uint32_t tgid)
{
	struct process *p;

	HASH_FIND(hh, t->processes, &tgid, sizeof(tgid), p);
	return p != NULL;
}

static struct process *process_get(struct tracker *t, uint32_t tgid)
{
	struct process *p;

	HASH_FIND(hh, t->processes, &tgid, sizeof(tgid), p);
	if (p)
		return p;
	p = xcalloc(1, sizeof(*p));
	p->tgid = tgid;
	p->info.tgid = tgid;
	HASH_ADD(hh, t->processes, tgid, sizeof(p->tgid), p);
	return p;
}

/* No user-space pointer: the stand-in for devices over a process's budget. */
#define OVERFLOW_DEVICE UINT64_MAX

static struct device *device_get(struct tracker *t, struct process *proc, struct device_key key)
{
	struct device *d;

	HASH_FIND(hh, t->devices, &key, sizeof(key), d);
	if (!d && over_budget(t, proc) && key.ptr != OVERFLOW_DEVICE) {
		/* A new device over budget: its events go to one stand-in. */
		budget_drop(proc);
		return device_get(t, proc, (struct device_key){ .tgid = proc->tgid,
				  .kind = TRACKER_DEVICE_UNKNOWN, .ptr = OVERFLOW_DEVICE });
	}
	if (!d) {
		d = xcalloc(1, sizeof(*d));
		d->key = key;
		d->proc = proc;
		charge(proc, 1);
		d->info.tgid = proc->tgid;
		d->info.id.kind = key.kind;
		d->info.id.chip_id = key.kind == TRACKER_DEVICE_CHIP ? key.id : TTLEAK_CHIP_UNKNOWN;
		d->info.id.mesh_id = key.kind == TRACKER_DEVICE_MESH ? key.id : TTLEAK_MESH_UNKNOWN;
		d->info.id.ordinal = proc->next_ordinal++;
		HASH_ADD(hh, t->devices, key, sizeof(key), d);
	}
	return d;
}

/* Chip ids are small (one per ASIC in a host or cluster), and so are mesh
 * ids (one per mesh opened); anything else was read from the wrong offset. */
#define CHIP_ID_MAX 4095
#define MESH_ID_MAX 1000000

static void implausible(struct process *proc, enum implausible_reason why)
{
	proc->info.implausible++;
	proc->info.implausible_by[why]++;
}

/* What the event's device pointer is. With the vtables known, its vptr
 * decides; a vptr of neither class means device_ was read from the wrong
 * offset. Without them (an old recording), a readable chip id is a chip. */
static enum tracker_device_kind device_kind(struct process *proc, const struct ttleak_event *ev)
{
	if (!proc->info.classified)
		return ev->chip_id != TTLEAK_CHIP_UNKNOWN ? TRACKER_DEVICE_CHIP
							  : TRACKER_DEVICE_UNKNOWN;
	if (proc->device_vptr && ev->device_vptr == proc->device_vptr)
		return TRACKER_DEVICE_CHIP;
	if (proc->mesh_vptr && ev->device_vptr == proc->mesh_vptr)
		return TRACKER_DEVICE_MESH;
	implausible(proc, IMPLAUSIBLE_DEVICE);
	return TRACKER_DEVICE_UNKNOWN;
}

static struct device_key device_key_of(struct process *proc, const struct ttleak_event *ev)
{
	struct device_key key = { .tgid = proc->tgid, .kind = device_kind(proc, ev) };

	if (key.kind == TRACKER_DEVICE_CHIP && (ev->chip_id < 0 || ev->chip_id > CHIP_ID_MAX)) {
		if (ev->chip_id != TTLEAK_CHIP_UNKNOWN)
			implausible(proc, IMPLAUSIBLE_CHIP_ID);
		key.kind = TRACKER_DEVICE_UNKNOWN;
	} else if (key.kind == TRACKER_DEVICE_MESH &&
		   (ev->mesh_id < 0 || ev->mesh_id > MESH_ID_MAX)) {
		if (ev->mesh_id != TTLEAK_MESH_UNKNOWN)
			implausible(proc, IMPLAUSIBLE_MESH_ID);
		key.kind = TRACKER_DEVICE_UNKNOWN;
	}
	if (key.kind == TRACKER_DEVICE_UNKNOWN)
		key.ptr = ev->device;
	else
		key.id = key.kind == TRACKER_DEVICE_CHIP ? ev->chip_id : ev->mesh_id;
	return key;
}

static struct device *device_of_event(struct tracker *t, struct process *proc,
				      const struct ttleak_event *ev)
{
	struct device *d = device_get(t, proc, device_key_of(proc, ev));

	if (ev->device)
		d->info.id.ptr = ev->device;
	return d;
}

/* A mesh spans the chips its CB layouts fan out to; kept ascending. */
static void mesh_add_chip(struct device *mesh, const struct device *chip)
{
	struct tracker_device_id *id = &mesh->info.id;
	uint32_t i;

	if (chip->info.id.kind != TRACKER_DEVICE_CHIP || id->n_chips == TRACKER_MESH_CHIPS_MAX)
		return;
	for (i = 0; i < id->n_chips && id->chips[i] < chip->info.id.chip_id; i++)
		;
	if (i < id->n_chips && id->chips[i] == chip->info.id.chip_id)
		return;
	memmove(&id->chips[i + 1], &id->chips[i], (id->n_chips - i) * sizeof(id->chips[0]));
	id->chips[i] = chip->info.id.chip_id;
	id->n_chips++;
}

static struct allocator *allocator_get(struct tracker *t, struct process *proc, uint64_t ptr,
				       bool create)
{
	struct owner_key key = { .tgid = proc->tgid, .ptr = ptr };
	struct allocator *a;

	HASH_FIND(hh, t->allocators, &key, sizeof(key), a);
	if (!a && create) {
		a = xcalloc(1, sizeof(*a));
		a->key = key;
		a->proc = proc;
		charge(proc, 1);
		HASH_ADD(hh, t->allocators, key, sizeof(key), a);
	}
	return a;
}

static struct thread_state *thread_get(struct tracker *t, const struct ttleak_event *ev,
				       bool create)
{
	struct thread_key key = { .tgid = ev->tgid, .tid = ev->tid };
	struct thread_state *th;

	HASH_FIND(hh, t->threads, &key, sizeof(key), th);
	if (!th && create) {
		th = xcalloc(1, sizeof(*th));
		th->key = key;
		HASH_ADD(hh, t->threads, key, sizeof(key), th);
	}
	return th;
}

static void thread_leave_layout(struct tracker *t, const struct ttleak_event *ev)
{
	struct thread_state *th = thread_get(t, ev, false);

	if (!th)
		return;
	HASH_DEL(t->threads, th);
	if (th->program)
		program_put(th->program);
	free(th);
}

/* ---- findings ---------------------------------------------------------- */

static struct finding_count *finding_add(struct finding_count **table, bool charged,
					 enum finding_kind kind, enum anomaly_kind anomaly,
					 struct device *d, int row, uint64_t address, uint64_t size,
					 int32_t stack_id)
{
	struct finding_key key;
	struct finding_count *f;

	memset(&key, 0, sizeof(key));
	key.kind = kind;
	key.anomaly = anomaly;
	key.device = d;
	key.row = row;
	key.address = address;
	key.size = size;
	key.stack_id = stack_id;
	HASH_FIND(hh, *table, &key, sizeof(key), f);
	if (!f) {
		f = xcalloc(1, sizeof(*f));
		f->key = key;
		f->tgid = d->key.tgid;
		HASH_ADD(hh, *table, key, sizeof(key), f);
		if (charged)
			charge(d->proc, 1);
	}
	f->count++;
	return f;
}

static void anomaly(struct tracker *t, enum anomaly_kind kind, struct device *d,
		    const struct ttleak_event *ev)
{
	if (over_budget(t, d->proc)) {
		budget_drop(d->proc);
		return;
	}
	finding_add(&t->findings, true, FINDING_ANOMALY, kind, d, ev->buffer_type, ev->address,
		    ev->size, ev->stack_id);
}

/* ---- buffers ----------------------------------------------------------- */

/* What must hold of every buffer event whatever the build: checked so that
 * a wrong layout shows as implausible events (run not certified), never as
 * wrong numbers. */
static bool buffer_event_plausible(struct process *proc, const struct ttleak_event *ev)
{
	if (ev->flags & TTLEAK_F_READ_FAULT) {
		proc->info.unreadable++;
		return false;
	}
	if (ev->buffer_type >= TTLEAK_BUF_TYPE_MAX) {
		implausible(proc, IMPLAUSIBLE_TYPE);
		return false;
	}
	if (ev->size == 0 || (ev->page_size && ev->size % ev->page_size)) {
		implausible(proc, IMPLAUSIBLE_SIZE);
		return false;
	}
	if (ev->address > UINT32_MAX) {
		implausible(proc, IMPLAUSIBLE_ADDRESS);
		return false;
	}
	if (ev->allocator == 0 ||
	    (ev->kind == TTLEAK_EV_BUFFER_FREE && ev->allocator_field != ev->allocator)) {
		implausible(proc, IMPLAUSIBLE_ALLOCATOR);
		return false;
	}
	return true;
}

/* A freed address is kept to tell a later free of it (double, or late after
 * a reset) from a free of a buffer allocated before attach. Those records
 * are not live objects, so they have a budget of their own: past it the
 * allocator's oldest is forgotten, and from then on an unknown free of the
 * process cannot be classified (counted as a budget drop, never guessed). */
static void retire(struct tracker *t, struct allocator *a, struct buffer_key key,
		   enum retired_reason reason)
{
	struct retired_buffer *r;

	HASH_FIND(hh, a->retired, &key, sizeof(key), r);
	if (!r && a->proc->retired >= t->opts.max_live) {
		a->proc->retired_lossy = true;
		r = a->retired; /* the oldest: uthash keeps insertion order */
		if (!r)
			return;
		HASH_DEL(a->retired, r);
		a->proc->retired--;
		free(r);
		r = NULL;
	}
	if (!r) {
		r = xcalloc(1, sizeof(*r));
		r->key = key;
		HASH_ADD(hh, a->retired, key, sizeof(key), r);
		a->proc->retired++;
	}
	r->reason = reason;
}

static void retired_remove(struct allocator *a, struct retired_buffer *r)
{
	HASH_DEL(a->retired, r);
	free(r);
	a->proc->retired--;
}

static void unretire(struct allocator *a, struct buffer_key key)
{
	struct retired_buffer *r;

	HASH_FIND(hh, a->retired, &key, sizeof(key), r);
	if (r)
		retired_remove(a, r);
}

static void live_remove(struct allocator *a, struct live_buffer *b)
{
	stats_remove(&b->device->info.rows[b->key.type], b->size);
	HASH_DEL(a->live, b);
	free(b);
	uncharge(a->proc, 1);
}

static void on_buffer_alloc(struct tracker *t, struct process *proc, const struct ttleak_event *ev)
{
	struct buffer_key key = { .address = ev->address, .type = ev->buffer_type };
	struct device *d;
	struct allocator *a;
	struct live_buffer *b;

	/* A hooked allocation (NO_DISPATCH: graph capture, op constraint
	 * queries) is reported at address 0 and never reaches the allocator,
	 * nor its free: no device memory, never a leak. */
	if (ev->address == 0) {
		proc->info.hooked_allocs++;
		return;
	}
	d = device_of_event(t, proc, ev);
	a = allocator_get(t, proc, ev->allocator, true);
	a->device = d;
	HASH_FIND(hh, a->live, &key, sizeof(key), b);
	if (b) {
		/* The runtime handed out an address we think is taken: a free
		 * was missed. Keep the newer buffer. */
		anomaly(t, ANOMALY_OVERLAP, d, ev);
		live_remove(a, b);
	}
	unretire(a, key);
	b = xcalloc(1, sizeof(*b));
	charge(proc, 1);
	b->key = key;
	b->size = ev->size;
	b->device = d;
	b->stack_id = ev->stack_id;
	HASH_ADD(hh, a->live, key, sizeof(key), b);
	stats_add(&d->info.rows[key.type], ev->size);
	d->unfreed++;
}

static void on_unknown_free(struct tracker *t, struct process *proc, struct allocator *a,
			    const struct ttleak_event *ev)
{
	struct buffer_key key = { .address = ev->address, .type = ev->buffer_type };
	struct retired_buffer *r = NULL;

	if (a)
		HASH_FIND(hh, a->retired, &key, sizeof(key), r);
	if (r && r->reason == RETIRED_RECLAIMED) {
		proc->info.late_frees++;
		retired_remove(a, r);
	} else if (!r && proc->retired_lossy) {
		budget_drop(proc); /* maybe one of the forgotten: no finding from a guess */
	} else if (r) {
		anomaly(t, ANOMALY_DOUBLE_FREE, device_of_event(t, proc, ev), ev);
	} else if (t->opts.attached_mid_run) {
		proc->info.pre_attach_frees++;
		proc->info.pre_attach_free_bytes += ev->size;
	} else {
		anomaly(t, ANOMALY_UNKNOWN_FREE, device_of_event(t, proc, ev), ev);
	}
}

static void on_buffer_free(struct tracker *t, struct process *proc, const struct ttleak_event *ev)
{
	struct buffer_key key = { .address = ev->address, .type = ev->buffer_type };
	struct allocator *a = allocator_get(t, proc, ev->allocator, false);
	struct live_buffer *b = NULL;
	struct tracker_stats *s;

	if (a)
		HASH_FIND(hh, a->live, &key, sizeof(key), b);
	if (!b) {
		on_unknown_free(t, proc, a, ev);
		return;
	}
	s = &b->device->info.rows[key.type];
	s->frees++;
	s->free_bytes += b->size;
	b->device->unfreed--;
	live_remove(a, b);
	retire(t, a, key, RETIRED_FREED);
}

static void sample_listener(struct device *d)
{
	uint64_t live = d->unfreed + d->view.n;

	if (d->n_series == TRACKER_MAX_SERIES) {
		memmove(d->series, d->series + 1, (TRACKER_MAX_SERIES - 1) * sizeof(d->series[0]));
		d->n_series--;
	}
	d->series[d->n_series++] = live;
	d->close_pending = false;
}

static void on_allocator_reset(struct tracker *t, struct process *proc,
			       const struct ttleak_event *ev)
{
	struct allocator *a = allocator_get(t, proc, ev->allocator, false);
	struct live_buffer *b, *tmp;

	if (!a)
		return;
	HASH_ITER(hh, a->live, b, tmp) {
		struct tracker_stats *s = &b->device->info.rows[b->key.type];

		finding_add(&t->findings, true, FINDING_RECLAIMED_AT_CLOSE, ANOMALY_NONE, b->device,
			    b->key.type, b->key.address, b->size, b->stack_id);
		s->reclaimed++;
		s->reclaimed_bytes += b->size;
		retire(t, a, b->key, RETIRED_RECLAIMED);
		live_remove(a, b);
	}
	if (a->device && a->device->close_pending)
		sample_listener(a->device);
}

/* ---- programs and CBs -------------------------------------------------- */

static struct program *program_find(struct tracker *t, uint32_t tgid, uint64_t ptr)
{
	struct owner_key key = { .tgid = tgid, .ptr = ptr };
	struct program *p;

	HASH_FIND(hh, t->programs, &key, sizeof(key), p);
	return p;
}

static void program_drop_cbs(struct program *p, struct device *only)
{
	size_t i, kept = 0;

	for (i = 0; i < p->cbs.n; i++) {
		struct cb_entry *e = &p->cbs.v[i];

		if (only && e->device != only) {
			p->cbs.v[kept++] = *e;
			continue;
		}
		uncharge(p->proc, 1);
		if (e->global)
			continue;
		e->device->info.rows[TRACKER_ROW_CB].frees++;
		e->device->info.rows[TRACKER_ROW_CB].free_bytes += e->size;
		stats_remove(&e->device->info.rows[TRACKER_ROW_CB], e->size);
	}
	p->cbs.n = kept;
}

static void on_cb_layout(struct tracker *t, struct process *proc, const struct ttleak_event *ev)
{
	struct program *p = program_find(t, proc->tgid, ev->object);
	struct thread_state *th;

	if (!p) {
		p = xcalloc(1, sizeof(*p));
		p->key = (struct owner_key){ .tgid = proc->tgid, .ptr = ev->object };
		p->proc = proc;
		charge(proc, 1);
		p->alive = true;
		p->refs = 1;
		p->span = (struct tracker_program_span){ .tgid = proc->tgid, .program = ev->object,
			.device = ev->device, .chip_id = ev->chip_id, .start_ns = ev->ts_ns };
		HASH_ADD(hh, t->programs, key, sizeof(p->key), p);
	}
	th = thread_get(t, ev, true); /* consume() already ended any earlier layout */
	th->program = p;
	th->device = device_of_event(t, proc, ev);
	p->refs++;
}

/* The device a CB allocation inside a layout call is reported for belongs
 * to that call: the same device, or a chip of the mesh it was called with
 * (the per-chip fan-out of 2026-04 and later). */
static bool cb_in_layout(const struct thread_state *th, struct device *d)
{
	if (d == th->device)
		return true;
	return th->device->info.id.kind == TRACKER_DEVICE_MESH &&
	       d->info.id.kind == TRACKER_DEVICE_CHIP;
}

/* The first CB a layout call reports for a device replaces the program's
 * earlier layout there. */
static void replace_layout_once(struct thread_state *th, struct device *d)
{
	size_t i;

	for (i = 0; i < th->n_replaced; i++)
		if (th->replaced[i] == d)
			return;
	program_drop_cbs(th->program, d);
	if (th->n_replaced < TRACKER_MESH_CHIPS_MAX)
		th->replaced[th->n_replaced++] = d;
}

static void on_cb_alloc(struct tracker *t, struct process *proc, const struct ttleak_event *ev)
{
	struct thread_state *th = thread_get(t, ev, false);
	struct device *d = device_of_event(t, proc, ev);
	bool global = ev->flags & TTLEAK_F_CB_GLOBAL;
	struct cb_entry e = { .device = d, .address = ev->address, .size = ev->size,
			      .stack_id = ev->stack_id, .global = global };

	if (!th || !th->program || !cb_in_layout(th, d)) {
		/* Not inside allocate_circular_buffers: no program owns it, so
		 * its lifetime is unknown; it only enters the listener view. */
		proc->info.unattributed_cbs++;
		return;
	}
	if (d != th->device)
		mesh_add_chip(th->device, d);
	replace_layout_once(th, d);
	e.program = th->program;
	cb_list_push(&th->program->cbs, e);
	charge(proc, 2); /* in the program's layout and in the listener's view */
	/* A globally allocated CB's memory is an L1 buffer, counted there. */
	if (global)
		proc->info.global_cbs++;
	else
		stats_add(&d->info.rows[TRACKER_ROW_CB], ev->size);
	th->program->refs++;
	cb_list_push(&d->view, e);
}

static void view_clear(struct device *d)
{
	size_t i;

	for (i = 0; i < d->view.n; i++)
		program_put(d->view.v[i].program);
	uncharge(d->proc, d->view.n);
	d->view.n = 0;
}

static void on_cb_dealloc(struct tracker *t, struct process *proc, const struct ttleak_event *ev)
{
	struct device *d, *tmp;

	if (!(ev->flags & TTLEAK_F_NO_DEVICE)) {
		view_clear(device_of_event(t, proc, ev));
		return;
	}
	/* track_deallocate_cb() without a device: a listener can only forget
	 * every CB of the process. */
	HASH_ITER(hh, t->devices, d, tmp) {
		if (d->key.tgid == proc->tgid)
			view_clear(d);
	}
}

/*
 * A program's destructor is probed at its entry, and 2026-04 builds report
 * its CB deallocations (track_deallocate_cb) from inside it. Until its
 * thread does something else (or its process exits), a dead program whose
 * CBs a listener still holds may only be mid-destructor: a trace stopped
 * then must not call that an imbalance. So a dead program counts once it is
 * settled.
 */
static void settle_programs(struct tracker *t, const struct ttleak_event *ev)
{
	size_t i, kept = 0;

	for (i = 0; i < t->n_unsettled; i++) {
		struct program *p = t->unsettled[i];
		bool same_process = p->key.tgid == ev->tgid;

		if (same_process && (ev->kind == TTLEAK_EV_PROCESS_EXIT ||
				     (ev->tid == p->destroy_tid && ev->kind != TTLEAK_EV_CB_DEALLOC))) {
			p->settled = true;
			program_put(p);
			continue;
		}
		t->unsettled[kept++] = p;
	}
	t->n_unsettled = kept;
}

static void unsettled_push(struct tracker *t, struct program *p)
{
	if (t->n_unsettled == t->cap_unsettled) {
		size_t cap = t->cap_unsettled ? t->cap_unsettled * 2 : 8;
		struct program **v = realloc(t->unsettled, cap * sizeof(*v));

		if (!v)
			abort();
		t->unsettled = v;
		t->cap_unsettled = cap;
	}
	p->refs++;
	t->unsettled[t->n_unsettled++] = p;
}

static void on_program_destroy(struct tracker *t, struct process *proc,
			       const struct ttleak_event *ev)
{
	struct program *p = program_find(t, proc->tgid, ev->object);

	if (!p) {
		proc->info.unknown_programs++;
		return;
	}
	program_drop_cbs(p, NULL);
	HASH_DEL(t->programs, p);
	p->alive = false;
	t->ended = p->span;
	t->ended.end_ns = ev->ts_ns;
	t->ended_valid = true;
	p->destroy_tid = ev->tid;
	unsettled_push(t, p);
	program_put(p);
}

static void on_device_close(struct tracker *t, struct process *proc, const struct ttleak_event *ev)
{
	struct device *d = device_of_event(t, proc, ev);

	if (d->close_pending)
		sample_listener(d); /* the previous close had no reset we could see */
	d->close_pending = true;
	d->info.closes++;
}

static void on_process_exit(struct tracker *t, struct process *proc)
{
	struct allocator *a, *tmp;
	struct live_buffer *b, *btmp;

	HASH_ITER(hh, t->allocators, a, tmp) {
		if (a->key.tgid != proc->tgid)
			continue;
		HASH_ITER(hh, a->live, b, btmp) {
			finding_add(&t->findings, true, FINDING_NEVER_FREED, ANOMALY_NONE, b->device,
				    b->key.type, b->key.address, b->size, b->stack_id);
			/* Stats keep showing what was live at exit. */
			HASH_DEL(a->live, b);
			free(b);
			uncharge(proc, 1);
		}
	}
	proc->info.exited = true;
}

/* ---- event dispatch ---------------------------------------------------- */

/* Events whose purpose is to add a record; the others remove or move
 * records (and add one only where a device or finding is new, which
 * device_get and anomaly check). */
static bool adds_records(const struct ttleak_event *ev)
{
	return ev->kind == TTLEAK_EV_BUFFER_ALLOC || ev->kind == TTLEAK_EV_CB_LAYOUT ||
	       ev->kind == TTLEAK_EV_CB_ALLOC;
}

void tracker__consume(struct tracker *t, const struct ttleak_event *ev)
{
	struct process *proc;

	/* Tracing every process (--all) sees every exit on the system. */
	if (ev->kind == TTLEAK_EV_PROCESS_EXIT && !process_known(t, ev->tgid))
		return;
	proc = process_get(t, ev->tgid);
	t->ended_valid = false;
	t->events++;
	proc->info.events++;
	if (ev->kind != TTLEAK_EV_CB_ALLOC)
		thread_leave_layout(t, ev);
	if (t->n_unsettled)
		settle_programs(t, ev);
	if (adds_records(ev) && over_budget(t, proc)) {
		budget_drop(proc);
		return;
	}
	switch (ev->kind) {
	case TTLEAK_EV_BUFFER_ALLOC:
		if (buffer_event_plausible(proc, ev))
			on_buffer_alloc(t, proc, ev);
		break;
	case TTLEAK_EV_BUFFER_FREE:
		if (buffer_event_plausible(proc, ev))
			on_buffer_free(t, proc, ev);
		break;
	case TTLEAK_EV_ALLOCATOR_RESET:
		on_allocator_reset(t, proc, ev);
		break;
	case TTLEAK_EV_CB_LAYOUT:
		on_cb_layout(t, proc, ev);
		break;
	case TTLEAK_EV_CB_ALLOC:
		on_cb_alloc(t, proc, ev);
		break;
	case TTLEAK_EV_CB_DEALLOC:
		on_cb_dealloc(t, proc, ev);
		break;
	case TTLEAK_EV_PROGRAM_DESTROY:
		on_program_destroy(t, proc, ev);
		break;
	case TTLEAK_EV_DEVICE_CLOSE:
		on_device_close(t, proc, ev);
		break;
	case TTLEAK_EV_PROCESS_EXIT:
		on_process_exit(t, proc);
		break;
	case TTLEAK_EV_PROCESS_INFO:
		proc->device_vptr = ev->object;
		proc->mesh_vptr = ev->address;
		proc->info.classified = ev->object || ev->address;
		break;
	default:
		proc->info.unreadable++; /* an event kind this build does not know */
		break;
	}
}

/* ---- results ----------------------------------------------------------- */

static int compare_device_ids(const struct tracker_device_id *x, const struct tracker_device_id *y)
{
	return x->ordinal < y->ordinal ? -1 : x->ordinal > y->ordinal;
}

static int compare_groups(const void *a, const void *b)
{
	const struct finding_group *x = a, *y = b;

	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	if (x->tgid != y->tgid)
		return x->tgid < y->tgid ? -1 : 1;
	if (x->device.ordinal != y->device.ordinal)
		return compare_device_ids(&x->device, &y->device);
	if (x->row != y->row)
		return x->row < y->row ? -1 : 1;
	return (int)x->anomaly - (int)y->anomaly;
}

static int compare_processes(const void *a, const void *b)
{
	const struct tracker_process_info *x = a, *y = b;

	return x->tgid < y->tgid ? -1 : x->tgid > y->tgid;
}

static int compare_devices(const void *a, const void *b)
{
	const struct tracker_device_info *x = a, *y = b;

	if (x->tgid != y->tgid)
		return x->tgid < y->tgid ? -1 : 1;
	return compare_device_ids(&x->id, &y->id);
}

/* CB tracking findings are a property of the current state: CBs a listener
 * still holds whose program is gone. */
static void collect_cb_tracking(struct tracker *t, struct finding_count **table)
{
	struct device *d, *tmp;
	size_t i;

	t->collect_round++;
	HASH_ITER(hh, t->devices, d, tmp) {
		d->dead_programs_in_view = 0;
		for (i = 0; i < d->view.n; i++) {
			struct program *p = d->view.v[i].program;

			if (p->alive || !p->settled)
				continue;
			finding_add(table, false, FINDING_CB_TRACKING, ANOMALY_NONE, d, TRACKER_ROW_CB,
				    d->view.v[i].address, d->view.v[i].size, d->view.v[i].stack_id);
			if (p->counted_for != d || p->counted_round != t->collect_round) {
				p->counted_for = d;
				p->counted_round = t->collect_round;
				d->dead_programs_in_view++;
			}
		}
	}
}

static struct finding_group *group_for(struct tracker_results *r, size_t *cap,
				       const struct finding_count *f)
{
	struct finding_group *g;
	size_t i;

	for (i = r->n_findings; i-- > 0;) {
		g = &r->findings[i];
		if (g->kind == (enum finding_kind)f->key.kind &&
		    g->anomaly == (enum anomaly_kind)f->key.anomaly && g->tgid == f->tgid &&
		    g->device.ordinal == f->key.device->info.id.ordinal && g->row == f->key.row)
			return g;
	}
	if (r->n_findings == *cap) {
		*cap = *cap ? *cap * 2 : 8;
		g = realloc(r->findings, *cap * sizeof(*g));
		if (!g)
			abort();
		r->findings = g;
	}
	g = &r->findings[r->n_findings++];
	memset(g, 0, sizeof(*g));
	g->kind = f->key.kind;
	g->anomaly = f->key.anomaly;
	g->tgid = f->tgid;
	g->device = f->key.device->info.id;
	g->row = f->key.row;
	return g;
}

static void add_counts(struct tracker_results *r, size_t *cap, struct finding_count *table)
{
	struct finding_count *f, *tmp;

	HASH_ITER(hh, table, f, tmp) {
		struct finding_group *g = group_for(r, cap, f);
		struct finding_site *s = realloc(g->sites, (g->n_sites + 1) * sizeof(*s));

		if (!s)
			abort();
		g->sites = s;
		g->sites[g->n_sites++] = (struct finding_site){
			.address = f->key.address, .size = f->key.size, .count = f->count,
			.stack_id = f->key.stack_id };
		g->count += f->count;
		g->bytes += f->count * f->key.size;
		if (g->kind == FINDING_CB_TRACKING)
			g->programs = f->key.device->dead_programs_in_view;
	}
}

/* Growth: what a listener counts as active, sampled after each device close,
 * rose at every one of at least three closes (the seeds' 3 -> 11 -> 27). */
static void add_growth(struct tracker *t, struct tracker_results *r, size_t *cap)
{
	struct device *d, *tmp;
	size_t i;

	HASH_ITER(hh, t->devices, d, tmp) {
		struct finding_count probe = { .key = { .kind = FINDING_GROWTH, .device = d,
							 .row = TRACKER_ROW_CB },
					       .tgid = d->key.tgid };
		struct finding_group *g;
		bool rising = d->n_series >= 3;

		for (i = 1; rising && i < d->n_series; i++)
			rising = d->series[i] > d->series[i - 1];
		if (!rising)
			continue;
		g = group_for(r, cap, &probe);
		memcpy(g->series, d->series, d->n_series * sizeof(d->series[0]));
		g->n_series = d->n_series;
		g->count = d->series[d->n_series - 1] - d->series[0];
	}
}

static void fill_processes_and_devices(struct tracker *t, struct tracker_results *r)
{
	struct process *p, *ptmp;
	struct device *d, *dtmp;
	size_t i = 0;

	r->n_processes = HASH_COUNT(t->processes);
	r->processes = xcalloc(r->n_processes + 1, sizeof(*r->processes));
	HASH_ITER(hh, t->processes, p, ptmp)
		r->processes[i++] = p->info;
	qsort(r->processes, r->n_processes, sizeof(*r->processes), compare_processes);
	r->n_devices = HASH_COUNT(t->devices);
	r->devices = xcalloc(r->n_devices + 1, sizeof(*r->devices));
	i = 0;
	HASH_ITER(hh, t->devices, d, dtmp) {
		r->devices[i] = d->info;
		r->devices[i++].listener_live = d->unfreed + d->view.n;
	}
	qsort(r->devices, r->n_devices, sizeof(*r->devices), compare_devices);
}

struct tracker_results *tracker__results(struct tracker *t)
{
	struct tracker_results *r = xcalloc(1, sizeof(*r));
	struct finding_count *cb = NULL, *f, *tmp;
	size_t cap = 0;

	r->events = t->events;
	fill_processes_and_devices(t, r);
	collect_cb_tracking(t, &cb);
	add_counts(r, &cap, cb);
	add_counts(r, &cap, t->findings);
	add_growth(t, r, &cap);
	HASH_ITER(hh, cb, f, tmp) {
		HASH_DEL(cb, f);
		free(f);
	}
	site_rows__build(r, NULL, NULL);
	if (r->n_findings)
		qsort(r->findings, r->n_findings, sizeof(*r->findings), compare_groups);
	return r;
}

struct tracker_results *tracker__stats(struct tracker *t)
{
	struct tracker_results *r = xcalloc(1, sizeof(*r));

	r->events = t->events;
	fill_processes_and_devices(t, r);
	return r;
}

void finding_group__release(struct finding_group *g)
{
	free(g->sites);
	free(g->addresses);
	free(g->stacks);
	g->sites = NULL;
	g->addresses = NULL;
	g->stacks = NULL;
	g->n_sites = g->n_addresses = g->n_stacks = 0;
}

void tracker_results__free(struct tracker_results *r)
{
	size_t i;

	if (!r)
		return;
	for (i = 0; i < r->n_findings; i++)
		finding_group__release(&r->findings[i]);
	free(r->findings);
	free(r->devices);
	free(r->processes);
	free(r);
}

/* ---- lifetime ---------------------------------------------------------- */

struct tracker *tracker__new(const struct tracker_opts *opts)
{
	struct tracker *t = xcalloc(1, sizeof(*t));

	if (opts)
		t->opts = *opts;
	if (!t->opts.max_live)
		t->opts.max_live = TRACKER_MAX_LIVE_DEFAULT;
	return t;
}

static void free_allocators(struct tracker *t)
{
	struct allocator *a, *atmp;
	struct live_buffer *b, *btmp;
	struct retired_buffer *r, *rtmp;

	HASH_ITER(hh, t->allocators, a, atmp) {
		HASH_ITER(hh, a->live, b, btmp) {
			HASH_DEL(a->live, b);
			free(b);
		}
		HASH_ITER(hh, a->retired, r, rtmp) {
			HASH_DEL(a->retired, r);
			free(r);
		}
		HASH_DEL(t->allocators, a);
		free(a);
	}
}

void tracker__free(struct tracker *t)
{
	struct process *p, *ptmp;
	struct device *d, *dtmp;
	struct program *pr, *prtmp;
	struct thread_state *th, *thtmp;
	struct finding_count *f, *ftmp;

	if (!t)
		return;
	while (t->n_unsettled)
		program_put(t->unsettled[--t->n_unsettled]);
	free(t->unsettled);
	HASH_ITER(hh, t->threads, th, thtmp) {
		HASH_DEL(t->threads, th);
		program_put(th->program);
		free(th);
	}
	HASH_ITER(hh, t->devices, d, dtmp) {
		view_clear(d);
		free(d->view.v);
	}
	HASH_ITER(hh, t->programs, pr, prtmp) {
		HASH_DEL(t->programs, pr);
		program_put(pr);
	}
	HASH_ITER(hh, t->devices, d, dtmp) {
		HASH_DEL(t->devices, d);
		free(d);
	}
	HASH_ITER(hh, t->processes, p, ptmp) {
		HASH_DEL(t->processes, p);
		free(p);
	}
	HASH_ITER(hh, t->findings, f, ftmp) {
		HASH_DEL(t->findings, f);
		free(f);
	}
	free_allocators(t);
	free(t);
}

/* ---- names ------------------------------------------------------------- */

const char *tracker_row_name(int row)
{
	static const char *const names[TRACKER_ROWS] = {
		[TTLEAK_BUF_DRAM] = "DRAM",	    [TTLEAK_BUF_L1] = "L1",
		[TTLEAK_BUF_SYSTEM_MEMORY] = "SYSTEM_MEMORY",
		[TTLEAK_BUF_L1_SMALL] = "L1_SMALL", [TTLEAK_BUF_TRACE] = "TRACE",
		[TRACKER_ROW_CB] = "CB",
	};

	return row >= 0 && row < TRACKER_ROWS ? names[row] : "?";
}

const char *finding_kind_name(enum finding_kind kind)
{
	switch (kind) {
	case FINDING_CB_TRACKING: return "cb_tracking";
	case FINDING_RECLAIMED_AT_CLOSE: return "reclaimed_at_close";
	case FINDING_NEVER_FREED: return "never_freed";
	case FINDING_GROWTH: return "growth";
	case FINDING_ANOMALY: return "anomaly";
	default: return "?";
	}
}

const char *implausible_reason_name(enum implausible_reason reason)
{
	static const char *const names[IMPLAUSIBLE_REASON_MAX] = {
		[IMPLAUSIBLE_TYPE] = "buffer_type_", [IMPLAUSIBLE_SIZE] = "size_",
		[IMPLAUSIBLE_ADDRESS] = "address_", [IMPLAUSIBLE_ALLOCATOR] = "allocator_",
		[IMPLAUSIBLE_DEVICE] = "device_", [IMPLAUSIBLE_CHIP_ID] = "Device::id_",
		[IMPLAUSIBLE_MESH_ID] = "MeshDevice id",
	};

	return reason < IMPLAUSIBLE_REASON_MAX ? names[reason] : "?";
}

const char *anomaly_kind_name(enum anomaly_kind kind)
{
	switch (kind) {
	case ANOMALY_UNKNOWN_FREE: return "unknown_free";
	case ANOMALY_DOUBLE_FREE: return "double_free";
	case ANOMALY_OVERLAP: return "overlap";
	default: return "none";
	}
}

bool tracker__ended_program(const struct tracker *t, struct tracker_program_span *out)
{
	if (t->ended_valid)
		*out = t->ended;
	return t->ended_valid;
}

void tracker__alive_programs(const struct tracker *t, tracker_program_visit visit, void *ctx)
{
	const struct program *p, *tmp;

	HASH_ITER(hh, t->programs, p, tmp)
		visit(&p->span, ctx);
}
