/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Privileges: the tracer needs root's capabilities only to load and attach
 * (measured on Linux 6.18: CAP_BPF and CAP_PERFMON load the programs, but
 * attaching a uprobe also needs CAP_SYS_ADMIN; CAP_SYS_PTRACE reads other
 * users' /proc/PID/maps). After attaching it keeps only what the rest of
 * the run uses, and run mode's command runs as the user who ran sudo.
 */
#ifndef TTLEAK_PRIVILEGES_H
#define TTLEAK_PRIVILEGES_H

#include <stdbool.h>
#include <stddef.h>
#include "child.h"

/*
 * Who run mode's command runs as: --as-root keeps the tracer's identity;
 * --user NAME (user may be NULL) that user; else, when root came through
 * sudo, SUDO_UID/SUDO_GID; else the tracer's own identity. 0, or -errno
 * with a message in err (an unknown user).
 */
int privileges__command_identity(const char *user, bool as_root, struct child_identity *who,
				 char *err, size_t errlen);

/*
 * After every probe is attached: drop every capability (effective,
 * permitted, inheritable, bounding) except those the rest of the run uses:
 * CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH (the traced processes' maps and
 * library files, for device classes and stacks), CAP_DAC_OVERRIDE (the
 * output files, whose temporary copies were made at start, are renamed
 * into place at the end) and CAP_KILL (a signal passed on to the command).
 * Sets no_new_privs. 0, or -errno with a message in err.
 */
int privileges__drop_after_attach(char *err, size_t errlen);

/* The capabilities the process holds now, as "cap_sys_ptrace,cap_kill"
 * (for tests and -v). */
void privileges__describe(char *buf, size_t size);

#endif /* TTLEAK_PRIVILEGES_H */
