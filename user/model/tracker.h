/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The tracker: plain C, no BPF. It consumes decoded events in order and keeps,
 * per process and per device, the live buffers, each program's circular
 * buffers (CBs) and the GraphTracker listener's view of CBs, and derives the
 * findings (docs/findings.md). The same code serves live tracing, --replay and the
 * unit tests. Every event is O(1) (amortised) except the bulk reset and the
 * process exit, which visit what they reclaim.
 */
#ifndef TTLEAK_TRACKER_H
#define TTLEAK_TRACKER_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <linux/types.h>
#include "ttleak_event.h"

/* Row index for CBs next to the buffer types in per-device statistics. */
#define TRACKER_ROW_CB TTLEAK_BUF_TYPE_MAX
#define TRACKER_ROWS (TTLEAK_BUF_TYPE_MAX + 1)
#define TRACKER_MAX_SERIES 32

struct tracker;

/* Records the tracker keeps per process (live buffers, CBs, programs,
 * devices, freed addresses, findings) unless told otherwise: a process
 * flooding the probed functions cannot grow the tracer without bound. */
#define TRACKER_MAX_LIVE_DEFAULT 1000000

struct tracker_opts {
	/* The tracer attached to an already-running process: frees of unknown
	 * buffers are allocations made before attach, not anomalies. */
	bool attached_mid_run;
	/* Per-process budget of records (0: TRACKER_MAX_LIVE_DEFAULT). Events
	 * that would need more are dropped and counted in budget_drops. */
	uint64_t max_live;
};

enum finding_kind {
	FINDING_CB_TRACKING = 1,   /* dead program's CBs never reported deallocated */
	FINDING_RECLAIMED_AT_CLOSE,/* buffer still live when its device closed */
	FINDING_NEVER_FREED,       /* buffer still live when its process exited */
	FINDING_GROWTH,            /* listener-visible live count rising across closes */
	FINDING_ANOMALY,
	FINDING_KIND_MAX
};

enum anomaly_kind {
	ANOMALY_NONE = 0,
	ANOMALY_UNKNOWN_FREE,      /* free of a buffer never seen allocated */
	ANOMALY_DOUBLE_FREE,
	ANOMALY_OVERLAP,           /* allocation at the address of a live buffer */
	ANOMALY_KIND_MAX
};

/* What a device pointer points to, told by its vtable (TTLEAK_EV_PROCESS_INFO). */
enum tracker_device_kind {
	TRACKER_DEVICE_UNKNOWN = 0, /* named by pointer: class or id not known */
	TRACKER_DEVICE_CHIP,        /* tt::tt_metal::Device: one physical chip */
	TRACKER_DEVICE_MESH,        /* distributed::MeshDevice: one or more chips, own allocator */
};

#define TRACKER_MESH_CHIPS_MAX 64

/* A device as the report names it: a chip by its id, a mesh by its id and
 * the chips it spans (as far as seen), else by pointer. */
struct tracker_device_id {
	enum tracker_device_kind kind;
	int32_t chip_id;          /* chips; TTLEAK_CHIP_UNKNOWN otherwise */
	int32_t mesh_id;          /* meshes; TTLEAK_MESH_UNKNOWN otherwise */
	uint64_t ptr;             /* identity of an unknown device; last pointer seen otherwise */
	uint32_t ordinal;         /* first-seen order within the process, from 0 */
	uint32_t n_chips;         /* meshes: chips seen in its CB fan-out, ascending */
	int32_t chips[TRACKER_MESH_CHIPS_MAX];
};

struct tracker_stats {
	uint64_t live_count, live_bytes;
	uint64_t peak_count, peak_bytes;
	uint64_t allocs, alloc_bytes;
	uint64_t frees, free_bytes;
	uint64_t reclaimed, reclaimed_bytes;
};

struct tracker_device_info {
	uint32_t tgid;
	struct tracker_device_id id;
	struct tracker_stats rows[TRACKER_ROWS]; /* by buffer type, then CB */
	uint64_t listener_live;   /* what a GraphTracker listener counts as active now */
	uint64_t closes;
};

/* One leaked (or anomalous) address on a device, with how often; the
 * allocation stack when stacks are captured (-1 otherwise). */
struct finding_site {
	uint64_t address, size, count;
	int32_t stack_id;
};

/* A finding's rows as a person compares them (model/site_rows.h): one per
 * (address, size), and one per allocation stack, whatever pointer values or
 * stack ids the runtime and the stack capture happened to produce. */
struct finding_address {
	uint64_t address, size, count;
};

struct finding_stack {
	int32_t stack_id;         /* the first of the stacks it stands for; -1: none captured */
	uint32_t merged;          /* captured stacks with these functions (1 or more) */
	uint64_t count, bytes;
};

struct finding_group {
	enum finding_kind kind;
	enum anomaly_kind anomaly;
	uint32_t tgid;
	struct tracker_device_id device;
	int row;                  /* buffer type, or TRACKER_ROW_CB */
	uint64_t count, bytes;
	uint64_t programs;        /* CB tracking: distinct dead programs */
	struct finding_site *sites; /* one per (address, size, stack); by count desc, then address */
	size_t n_sites;
	struct finding_address *addresses; /* sites by (address, size); by count desc */
	size_t n_addresses;
	struct finding_stack *stacks; /* sites by stack; by bytes desc */
	size_t n_stacks;
	uint64_t series[TRACKER_MAX_SERIES]; /* growth: listener_live at each close */
	size_t n_series;
};

/* Why an event's values cannot be true: each names the layout field (or
 * the probe) that must be wrong. */
enum implausible_reason {
	IMPLAUSIBLE_TYPE = 0,      /* buffer_type_ outside 0..4 */
	IMPLAUSIBLE_SIZE,          /* size_ zero, or not a multiple of page_size_ */
	IMPLAUSIBLE_ADDRESS,       /* address_ beyond 32 bits (Buffer::address() is uint32_t) */
	IMPLAUSIBLE_ALLOCATOR,     /* allocator_ null, or not the allocator freeing the buffer */
	IMPLAUSIBLE_DEVICE,        /* device_ points to neither a Device nor a MeshDevice */
	IMPLAUSIBLE_CHIP_ID,       /* Device::id_ outside 0..4095 */
	IMPLAUSIBLE_MESH_ID,       /* mesh id negative or huge */
	IMPLAUSIBLE_REASON_MAX
};

struct tracker_process_info {
	uint32_t tgid;
	bool exited;
	bool classified;           /* device vtables known: chips told from meshes */
	uint64_t events;
	uint64_t pre_attach_frees, pre_attach_free_bytes; /* counted apart, not errors */
	uint64_t late_frees;       /* frees of buffers already reclaimed in bulk */
	uint64_t hooked_allocs;    /* NO_DISPATCH allocations (address 0): no device memory */
	uint64_t global_cbs;       /* CBs in an L1 buffer: counted with that buffer, not as CBs */
	uint64_t unknown_programs; /* destroyed programs never seen laid out */
	uint64_t unreadable;       /* events whose fields could not be read */
	uint64_t implausible;      /* events with impossible values (sum of the reasons) */
	uint64_t implausible_by[IMPLAUSIBLE_REASON_MAX];
	uint64_t unattributed_cbs; /* CB allocations outside allocate_circular_buffers */
	uint64_t held;             /* records kept for it now (see tracker_opts.max_live) */
	uint64_t budget_drops;     /* events dropped because it was over its budget */
};

struct tracker_results {
	struct tracker_process_info *processes; size_t n_processes;
	struct tracker_device_info *devices; size_t n_devices;   /* by tgid, ordinal */
	struct finding_group *findings; size_t n_findings;        /* by kind, tgid, device, row */
	uint64_t events;
};

/* Never NULL: the tracker aborts when memory runs out, in every function,
 * because a hole in its state would make every later number wrong (and
 * --max-live bounds what a traced process can make it hold). */
struct tracker *tracker__new(const struct tracker_opts *opts);
void tracker__free(struct tracker *t);

/* Feed one event; events of one thread must come in the order they happened. */
void tracker__consume(struct tracker *t, const struct ttleak_event *ev);

/* Snapshot of state and findings. Call at the end of a trace (or at any
 * time for a live view); CB tracking findings are evaluated at that moment.
 * Free with tracker_results__free(). */
struct tracker_results *tracker__results(struct tracker *t);
void tracker_results__free(struct tracker_results *r);
/* Free what one finding of a results owns (its rows), for filters that drop it. */
void finding_group__release(struct finding_group *g);

/* Processes and devices only, no findings: O(processes + devices), cheap
 * enough to sample often (--trace counters). Free with tracker_results__free(). */
struct tracker_results *tracker__stats(struct tracker *t);

const char *tracker_row_name(int row);
const char *finding_kind_name(enum finding_kind kind);
const char *anomaly_kind_name(enum anomaly_kind kind);
/* The layout field an implausible reason points at ("buffer_type_", ...). */
const char *implausible_reason_name(enum implausible_reason reason);

/* A program's life as the tracker saw it: from its first CB layout to its
 * destructor (the trace export draws these). */
struct tracker_program_span {
	uint32_t tgid;
	int32_t chip_id;          /* of the device it was first laid out on */
	uint64_t program, device;
	uint64_t start_ns, end_ns; /* end_ns 0 while it lives */
};

/* The program the last consumed event destroyed; false when it destroyed
 * none (another kind of event, or a program never seen laid out). */
bool tracker__ended_program(const struct tracker *t, struct tracker_program_span *out);

/* Each program still alive, in no particular order. */
typedef void (*tracker_program_visit)(const struct tracker_program_span *span, void *ctx);
void tracker__alive_programs(const struct tracker *t, tracker_program_visit visit, void *ctx);

#endif /* TTLEAK_TRACKER_H */
