// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <inttypes.h>
#include <stdio.h>
#include "report/describe.h"

const char *describe__device_kind(enum tracker_device_kind kind)
{
	switch (kind) {
	case TRACKER_DEVICE_CHIP: return "chip";
	case TRACKER_DEVICE_MESH: return "mesh";
	default: return "unknown";
	}
}

void describe__mesh_chips(const struct tracker_device_id *id, char *buf, size_t size)
{
	size_t len = 0;
	uint32_t i;

	buf[0] = '\0';
	for (i = 0; i < id->n_chips && len + 1 < size; i++) {
		int n = snprintf(buf + len, size - len, "%s%d", i ? "," : "", id->chips[i]);

		if (n < 0)
			break;
		len += (size_t)n;
	}
}

void describe__device(const struct tracker_device_id *id, char *buf, size_t size)
{
	char chips[256];

	switch (id->kind) {
	case TRACKER_DEVICE_CHIP:
		snprintf(buf, size, "chip %d", id->chip_id);
		break;
	case TRACKER_DEVICE_MESH:
		describe__mesh_chips(id, chips, sizeof(chips));
		/* A mesh's chips are seen only when a program's circular buffers
		 * fan out to them; say so rather than guess. */
		snprintf(buf, size, "mesh %d (chips %s)", id->mesh_id, chips[0] ? chips : "not seen");
		break;
	default:
		snprintf(buf, size, "device 0x%" PRIx64 " (class or id unknown)", id->ptr);
		break;
	}
}
