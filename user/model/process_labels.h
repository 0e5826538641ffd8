/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * process_labels: what names each traced process in reports. The command
 * line is read at the process's first event, while it surely runs; a
 * process gone by then (short-lived ones under --all) still gets the
 * kernel's name (comm) that its exit event carries. A replay restores both
 * from the event log.
 */
#ifndef TTLEAK_PROCESS_LABELS_H
#define TTLEAK_PROCESS_LABELS_H

#include <stddef.h>
#include <stdint.h>
#include "model/run_info.h"

struct process_labels {
	struct process_label *v;  /* run_info.labels points here */
	size_t n;
};

/* The label of tgid, added (empty) when there is none. NULL: out of memory. */
struct process_label *process_labels__get(struct process_labels *l, uint32_t tgid);

/* Set tgid's command line ("" when it could not be read). 0 or -ENOMEM. */
int process_labels__set_command(struct process_labels *l, uint32_t tgid, const char *command);

/* Set tgid's kernel name from comm (TTLEAK_COMM_LEN bytes, maybe without
 * its NUL), kept as "[comm]"; an empty one is ignored. 0 or -ENOMEM. */
int process_labels__set_comm(struct process_labels *l, uint32_t tgid, const char *comm);

void process_labels__free(struct process_labels *l);

#endif /* TTLEAK_PROCESS_LABELS_H */
