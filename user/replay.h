/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* --replay FILE: analyse a recorded event log with the live tracker code. */
#ifndef TTLEAK_REPLAY_H
#define TTLEAK_REPLAY_H

#include "cli.h"

int replay__run(const struct cli_opts *opts);

#endif /* TTLEAK_REPLAY_H */
