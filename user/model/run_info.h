/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* What a report says about the run itself, next to the tracker's results. */
#ifndef TTLEAK_RUN_INFO_H
#define TTLEAK_RUN_INFO_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <linux/types.h>
#include "ttleak_event.h"

struct stack_store;

/* What names a traced process in reports (model/process_labels.h). */
struct process_label {
	uint32_t tgid;
	char command[256];          /* its command line, "" when unknown */
	/* The kernel's name (comm) in brackets, as ps shows a process whose
	 * command line is gone: "[python3]"; "" when unknown. */
	char comm[TTLEAK_COMM_LEN + 3];
};

/* --all: a library file found mapped (or given), traced or not. */
struct run_library {
	char path[PATH_MAX];        /* as the first process seen mapping it shows it */
	uint32_t owner;             /* the file's uid */
	bool untrusted;             /* owned by neither root nor the invoking user */
	bool traced;                /* probes attached; else why not in problem */
	char generation[16];        /* era from the exported names ("E3-E5"), for people */
	char layout_source[96];
	char problem[256];
};

struct run_info {
	int pid;                    /* -p PID, the run mode's command, 0 for --all */
	char command[256];          /* the traced command line, "" if unknown */
	const struct process_label *labels; /* per process, where known */
	size_t n_labels;
	bool command_ran;           /* run mode: command_status is valid */
	int command_status;         /* wait status of the run mode's command */
	char lib_path[PATH_MAX];    /* library as the process sees it */
	char generation[16];        /* era from the exported names ("E3-E5"), "" unknown */
	char layout_source[96];
	bool attached_mid_run;
	const char *replay_path;    /* non-NULL for --replay */
	double duration_s;          /* < 0: unknown (a replay's damaged timestamps) */
	size_t probes_attached;
	uint32_t checks;            /* enum check_bit: findings this run could check */
	uint64_t drops[TTLEAK_DROP_REASON_MAX];
	bool allow_drops;
	const struct stack_store *stacks; /* --stacks, symbolized; NULL otherwise */
	uint64_t stack_errors[TTLEAK_STACK_ERROR_MAX];
	enum ttleak_stack_mode stack_mode; /* how --stacks captured them */
	/* Probe hits while probes were being attached or detached: not sent,
	 * by design (a half-attached runtime shows frees without allocations). */
	uint64_t unarmed_events;
	/* Mesh id reads that faulted in BPF: harmless on a chip device (its
	 * bytes there are no pointer), a layout problem on a mesh. */
	uint64_t mesh_id_read_faults;
	uint32_t stack_bytes;     /* TTLEAK_STACKS_DWARF: stack copied per allocation */
	const char *stop_reason;    /* "process exited", "interrupted", "duration reached" */
	const struct run_library *libraries; /* --all: every library file found */
	size_t n_libraries;
	uint64_t max_live;          /* the per-process budget (--max-live) */
	const uint32_t *reported;   /* --all: processes whose report was printed as they exited */
	size_t n_reported;
};

#endif /* TTLEAK_RUN_INFO_H */
