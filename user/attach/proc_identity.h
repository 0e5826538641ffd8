/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Which process a pid names, from discovery to attach. A pid is only a
 * number: between reading /proc/PID/{maps,cmdline} and attaching, the
 * process may exit and the number be given to another. A pidfd
 * (pidfd_open) refers to one process for good, and the start time (field
 * 22 of /proc/PID/stat, in clock ticks since boot) tells two processes
 * with the same pid apart. The pidfd also tells when the process exits.
 */
#ifndef TTLEAK_PROC_IDENTITY_H
#define TTLEAK_PROC_IDENTITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct proc_identity {
	int pid;
	int pidfd;               /* -1 when not open */
	uint64_t start_time;     /* field 22 of /proc/PID/stat when opened */
};

/* Open a pidfd for pid and read its start time. 0, or -errno with a
 * message in err (-ESRCH: no such process). */
int proc_identity__open(int pid, struct proc_identity *id, char *err, size_t errlen);

/* Still the process opened: alive (a signal 0 through the pidfd reaches
 * it) and /proc/PID/stat shows the same start time. 0, or -ESRCH with a
 * message in err saying the pid now names another process or none. */
int proc_identity__verify(const struct proc_identity *id, char *err, size_t errlen);

/* Whether the process has exited (the pidfd is readable); false when no
 * pidfd is open. */
bool proc_identity__exited(const struct proc_identity *id);

void proc_identity__close(struct proc_identity *id);

/* Field 22 (starttime) of a /proc/PID/stat line. The command (field 2)
 * is in parentheses and may itself hold spaces and ')', so fields are
 * counted from the last ')'. 0, or -EINVAL for a malformed line. */
int proc_identity__parse_start_time(const char *stat_line, uint64_t *start_time);

/* The start time of pid now. 0, -ESRCH (gone) or -EINVAL. */
int proc_identity__read_start_time(int pid, uint64_t *start_time);

/* Same process: both start times were read and agree. */
bool proc_identity__same_start(uint64_t before, int before_ret, uint64_t after, int after_ret);

#endif /* TTLEAK_PROC_IDENTITY_H */
