// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <linux/types.h>
#include "ttleak_event.h"
#include "attach/probe_placement.h"
#include "attach/probes.h"

#define TT "tt::tt_metal::"
#define NAMES(...) (const char *const[]){ __VA_ARGS__ }, \
	sizeof((const char *const[]){ __VA_ARGS__ }) / sizeof(const char *)

/*
 * Allocation is observed at GraphTracker::track_allocate, which the runtime
 * calls once the address is set, so one entry probe reads everything; the
 * allocator's own allocate_buffer would need a return probe for the address.
 * Frees are observed at the allocator, which frees even where track_deallocate
 * is skipped (device no longer initialized).
 */
static const struct probe_def defs[PROBE_MAX] = {
	[PROBE_BUFFER_ALLOC] = { "buffer allocate", "buffer_alloc", TTLEAK_EV_BUFFER_ALLOC, true, CHECK_ALL & ~CHECK_CB_TRACKING,
		NAMES(TT "GraphTracker::track_allocate") },
	[PROBE_BUFFER_FREE] = { "buffer free", "buffer_free", TTLEAK_EV_BUFFER_FREE, true, CHECK_ALL & ~CHECK_CB_TRACKING,
		NAMES(TT "AllocatorImpl::deallocate_buffer", TT "Allocator::deallocate_buffer") },
	/* Without a bulk reset, buffers reclaimed at close would be reported
	 * as never freed: a wrong finding, so this one is required. */
	[PROBE_ALLOCATOR_RESET] = { "allocator bulk reset", "allocator_reset", TTLEAK_EV_ALLOCATOR_RESET, true,
		CHECK_RECLAIMED | CHECK_NEVER_FREED | CHECK_GROWTH,
		NAMES(TT "AllocatorImpl::deallocate_buffers", TT "Allocator::deallocate_buffers") },
	[PROBE_ALLOCATOR_CLEAR] = { "allocator clear", "allocator_reset", TTLEAK_EV_ALLOCATOR_RESET, false, 0,
		NAMES(TT "AllocatorImpl::clear", TT "Allocator::clear") },
	/* From 2026-01 (eb437d7d) Device::close destroys its allocator
	 * (default_allocator_.reset()) with no bulk reset before: the
	 * destructor is the reclaim. compute_checks() says when it is needed. */
	[PROBE_ALLOCATOR_DESTROY] = { "allocator destroy", "allocator_reset", TTLEAK_EV_ALLOCATOR_RESET, false,
		CHECK_RECLAIMED | CHECK_NEVER_FREED | CHECK_GROWTH,
		NAMES(TT "AllocatorImpl::~AllocatorImpl", TT "Allocator::~Allocator") },
	[PROBE_CB_LAYOUT] = { "CB layout", "cb_layout", TTLEAK_EV_CB_LAYOUT, false, CHECK_CB_TRACKING | CHECK_GROWTH,
		NAMES(TT "detail::ProgramImpl::allocate_circular_buffers",
		      TT "Program::allocate_circular_buffers") },
	[PROBE_CB_ALLOC] = { "CB allocate", "cb_alloc", TTLEAK_EV_CB_ALLOC, false, CHECK_CB_TRACKING | CHECK_GROWTH,
		NAMES(TT "GraphTracker::track_allocate_cb") },
	[PROBE_CB_DEALLOC] = { "CB deallocate report", "cb_dealloc", TTLEAK_EV_CB_DEALLOC, false,
		CHECK_CB_TRACKING | CHECK_GROWTH,
		NAMES(TT "GraphTracker::track_deallocate_cb") },
	[PROBE_PROGRAM_IMPL_DTOR] = { "program destroy (~ProgramImpl)", "program_destroy", TTLEAK_EV_PROGRAM_DESTROY, false,
		CHECK_CB_TRACKING, NAMES(TT "detail::ProgramImpl::~ProgramImpl") },
	[PROBE_PROGRAM_DTOR] = { "program destroy (~Program)", "program_destroy", TTLEAK_EV_PROGRAM_DESTROY, false,
		CHECK_CB_TRACKING, NAMES(TT "Program::~Program") },
	[PROBE_DEVICE_CLOSE] = { "device close", "device_close", TTLEAK_EV_DEVICE_CLOSE, false, CHECK_GROWTH,
		NAMES(TT "Device::close") },
	[PROBE_MESH_CLOSE] = { "mesh device close", "device_close", TTLEAK_EV_DEVICE_CLOSE, false, 0,
		NAMES(TT "distributed::MeshDevice::close") },
};

const struct probe_def *probes__def(enum probe_id id)
{
	return id < PROBE_MAX ? &defs[id] : NULL;
}

/* track_deallocate_cb() of 2024 (v0) has no device argument: another program. */
static const char *program_for(enum probe_id id, const struct sym_match *m)
{
	if (id == PROBE_CB_DEALLOC && strcmp(m->params, "()") == 0)
		return "cb_dealloc_all";
	return defs[id].bpf_program;
}

/* The arguments each BPF program reads (bit i: argument i of the SysV order,
 * `this` first): what a moved probe must still find. */
static uint8_t args_read_by(const char *program)
{
	static const struct { const char *program; uint8_t args; } table[] = {
		{ "buffer_alloc", 1u << 1 },
		{ "buffer_free", 1u << 0 | 1u << 1 },
		{ "allocator_reset", 1u << 0 },
		{ "cb_layout", 1u << 0 | 1u << 1 },
		{ "cb_alloc", 1u << 2 | 1u << 3 | 1u << 4 | 1u << 5 },
		{ "cb_dealloc", 1u << 1 },
		{ "cb_dealloc_all", 0 },
		{ "program_destroy", 1u << 0 },
		{ "device_close", 1u << 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (strcmp(table[i].program, program) == 0)
			return table[i].args;
	return 0x3f; /* unknown: all six, so nothing moves that is not proven */
}

static void add_target(struct probe_plan *plan, enum probe_id id, const struct sym_match *m)
{
	struct probe_target *t;

	if (plan->n_targets[id] == PROBE_MAX_TARGETS)
		return;
	t = &plan->targets[id][plan->n_targets[id]++];
	t->bpf_program = program_for(id, m);
	t->args_read = args_read_by(t->bpf_program);
	t->file_offset = m->file_offset;
	t->vaddr = m->vaddr;
	t->size = m->size;
	snprintf(t->demangled, sizeof(t->demangled), "%s", m->demangled);
}

/*
 * Keep only the targets of probe id whose name contains inner, when any
 * does: the outer ones forward to them, and a call seen twice is a trap
 * paid twice (and a layout counted twice).
 */
static void keep_inner(struct probe_plan *plan, enum probe_id id, const char *inner)
{
	struct probe_target *t = plan->targets[id];
	size_t i, n = plan->n_targets[id], kept = 0;
	bool has_inner = false;

	for (i = 0; i < n; i++)
		has_inner |= strstr(t[i].demangled, inner) != NULL;
	if (!has_inner)
		return;
	for (i = 0; i < n; i++)
		if (strstr(t[i].demangled, inner))
			t[kept++] = t[i];
	plan->n_targets[id] = kept;
}

/*
 * From 2025-04-10 (c9e4a1ac) to 2025-09-05 (3fbcb5fd) both
 * Program::allocate_circular_buffers and the detail::ProgramImpl:: one it
 * forwards to are exported: probing both would see every layout twice. The
 * inner one does the work (and is called by every path), so it is kept.
 */
static void keep_inner_cb_layout(struct probe_plan *plan)
{
	keep_inner(plan, PROBE_CB_LAYOUT, "ProgramImpl::");
}

/* From 2025-12-06 (0c95a278) a public Allocator wraps AllocatorImpl
 * (Allocator::deallocate_buffers() calls AllocatorImpl's). */
static void keep_inner_allocator(struct probe_plan *plan)
{
	static const enum probe_id ids[] = { PROBE_BUFFER_FREE, PROBE_ALLOCATOR_RESET,
					     PROBE_ALLOCATOR_CLEAR, PROBE_ALLOCATOR_DESTROY };
	size_t i;

	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
		keep_inner(plan, ids[i], "AllocatorImpl::");
}

/*
 * The program whose CBs allocate_circular_buffers lays out is the one whose
 * destructor frees them: ProgramImpl in 2026, Program before. Probing the
 * other destructor too would report programs that never had CBs.
 */
static void choose_program_destructor(struct probe_plan *plan)
{
	keep_inner_cb_layout(plan);
	bool impl_owns = plan->n_targets[PROBE_CB_LAYOUT] &&
			 strstr(plan->targets[PROBE_CB_LAYOUT][0].demangled, "ProgramImpl::");

	plan->wanted[impl_owns ? PROBE_PROGRAM_DTOR : PROBE_PROGRAM_IMPL_DTOR] = false;
}

static bool target_has(const struct probe_plan *plan, enum probe_id id, const char *needle)
{
	size_t i;

	for (i = 0; i < plan->n_targets[id]; i++)
		if (strstr(plan->targets[id][i].demangled, needle))
			return true;
	return false;
}

/*
 * The era the exported names point to, for messages only: layouts come from
 * evidence, never from this. AllocatorImpl appeared 2025-12-06 (0c95a278);
 * CoreRangeSet moved into tt::tt_metal 2025-11-07 (e9debc31).
 */
static void detect_generation(struct probe_plan *plan)
{
	const char *era = "";

	if (target_has(plan, PROBE_BUFFER_FREE, "::v0::"))
		era = "v0";
	else if (target_has(plan, PROBE_BUFFER_FREE, "AllocatorImpl::"))
		era = "E3-E5";
	else if (target_has(plan, PROBE_BUFFER_FREE, "Allocator::"))
		era = "E1-E2";
	snprintf(plan->generation, sizeof(plan->generation), "%s", era);
}

/* A probe whose absence disables the checks it is needed by. The
 * allocator's destructor is a reclaim path only where Device::close destroys
 * the allocator (AllocatorImpl builds); elsewhere its absence costs nothing. */
static bool probe_needed(const struct probe_plan *plan, size_t id)
{
	if (!plan->wanted[id])
		return false;
	if (id == PROBE_ALLOCATOR_DESTROY)
		return target_has(plan, PROBE_BUFFER_FREE, "AllocatorImpl::");
	return true;
}

static void compute_checks(struct probe_plan *plan)
{
	size_t id;

	plan->checks = CHECK_ALL;
	for (id = 0; id < PROBE_MAX; id++)
		if (probe_needed(plan, id) && plan->n_targets[id] == 0)
			plan->checks &= ~defs[id].needed_by;
	/* Either destructor serves; the unwanted one is not needed. */
	if (!plan->wanted[PROBE_PROGRAM_DTOR] && !plan->wanted[PROBE_PROGRAM_IMPL_DTOR])
		plan->checks &= ~CHECK_CB_TRACKING;
}

int probes__resolve(const char *lib_path, struct probe_plan *plan)
{
	struct sym_want wants[PROBE_MAX];
	struct sym_result res;
	size_t i;
	int err;

	memset(plan, 0, sizeof(*plan));
	memset(&res, 0, sizeof(res));
	for (i = 0; i < PROBE_MAX; i++) {
		wants[i].qualified_names = defs[i].names;
		wants[i].n_names = defs[i].n_names;
		plan->wanted[i] = true;
	}
	err = symbols__resolve(lib_path, wants, PROBE_MAX, &res);
	if (err)
		goto cleanup;
	for (i = 0; i < res.n; i++)
		add_target(plan, res.matches[i].want, &res.matches[i]);
	plan->has_symtab = res.has_symtab;
	plan->has_debuginfo = res.has_debuginfo;
	plan->symbols_scanned = res.symbols_scanned;
	snprintf(plan->build_id, sizeof(plan->build_id), "%s", res.build_id);
	choose_program_destructor(plan);
	keep_inner_allocator(plan);
	detect_generation(plan);
	compute_checks(plan);
	probe_placement__apply(lib_path, plan);
cleanup:
	sym_result__free(&res);
	return err;
}

const char *probes__strerror(int err)
{
	return err == -ENOEXEC ? "not an x86-64 ELF library" : strerror(-err);
}

static void append(char *buf, size_t size, const char *item)
{
	size_t len = strlen(buf);

	snprintf(buf + len, size - len, "%s%s", len ? ", " : "", item);
}

void probes__missing_required(const struct probe_plan *plan, char *buf, size_t size)
{
	size_t id;

	buf[0] = '\0';
	for (id = 0; id < PROBE_MAX; id++)
		if (defs[id].required && plan->n_targets[id] == 0)
			append(buf, size, defs[id].names[0]);
}

void probes__describe_checks(uint32_t missing, char *buf, size_t size)
{
	static const char *const names[] = { "cb_tracking", "reclaimed_at_close", "never_freed",
					     "growth", "anomalies" };
	size_t i;

	buf[0] = '\0';
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (missing & (1u << i))
			append(buf, size, names[i]);
}

uint32_t probes__checks_for_mask(uint64_t attached)
{
	uint32_t checks = CHECK_ALL;
	size_t id;

	for (id = 0; id < PROBE_MAX; id++) {
		if (id == PROBE_PROGRAM_IMPL_DTOR || id == PROBE_PROGRAM_DTOR ||
		    id == PROBE_ALLOCATOR_CLEAR || id == PROBE_ALLOCATOR_DESTROY ||
		    id == PROBE_MESH_CLOSE)
			continue;
		if (!(attached & (1ull << id)))
			checks &= ~defs[id].needed_by;
	}
	if (!(attached & ((1ull << PROBE_PROGRAM_IMPL_DTOR) | (1ull << PROBE_PROGRAM_DTOR))))
		checks &= ~CHECK_CB_TRACKING;
	return checks;
}
