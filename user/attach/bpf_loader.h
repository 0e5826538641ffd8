/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Loads the BPF programs, configures them for one runtime build (layout,
 * target process), attaches the uprobes of a probe plan and delivers events
 * from the ring buffer to a callback.
 */
#ifndef TTLEAK_BPF_LOADER_H
#define TTLEAK_BPF_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include "ttleak_event.h"
#include "elf/layout.h"
#include "attach/probes.h"

struct loader;

typedef void (*loader_event_fn)(const struct ttleak_event *ev, void *ctx);
/* --stacks=dwarf: a stack copy, `size` bytes in all, before its event. */
typedef void (*loader_ustack_fn)(const struct ttleak_ustack *u, size_t size, void *ctx);

enum loader_filter {
	LOADER_TRACE_ALL,             /* every process that maps the library */
	LOADER_TRACE_PID,             /* opts.pid only */
	LOADER_TRACE_TREE,            /* loader__trace_tgid() processes and their children */
};

struct loader_opts {
	enum loader_filter filter;
	int pid;                      /* with LOADER_TRACE_PID */
	const char *lib_path;         /* library file to attach to (host path) */
	const struct layout *layout;
	const struct probe_plan *plan;
	size_t ringbuf_bytes;         /* power of two, >= page size */
	enum ttleak_stack_mode stacks; /* how allocation stacks are captured, if at all */
	uint32_t stack_bytes;         /* TTLEAK_STACKS_DWARF: stack copied per allocation */
	loader_event_fn on_event;
	loader_ustack_fn on_ustack;   /* TTLEAK_STACKS_DWARF */
	void *ctx;
};

/* Exit status classes for load/attach failures (see main.c). */
enum loader_failure {
	LOADER_FAIL_ENVIRONMENT = 1,  /* no permission, no BTF, no uprobes: the user must act */
	LOADER_FAIL_ATTACH,           /* the tracer could not attach: run not certified */
};

/* Opens, loads and attaches; NULL with a message in err and *failure set. */
struct loader *loader__open(const struct loader_opts *opts, char *err, size_t errlen,
			    enum loader_failure *failure);

/* --all: attach the same programs to another library file (o->lib_path,
 * o->layout, o->plan for that file) as a BPF object of its own that
 * delivers through the same ring buffer; armed at once if the loader is.
 * 0, or -errno with a message in err and *failure set. */
int loader__add_library(struct loader *l, const struct loader_opts *o, char *err, size_t errlen,
			enum loader_failure *failure);

/* LOADER_TRACE_TREE: trace this process (and what it forks from now on). */
int loader__trace_tgid(struct loader *l, int tgid);

/* Deliver queued events; waits at most timeout_ms. Returns events or -errno. */
int loader__poll(struct loader *l, int timeout_ms);

/* Deliver every queued event now, even those BPF has not woken us for yet
 * (it batches wake-ups): for views that must be current. */
int loader__consume(struct loader *l);

/* Attached uprobes, and which probes (bit per enum probe_id). */
size_t loader__attached(const struct loader *l, uint64_t *probe_mask);

void loader__drops(const struct loader *l, uint64_t drops[TTLEAK_DROP_REASON_MAX]);

/* --stacks: the stack map (stack id -> user return addresses), and why
 * stacks could not be captured. */
int loader__stack_map_fd(const struct loader *l);
void loader__stack_errors(const struct loader *l, uint64_t errors[TTLEAK_STACK_ERROR_MAX]);

/* Start counting: the BPF programs drop (and count) every event until every
 * probe is attached and the caller has named the traced processes. */
void loader__arm(struct loader *l);

/* What the BPF programs counted instead of sending: events while not armed
 * (before arm, after detach), and mesh id reads that faulted. */
void loader__probe_counters(const struct loader *l, uint64_t *unarmed_events,
			    uint64_t *mesh_id_read_faults);

/* Disarms, delivers what is still queued, then detaches every probe. */
void loader__detach(struct loader *l);

/* Detaches if needed and frees. */
void loader__close(struct loader *l);

/* Route libbpf's own messages to stderr (verbose) or drop them. */
void loader__set_verbose(bool verbose);

#endif /* TTLEAK_BPF_LOADER_H */
