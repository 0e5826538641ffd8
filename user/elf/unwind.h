/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * --stacks=dwarf: unwinds a copy of a thread's registers and the top of its
 * stack (struct ttleak_ustack) with the call-frame information of the code
 * (.eh_frame, .debug_frame) through elfutils' libdwfl unwinder, as
 * `perf --call-graph dwarf` does: no frame pointers needed. One unwinder per
 * process holds its code modules placed where the process mapped them, read
 * through descriptors opened while it ran, so its stacks still unwind after
 * it exits.
 */
#ifndef TTLEAK_UNWIND_H
#define TTLEAK_UNWIND_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/types.h>
#include "ttleak_event.h"

struct unwinder;

/* One executable mapping of a module file. */
struct unwind_module {
	const char *name;       /* path as the process mapped it */
	int fd;                 /* the mapped file, open */
	uint64_t start, pgoff;  /* the mapping's address and file offset */
};

/* How an unwind ended. */
enum unwind_end {
	UNWIND_COMPLETE,        /* at the outermost frame: its CFI says there is no caller */
	UNWIND_SLICE_ENDED,     /* it needed stack above the bytes copied */
	UNWIND_FAILED,          /* no CFI for a frame, or a frame in no known module */
};

/* NULL when none of the modules can be used. */
struct unwinder *unwinder__new(pid_t tgid, const struct unwind_module *mods, size_t n);
void unwinder__free(struct unwinder *u);

/* Frames of the copy `u` (`size` bytes in all), innermost first: the probed
 * function's address, then return addresses. At least the first two (the
 * second from the return address at entry) whatever else fails. */
size_t unwinder__frames(struct unwinder *uw, const struct ttleak_ustack *u, size_t size,
			uint64_t *ips, size_t max, enum unwind_end *end);

/* The same two frames without an unwinder: the probed function and the
 * return address the call pushed (the top of the stack copy at the entry,
 * u->ret_slot slots up where the probe sits past pushes). */
size_t unwind__entry_frames(const struct ttleak_ustack *u, size_t size, uint64_t *ips,
			    size_t max);

#endif /* TTLEAK_UNWIND_H */
