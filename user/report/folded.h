/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * --folded: the bytes each allocation stack left behind, in the folded
 * stack format of flamegraph.pl (and speedscope, Perfetto, inferno): one
 * line per stack, "frame;frame;...;frame BYTES", outermost frame first.
 * The first frame is what was left ("never_freed DRAM": still allocated at
 * process exit; "reclaimed_at_close L1", "cb_tracking CB": leaked), then the
 * allocation stack from the thread's entry to the probed runtime function.
 */
#ifndef TTLEAK_FOLDED_H
#define TTLEAK_FOLDED_H

#include <stdio.h>
#include "model/run_info.h"
#include "model/tracker.h"

/* Lines sorted, identical stacks summed, none at zero bytes. 0, or -ENOMEM. */
int folded__write(FILE *out, const struct run_info *run, const struct tracker_results *r);

#endif /* TTLEAK_FOLDED_H */
