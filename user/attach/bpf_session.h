/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A live tracing session, in one of three modes: attach to a running process
 * (-p PID), run a command traced from its first instruction (-- CMD), or
 * trace every process that maps the runtime (--all).
 */
#ifndef TTLEAK_BPF_SESSION_H
#define TTLEAK_BPF_SESSION_H

#include "cli.h"

/* Returns the exit status of the run. */
int bpf_session__run(const struct cli_opts *opts);

#endif /* TTLEAK_BPF_SESSION_H */
