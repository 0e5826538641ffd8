/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Privileges: the tracer needs root's capabilities only to load and attach
 * (measured on Linux 6.18, docs/permissions.md: CAP_BPF and CAP_PERFMON load
 * the programs, but creating a uprobe needs CAP_SYS_ADMIN since Linux 6.16
 * and the stable kernels that took that change, whatever
 * kernel.perf_event_paranoid says; CAP_SYS_ADMIN alone also loads them).
 * After attaching it keeps only what the rest of the run uses, and run
 * mode's command runs as the user who ran sudo.
 */
#ifndef TTLEAK_PRIVILEGES_H
#define TTLEAK_PRIVILEGES_H

#include <stdbool.h>
#include <stddef.h>
#include "attach/child.h"

/*
 * Who run mode's command runs as: --as-root keeps the tracer's identity;
 * --user NAME (user may be NULL) that user; else, when root came through
 * sudo, SUDO_UID/SUDO_GID; else the tracer's own identity. 0, or -errno
 * with a message in err (an unknown user). Clears the ambient capabilities,
 * so that a command run as a user other than root gets none of the tracer's.
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
 * keep_attach (--all, which probes library files found later) also keeps
 * what attaching takes: CAP_SYS_ADMIN, CAP_BPF and CAP_PERFMON.
 * Sets no_new_privs. 0, or -errno with a message in err.
 */
int privileges__drop_after_attach(bool keep_attach, char *err, size_t errlen);

/* The capabilities the process holds now, as "cap_sys_ptrace,cap_kill"
 * (for tests and -v). */
void privileges__describe(char *buf, size_t size);

/* Whether the effective set holds cap (CAP_BPF, ...); false if unknown. */
bool privileges__have(unsigned cap);

/*
 * Why loading (attach false) or attaching a uprobe (attach true) was
 * refused with EPERM/EACCES, naming the capabilities the process lacks:
 * "missing CAP_BPF and CAP_PERFMON", or, holding them all, what else
 * refuses (lockdown, a security module). Written to buf.
 */
void privileges__explain_denied(bool attach, char *buf, size_t size);

#endif /* TTLEAK_PRIVILEGES_H */
