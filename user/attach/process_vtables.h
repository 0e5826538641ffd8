/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Where a traced process loaded the runtime's Device and MeshDevice vtables.
 * A device pointer's first word (its vptr) equals one of these address
 * points exactly when the object is a chip or a mesh, which is how the
 * tracker tells them apart (and catches a device_ read at the wrong offset).
 *
 * The load address comes from the event itself: a uprobe reports where it
 * fired, and the plan knows where that probe sits in the file. So nothing
 * is read from /proc, and a process that exits before its first event is
 * consumed (a short test) is classified all the same.
 */
#ifndef TTLEAK_PROCESS_VTABLES_H
#define TTLEAK_PROCESS_VTABLES_H

#include <stdint.h>
#include <linux/types.h>
#include "attach/probes.h"
#include "ttleak_event.h"

struct runtime_vtables {
	uint64_t device_vaddr;  /* address point of Device's vtable in the file; 0 unknown */
	uint64_t mesh_vaddr;    /* of distributed::MeshDevice's */
};

/*
 * The library's load bias in ev's process, from ev->probe_ip and the probe
 * that made an event of ev's kind. 0 with *bias set; -ENOENT when the
 * address is no such probe's (or fits several load addresses).
 */
int process_vtables__bias(const struct probe_plan *plan, const struct ttleak_event *ev,
			  uint64_t *bias);

/* A TTLEAK_EV_PROCESS_INFO event for tgid: the vtables at their run-time
 * addresses in a process whose library was loaded at bias. */
void process_vtables__event(uint32_t tgid, uint64_t ts_ns, uint64_t bias,
			    const struct runtime_vtables *vt, struct ttleak_event *ev);

#endif /* TTLEAK_PROCESS_VTABLES_H */
