/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Where a traced process mapped the runtime's Device and MeshDevice vtables.
 * A device pointer's first word (its vptr) equals one of these address
 * points exactly when the object is a chip or a mesh, which is how the
 * tracker tells them apart (and catches a device_ read at the wrong offset).
 */
#ifndef TTLEAK_PROCESS_VTABLES_H
#define TTLEAK_PROCESS_VTABLES_H

#include <stdint.h>
#include <linux/types.h>
#include "ttleak_event.h"

struct runtime_vtables {
	uint64_t device_vaddr;  /* address point of Device's vtable in the file; 0 unknown */
	uint64_t mesh_vaddr;    /* of distributed::MeshDevice's */
};

/*
 * Fill *ev as a TTLEAK_EV_PROCESS_INFO event for pid: the vtables of the
 * library file lib_path (matched by device and inode among pid's mappings)
 * at their run-time addresses. 0, or -errno: -ENOENT when pid does not map
 * that file (yet), -ESRCH when pid is gone.
 */
int process_vtables__event(int pid, const char *lib_path, const struct runtime_vtables *vt,
			   struct ttleak_event *ev);

#endif /* TTLEAK_PROCESS_VTABLES_H */
