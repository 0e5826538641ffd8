// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The floor: the least a uprobe can do and still observe something. It
 * counts hits per probe and nothing else: no process filter in BPF (the
 * loader attaches per pid, as the tracer does, so the kernel filters), no
 * argument reads, no ring buffer. The difference between the tracer and
 * this is what the tracer's own BPF programs and user space cost; the
 * rest is the trap, which no uprobe-based tool can avoid.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "ttleak_event.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define FLOOR_MAX_PROBES 64

/* Indexed by the attach cookie the loader gives each probe. */
__u64 hits[FLOOR_MAX_PROBES] = {};

SEC("uprobe")
int count_hit(struct pt_regs *ctx)
{
	__u64 i = bpf_get_attach_cookie(ctx);

	if (i < FLOOR_MAX_PROBES)
		__sync_fetch_and_add(&hits[i], 1);
	return 0;
}

/* floor --record: the hit counted, and one ring record the size of the
 * tracer's event, zeroed, timed and submitted without a wake-up, as the
 * tracer's programs do. What the tracer costs beyond this is its own work
 * (filtering, reading the objects, the arguments). */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, TTLEAK_RINGBUF_DEFAULT);
} records SEC(".maps");

SEC("uprobe")
int count_and_record(struct pt_regs *ctx)
{
	__u64 i = bpf_get_attach_cookie(ctx);
	struct ttleak_event *e;

	if (i < FLOOR_MAX_PROBES)
		__sync_fetch_and_add(&hits[i], 1);
	e = bpf_ringbuf_reserve(&records, sizeof(*e), 0);
	if (!e)
		return 0;
	__builtin_memset(e, 0, sizeof(*e));
	e->ts_ns = bpf_ktime_get_ns();
	e->kind = TTLEAK_EV_BUFFER_ALLOC;
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
	return 0;
}
