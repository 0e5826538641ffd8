/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* --list-probes: what each probe resolves to in a library, without root. */
#ifndef TTLEAK_LIST_PROBES_H
#define TTLEAK_LIST_PROBES_H

#include "cli.h"

/* Returns the exit status: 0, or 2 when required probes are missing. */
int list_probes__run(const struct cli_opts *opts);

#endif /* TTLEAK_LIST_PROBES_H */
