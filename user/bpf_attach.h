/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* -p PID: attach to a running process, trace until it ends, report. */
#ifndef TTLEAK_BPF_ATTACH_H
#define TTLEAK_BPF_ATTACH_H

#include "cli.h"

int bpf_attach__run(const struct cli_opts *opts);

#endif /* TTLEAK_BPF_ATTACH_H */
