/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Command line of ttleak-bpf (argp). */
#ifndef TTLEAK_CLI_H
#define TTLEAK_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "model/verdict.h"

enum cli_mode {
	MODE_ATTACH,      /* -p PID */
	MODE_RUN,         /* -- CMD ARGS... */
	MODE_ALL,         /* --all */
	MODE_LIST_PROBES, /* --list-probes */
	MODE_REPLAY,      /* --replay FILE */
};

/* --stacks: off, or how allocation stacks are captured (docs/usage.md). */
enum cli_stacks {
	STACKS_OFF = 0,
	STACKS_FP,        /* the kernel walks frame pointers */
	STACKS_DWARF,     /* registers and a stack slice, unwound with the CFI in user space */
	STACKS_AUTO,      /* fp when the probed functions keep frame pointers, else dwarf */
};

struct cli_opts {
	enum cli_mode mode;
	int pid;                 /* 0 when not given */
	const char *lib;         /* --lib */
	const char *layout_file; /* --layout */
	const char *json_path;   /* --json, "-" for stdout */
	const char *output_path; /* -o: the text report, instead of stdout */
	const char *record_path; /* --record */
	const char *replay_path; /* --replay */
	const char *import_module; /* --import-probe */
	char **command;          /* run mode: NULL-terminated argv */
	double duration_s;       /* 0: until Ctrl-C or the process exits */
	size_t ringbuf_bytes;
	bool allow_drops;
	bool quiet;
	bool verbose;
	enum cli_stacks stacks;  /* --stacks[=MODE] */
	uint32_t stack_bytes;    /* --stack-bytes: user stack copied per allocation (dwarf) */
	double interval_s;       /* -i: live view period; 0 without -i */
	const char *trace_path;  /* --trace: Perfetto / Chrome trace-event JSON */
	const char *folded_path; /* --folded: bytes left per stack, folded for flame graphs */
	const char *metrics_path; /* --metrics: Prometheus text format file */
	const char *metrics_listen; /* --metrics-listen ADDR:PORT: serve GET /metrics */
	unsigned metrics_labels; /* --metrics-labels: enum metrics_label bits, 0: none */
	bool metrics_labels_given;
	const char *run_as_user; /* --user: run mode's command runs as this user */
	bool as_root;            /* --as-root: run mode's command keeps root */
	uint64_t max_live;       /* --max-live: per-process record budget of the tracker */
};

/* Parses argv: 0, or EXIT_USAGE after saying why. --help and --version
 * print and exit 0 from inside argp. */
int cli__parse(int argc, char **argv, struct cli_opts *opts);

/* --json - : the JSON report has stdout, so text goes to stderr or nowhere. */
bool cli__json_on_stdout(const struct cli_opts *opts);

#endif /* TTLEAK_CLI_H */
