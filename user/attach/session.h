/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The live session's state, shared by bpf_session.c (the trace itself) and
 * session_modes.c (what differs between -p, run mode and --all). Private to
 * those two files.
 */
#ifndef TTLEAK_SESSION_H
#define TTLEAK_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "cli.h"
#include "attach/bpf_libraries.h"
#include "attach/bpf_loader.h"
#include "attach/child.h"
#include "attach/probes.h"
#include "attach/proc_identity.h"
#include "attach/process_vtables.h"
#include "attach/target.h"
#include "elf/layout.h"
#include "elf/stacks.h"
#include "model/process_labels.h"
#include "model/run_info.h"
#include "pipeline/pipeline.h"

struct session;
struct announced;
struct pending_stack;

/*
 * Everything the three live modes do differently, so the session itself
 * never asks which mode it is in. A NULL operation has nothing to do.
 */
struct session_mode {
	enum loader_filter filter;  /* which processes BPF reports */
	bool attached_mid_run;      /* the process ran before the probes went in */
	bool signals_stop;          /* Ctrl-C ends the trace (run mode: it reaches the command) */
	bool report_each_exit;      /* a report per process as it exits (--all) */
	bool keeps_attach_rights;   /* attaches to library files found later (--all) */
	bool many_libraries;        /* traces every library file found, not one (--all) */
	const char *attached_hint;  /* after "attached N probes (...)" */
	/* Find the library (and, but for --all, its probes and layout). */
	int (*locate)(struct session *s);
	/* Before the probes attach (run mode starts its command paused). */
	int (*prepare)(struct session *s);
	/* Is the process traced still the one found? 0, or -1 with err set. */
	int (*verify_target)(struct session *s, char *err, size_t errlen);
	/* The probes are attached, not yet armed. */
	int (*after_attach)(struct session *s);
	/* Let the traced process go on; *pidfd: a descriptor that tells its exit, or -1. */
	int (*go)(struct session *s, int *pidfd);
	/* Why the traced process's side of the trace is over, or NULL. */
	const char *(*target_ended)(struct session *s, int pidfd);
	/* After the trace: what the report says of the command. */
	void (*collect)(struct session *s);
	/* Set-up failed before the process was let go. */
	void (*abandon)(struct session *s);
};

/* The operations of a live mode (MODE_ATTACH, MODE_RUN, MODE_ALL). */
const struct session_mode *session_mode__of(enum cli_mode mode);

struct session {
	const struct cli_opts *opts;
	const struct session_mode *mode;
	struct target target;     /* library paths, pid, command */
	struct child child;       /* run mode */
	struct probe_plan plan;
	struct layout layout;
	struct runtime_vtables vtables; /* to tell chips from meshes */
	struct announced *announced;
	struct proc_identity identity; /* -p: the process found, from discovery to attach */
	struct bpf_libraries *libs; /* --all: every library file */
	struct loader_opts loader_opts; /* to attach libraries found later (--all) */
	struct pipeline *pipeline; /* tracker, exports, event log */
	struct loader *loader;
	struct stack_store *stacks; /* --stacks */
	enum ttleak_stack_mode stack_mode;
	struct pending_stack *pending; /* --stacks=dwarf, by thread */
	struct run_info run;
	struct process_labels labels;
	uint32_t *exited;         /* --all: processes to report at the next turn */
	size_t n_exited;
	uint32_t *reported;       /* --all: processes already reported at exit */
	size_t n_reported;
	bool root_exited;
	double started;           /* when the probes went live */
};

/* Signals the tracer receives with kill() are passed on to pid (run mode). */
void session__forward_signals_to(pid_t pid);

#endif /* TTLEAK_SESSION_H */
