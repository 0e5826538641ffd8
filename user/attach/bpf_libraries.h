/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * --all: probes in every distinct runtime library file (lib_set.h), each
 * with its own symbols and struct layout, as one BPF object per file
 * sharing one ring buffer (bpf_loader.h). Files that processes started
 * later map are found by scanning /proc every second and probed then.
 */
#ifndef TTLEAK_BPF_LIBRARIES_H
#define TTLEAK_BPF_LIBRARIES_H

#include <limits.h>
#include <stdbool.h>
#include "attach/bpf_loader.h"
#include "cli.h"
#include "elf/layout.h"
#include "attach/probes.h"
#include "attach/process_vtables.h"
#include "model/run_info.h"

struct bpf_libraries;

/* One library file made ready to probe. */
struct traced_lib {
	char open_path[64];      /* "/proc/self/fd/N" */
	char path[PATH_MAX];     /* as shown */
	struct probe_plan plan;
	struct layout layout;
	struct runtime_vtables vtables;
};

/* Find every library file (--lib, every mapping, else TT_METAL_HOME or
 * --import-probe) and make each ready; the first that can be traced is the
 * primary, for loader__open. An exit status: 0, or why nothing can be
 * traced (the message said). */
int bpf_libraries__open(const struct cli_opts *o, struct bpf_libraries **out);

const struct traced_lib *bpf_libraries__primary(const struct bpf_libraries *b);

/* Attach every ready library but the primary (which loader__open did). */
void bpf_libraries__attach(struct bpf_libraries *b, struct loader *l,
			   const struct loader_opts *base);

/* Scan for new files when a second has passed since the last scan, and
 * probe them. */
void bpf_libraries__poll(struct bpf_libraries *b, struct loader *l,
			 const struct loader_opts *base, double now);

/* The vtables of the library whose probe made ev, and its load bias in
 * ev's process. NULL when ev fits none. */
const struct runtime_vtables *bpf_libraries__vtables(const struct bpf_libraries *b,
						     const struct ttleak_event *ev,
						     uint64_t *bias);

/* For the report: every file, its owner, traced or why not. */
const struct run_library *bpf_libraries__report(const struct bpf_libraries *b, size_t *n);

/* Checks every traced library's probes allow (enum check_bit). */
uint32_t bpf_libraries__checks(const struct bpf_libraries *b);

void bpf_libraries__free(struct bpf_libraries *b);

#endif /* TTLEAK_BPF_LIBRARIES_H */
