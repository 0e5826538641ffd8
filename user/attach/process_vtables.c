// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <string.h>
#include "attach/process_vtables.h"

/* Libraries are mapped at page boundaries: a bias is a page multiple. */
#define LOAD_ALIGN 4096u

int process_vtables__bias(const struct probe_plan *plan, const struct ttleak_event *ev,
			  uint64_t *bias)
{
	uint64_t found = 0;
	size_t id, i;
	int n = 0;

	if (!ev->probe_ip)
		return -ENOENT;
	for (id = 0; id < PROBE_MAX; id++) {
		if (probes__def(id)->event_kind != ev->kind || !plan->wanted[id])
			continue;
		for (i = 0; i < plan->n_targets[id]; i++) {
			uint64_t vaddr = plan->targets[id][i].vaddr, b = ev->probe_ip - vaddr;

			if (ev->probe_ip < vaddr || b % LOAD_ALIGN || (n && b == found))
				continue;
			found = b;
			n++;
		}
	}
	if (n != 1)
		return -ENOENT;
	*bias = found;
	return 0;
}

void process_vtables__event(uint32_t tgid, uint64_t ts_ns, uint64_t bias,
			    const struct runtime_vtables *vt, struct ttleak_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->kind = TTLEAK_EV_PROCESS_INFO;
	ev->tgid = tgid;
	ev->ts_ns = ts_ns;
	ev->chip_id = TTLEAK_CHIP_UNKNOWN;
	ev->mesh_id = TTLEAK_MESH_UNKNOWN;
	ev->stack_id = -1;
	ev->object = vt->device_vaddr ? bias + vt->device_vaddr : 0;
	ev->address = vt->mesh_vaddr ? bias + vt->mesh_vaddr : 0;
}
