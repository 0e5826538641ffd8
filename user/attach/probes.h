/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The probe table: which runtime functions the tracer attaches to, by
 * demangled name in every supported API generation, which BPF program serves
 * each, and which findings a missing one disables. probes__resolve() makes a
 * plan from one pass over the library's symbols.
 */
#ifndef TTLEAK_PROBES_H
#define TTLEAK_PROBES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "elf/symbols.h"

enum probe_id {
	PROBE_BUFFER_ALLOC,
	PROBE_BUFFER_FREE,
	PROBE_ALLOCATOR_RESET,
	PROBE_ALLOCATOR_CLEAR,
	PROBE_ALLOCATOR_DESTROY,
	PROBE_CB_LAYOUT,
	PROBE_CB_ALLOC,
	PROBE_CB_DEALLOC,
	PROBE_PROGRAM_IMPL_DTOR,
	PROBE_PROGRAM_DTOR,
	PROBE_DEVICE_CLOSE,
	PROBE_MESH_CLOSE,
	PROBE_MAX
};

/* Findings as bits, for what a plan can and cannot check. */
enum check_bit {
	CHECK_CB_TRACKING = 1u << 0,
	CHECK_RECLAIMED = 1u << 1,
	CHECK_NEVER_FREED = 1u << 2,
	CHECK_GROWTH = 1u << 3,
	CHECK_ANOMALIES = 1u << 4,
	CHECK_ALL = (1u << 5) - 1,
};

struct probe_def {
	const char *label;        /* short name for messages */
	const char *bpf_program;  /* default BPF program */
	uint8_t event_kind;       /* enum ttleak_event_kind its program sends */
	bool required;            /* without it the tracer cannot run */
	uint32_t needed_by;       /* check bits it is necessary for */
	const char *const *names; /* acceptable qualified names */
	size_t n_names;
};

struct probe_target {
	const char *bpf_program;  /* may differ from the default (overloads) */
	uint64_t file_offset;     /* where the probe goes (entry + moved) */
	uint64_t vaddr;           /* the same place as a link-time address */
	uint64_t size;            /* the function's size, from the symbol table */
	uint32_t moved;           /* bytes after the entry, see attach/probe_site.h */
	uint8_t args_read;        /* arguments its BPF program reads, bit i: argument i */
	uint64_t arg_cookie;      /* where they are at the probe (include/ttleak_args.h) */
	char site_insn[64];       /* the instruction the probe sits on */
	char demangled[512];
};

#define PROBE_MAX_TARGETS 4

struct probe_plan {
	struct probe_target targets[PROBE_MAX][PROBE_MAX_TARGETS];
	size_t n_targets[PROBE_MAX];
	bool wanted[PROBE_MAX];   /* to be attached in this generation */
	char generation[16];      /* era label from the names ("E3-E5"), for messages only */
	uint32_t checks;          /* check bits all of whose probes resolved */
	bool has_symtab, has_debuginfo;
	uint64_t symbols_scanned;
	char build_id[41];
};

const struct probe_def *probes__def(enum probe_id id);

/* Resolve every probe in lib_path into *plan. 0, or -errno from symbols__resolve(). */
int probes__resolve(const char *lib_path, struct probe_plan *plan);

/* What a probes__resolve() error means, for messages. */
const char *probes__strerror(int err);

/* Required probes that did not resolve, as a comma-separated list; "" if none. */
void probes__missing_required(const struct probe_plan *plan, char *buf, size_t size);

/* Checks possible with the probes attached (bit per enum probe_id), e.g.
 * from a recorded event log's header. */
uint32_t probes__checks_for_mask(uint64_t attached);

/* Names of the checks a mask lacks, comma-separated ("cb_tracking, growth"). */
void probes__describe_checks(uint32_t missing, char *buf, size_t size);

#endif /* TTLEAK_PROBES_H */
