/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The event the tracker's tests start from: this test process, chip 0 of
 * device TEST_DEVICE, its buffers owned and freed by TEST_ALLOCATOR. Each test
 * then sets the fields its kind of event carries.
 */
#ifndef TTLEAK_TEST_EVENT_H
#define TTLEAK_TEST_EVENT_H

#include <string.h>
#include <unistd.h>
#include "ttleak_event.h"

#define TEST_ALLOCATOR 0xa000
#define TEST_DEVICE 0xd000

static inline struct ttleak_event test_event(uint8_t kind, int32_t stack_id)
{
	struct ttleak_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.kind = kind;
	ev.tgid = (uint32_t)getpid();
	ev.tid = ev.tgid;
	ev.chip_id = 0;
	ev.mesh_id = TTLEAK_MESH_UNKNOWN;
	ev.stack_id = stack_id;
	ev.allocator = ev.allocator_field = ev.object = TEST_ALLOCATOR;
	ev.device = TEST_DEVICE;
	return ev;
}

#endif /* TTLEAK_TEST_EVENT_H */
