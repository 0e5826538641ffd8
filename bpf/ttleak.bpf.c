// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Uprobes on the tt-metal runtime's allocation functions. Each program reads
 * what it needs at its function's entry, or at the first instruction after it
 * that the kernel emulates (no entry/return pairs: every trap costs
 * microseconds), and sends one struct ttleak_event through one ring buffer.
 * Arguments are read where the probe's attach cookie says (arg()).
 *
 * Object layouts differ between runtime generations, so every offset is a
 * const volatile global that the loader sets from the layout profile before
 * load. A field that cannot be read sets TTLEAK_F_READ_FAULT instead of being
 * guessed; an event that cannot be delivered is counted in drops[].
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "ttleak_event.h"
#include "ttleak_args.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* errno values bpf_get_stackid() returns (vmlinux.h has no macros). */
#define ENOMEM 12
#define EEXIST 17

/* Which processes are traced (enum ttleak_filter_mode). */
const volatile __u32 filter_mode = TTLEAK_FILTER_ALL;
const volatile __u32 target_tgid = 0;

/* Buffer layout, from evidence (DWARF or the library's own accessors).
 * buffer_impl_offset < 0: the fields are inline in Buffer; otherwise Buffer
 * holds a pointer to them at that offset (a pimpl build). */
const volatile __s32 buffer_impl_offset = -1;
const volatile __u32 buf_off_device = 16;
const volatile __u32 buf_off_size = 24;
const volatile __u32 buf_off_type = 32;
const volatile __u32 buf_off_allocator = 64;
const volatile __u32 buf_off_address = 80;
const volatile __u32 buf_off_page_size = 88;
/* Bytes from the start of the fields that cover all of them: one user-memory
 * read of this span instead of one per field (each read costs ~0.1 us). */
const volatile __u32 buf_span = 96;
/* Device::id_ (chip id); < 0 when unknown for this build. */
const volatile __s32 device_id_offset = -1;
/* MeshDevice's id: at mesh_id_offset of the object mesh_impl_offset points
 * to (a pimpl), or of the MeshDevice itself when mesh_impl_offset < 0;
 * mesh_id_offset < 0 when unknown. */
const volatile __s32 mesh_impl_offset = -1;
const volatile __s32 mesh_id_offset = -1;
/* Bytes of a device object read at once: vptr, id_, the mesh pimpl. */
const volatile __u32 dev_span = 32;
/* --stacks: capture the user stack of buffer and CB allocations
 * (enum ttleak_stack_mode); with TTLEAK_STACKS_DWARF, stack_bytes of it. */
const volatile __u32 capture_stacks = TTLEAK_STACKS_OFF;
const volatile __u32 stack_bytes = TTLEAK_STACK_BYTES_DEFAULT;
/* Wake user space only when this much is queued, so bursts cost one wake-up;
 * the loader polls with a short timeout to pick up the rest. */
const volatile __u64 wakeup_bytes = 256 * 1024;

/* User space sets armed once every probe is attached and clears it before
 * the first is detached: a half-attached runtime shows frees without their
 * allocations (and the reverse), so those events are counted, not sent. */
volatile __u32 armed = 0;
__u64 unarmed_events = 0;
/* Mesh id reads that faulted (read_mesh_id): each cost a page fault. */
__u64 mesh_id_read_faults = 0;

__u64 drops[TTLEAK_DROP_REASON_MAX] = {};
__u64 stack_errors[TTLEAK_STACK_ERROR_MAX] = {};

/* Allocation stacks, deduplicated by the kernel: identical stacks share an
 * id. Sized by the loader; a full map is counted, never silent. */
struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 16384);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, TTLEAK_MAX_STACK_DEPTH * sizeof(__u64));
} stacks SEC(".maps");

/* --stacks=dwarf: where a stack copy is assembled before it goes into the
 * ring buffer with its exact size (a reservation's size must be a constant).
 * One entry per CPU (the loader sizes it); slack past the largest copy
 * lets every chunk's bounds be checked against constants. */
struct ustack_scratch {
	__u8 bytes[sizeof(struct ttleak_ustack) + TTLEAK_STACK_BYTES_MAX + 8192];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ustack_scratch);
} ustack_scratch SEC(".maps");

/* Processes traced (TTLEAK_FILTER_TREE: user space seeds the command's pid, forks
 * add children) or seen (TTLEAK_FILTER_ALL). The value (enum ttleak_tgid_state)
 * says whether the process's first event went out yet: that one wakes user
 * space at once, so it can read the process's command line while the
 * process surely lives. */

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, __u8);
} traced_tgids SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, TTLEAK_RINGBUF_DEFAULT);
} events SEC(".maps");

static __always_inline bool traced(__u32 tgid)
{
	if (filter_mode == TTLEAK_FILTER_TGID)
		return tgid == target_tgid;
	if (filter_mode == TTLEAK_FILTER_TREE)
		return bpf_map_lookup_elem(&traced_tgids, &tgid) != NULL;
	return true;
}

enum admission {
	NOT_TRACED,
	NOT_ARMED,   /* traced, but the probes are not all attached: counted apart */
	ADMITTED,
};

/* Whether an event of tgid is sent, and whether it is the process's first.
 * A process is marked announced only by an event that is sent, so that its
 * first sent event still wakes user space while the process surely lives. */
static __always_inline enum admission admit(__u32 tgid, bool *first)
{
	__u8 announced = TTLEAK_TGID_ANNOUNCED, *state;

	*first = false;
	if (filter_mode == TTLEAK_FILTER_TGID) {
		if (tgid != target_tgid) /* user space named it before attaching */
			return NOT_TRACED;
		return armed ? ADMITTED : NOT_ARMED;
	}
	state = bpf_map_lookup_elem(&traced_tgids, &tgid);
	if (filter_mode == TTLEAK_FILTER_TREE && !state)
		return NOT_TRACED;
	if (!armed)
		return NOT_ARMED;
	if (!state || *state != TTLEAK_TGID_ANNOUNCED) {
		*first = true;
		bpf_map_update_elem(&traced_tgids, &tgid, &announced, BPF_ANY);
	}
	return ADMITTED;
}

/* Reserve and fill the common header; NULL (and a counted drop) when full. */
static __always_inline struct ttleak_event *event_reserve(__u8 kind)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct ttleak_event *e;

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		__sync_fetch_and_add(&drops[TTLEAK_DROP_RINGBUF_FULL], 1);
		return NULL;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->ts_ns = bpf_ktime_get_ns();
	e->tgid = id >> 32;
	e->tid = (__u32)id;
	e->kind = kind;
	e->chip_id = TTLEAK_CHIP_UNKNOWN;
	e->mesh_id = TTLEAK_MESH_UNKNOWN;
	e->stack_id = -1;
	return e;
}

/* The user stack from sp up, page by page: only the page where the stack
 * ends faults, and what came before it is kept. Bytes copied. */
static __always_inline __u32 copy_user_stack(__u8 *dst, __u64 sp)
{
	__u32 done = 0, chunk, left;
	int i;

	for (i = 0; i < TTLEAK_STACK_BYTES_MAX / 4096 + 1; i++) {
		if (done >= stack_bytes || done > TTLEAK_STACK_BYTES_MAX - 1)
			break;
		chunk = 4096 - ((sp + done) & 4095);
		left = stack_bytes - done;
		if (chunk > left)
			chunk = left;
		/* done < TTLEAK_STACK_BYTES_MAX and chunk <= 4096 hold, but the
		 * verifier must see bounds on every path: masks (the scratch has
		 * the slack), kept by barriers from the compiler, which knows
		 * they change nothing. */
		barrier_var(chunk);
		chunk &= 8191;
		barrier_var(done);
		done &= TTLEAK_STACK_BYTES_MAX - 1;
		if (bpf_probe_read_user(dst + done, chunk, (const void *)(sp + done)))
			break;
		done += chunk;
	}
	return done;
}

/* --stacks=dwarf: the registers at entry and the stack above sp, sent just
 * before the event (same thread, so user space pairs them). */
static __always_inline bool send_ustack(struct pt_regs *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 cpu = bpf_get_smp_processor_id(), size;
	struct ustack_scratch *s;
	struct ttleak_ustack *u;

	s = bpf_map_lookup_elem(&ustack_scratch, &cpu);
	if (!s)
		return false;
	u = (struct ttleak_ustack *)s->bytes;
	u->ts_ns = bpf_ktime_get_ns();
	u->tgid = id >> 32;
	u->tid = (__u32)id;
	u->kind = TTLEAK_REC_USTACK;
	u->ret_slot = TTLEAK_RET_SLOT(bpf_get_attach_cookie(ctx));
	u->regs[0] = ctx->ax;
	u->regs[1] = ctx->dx;
	u->regs[2] = ctx->cx;
	u->regs[3] = ctx->bx;
	u->regs[4] = ctx->si;
	u->regs[5] = ctx->di;
	u->regs[6] = ctx->bp;
	u->regs[TTLEAK_UREG_SP] = ctx->sp;
	u->regs[8] = ctx->r8;
	u->regs[9] = ctx->r9;
	u->regs[10] = ctx->r10;
	u->regs[11] = ctx->r11;
	u->regs[12] = ctx->r12;
	u->regs[13] = ctx->r13;
	u->regs[14] = ctx->r14;
	u->regs[15] = ctx->r15;
	u->regs[TTLEAK_UREG_IP] = ctx->ip;
	size = copy_user_stack(s->bytes + sizeof(*u), ctx->sp);
	if (!size || size > TTLEAK_STACK_BYTES_MAX) {
		__sync_fetch_and_add(&stack_errors[TTLEAK_STACK_FAULT], 1);
		return false;
	}
	u->size = size;
	/* Stack copies may use half the ring at most: the events come first. */
	if (bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) + sizeof(*u) + size >
	    bpf_ringbuf_query(&events, BPF_RB_RING_SIZE) / 2 ||
	    bpf_ringbuf_output(&events, s, sizeof(*u) + size, BPF_RB_NO_WAKEUP)) {
		__sync_fetch_and_add(&stack_errors[TTLEAK_STACK_SAMPLE_DROPPED], 1);
		return false;
	}
	return true;
}

/* An event of the current process, if it is traced; `stacked`: an
 * allocation, whose stack --stacks=dwarf sends first. */
static __always_inline struct ttleak_event *event_begin(__u8 kind, struct pt_regs *ctx,
							bool stacked)
{
	struct ttleak_event *e;
	bool first, sent = false;

	switch (admit(bpf_get_current_pid_tgid() >> 32, &first)) {
	case NOT_TRACED:
		return NULL;
	case NOT_ARMED:
		__sync_fetch_and_add(&unarmed_events, 1);
		return NULL;
	default:
		break;
	}
	if (stacked && capture_stacks == TTLEAK_STACKS_DWARF)
		sent = send_ustack(ctx);
	e = event_reserve(kind);
	if (!e)
		return NULL;
	if (first)
		e->flags |= TTLEAK_F_NEW_PROCESS;
	if (sent)
		e->flags |= TTLEAK_F_USTACK;
	e->probe_ip = PT_REGS_IP(ctx);
	return e;
}

static __always_inline void event_submit(struct ttleak_event *e, bool urgent)
{
	__u64 flags = BPF_RB_NO_WAKEUP;

	if (urgent || (e->flags & TTLEAK_F_NEW_PROCESS) ||
	    bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= wakeup_bytes)
		flags = BPF_RB_FORCE_WAKEUP;
	bpf_ringbuf_submit(e, flags);
}

static __always_inline void read_field(struct ttleak_event *e, void *dst, __u32 size,
				       const void *base, __u32 off)
{
	if (bpf_probe_read_user(dst, size, (const char *)base + off))
		e->flags |= TTLEAK_F_READ_FAULT;
}

static __always_inline __s32 span_s32(const __u8 *raw, __u32 max, __s32 off)
{
	__s32 v;

	__builtin_memcpy(&v, raw + (off >= 0 && (__u32)off <= max - 4 ? off : 0), sizeof(v));
	return v;
}

/* Lowest and past-highest address a user pointer can hold on x86-64
 * (mmap_min_addr's default; TASK_SIZE_MAX with 4-level paging). */
#define USER_ADDR_MIN 0x10000ULL
#define USER_ADDR_END 0x7ffffffff000ULL

/* Whether p can point to a heap object: a read of anything else faults, and
 * a fault costs microseconds (the kernel's whole page-fault path). */
static __always_inline bool plausible_object(__u64 p)
{
	return p >= USER_ADDR_MIN && p < USER_ADDR_END && !(p & 7);
}

/* The mesh id, when the device is a MeshDevice. From a chip's Device object
 * this reads unrelated memory: that is no error, user space tells chips from
 * meshes by the vptr and ignores it. But it must not fault on every event of
 * a chip: a real E4/E5 Device has its int id_ where a MeshDevice has its
 * pimpl pointer, so every chip but chip 0 would read address id_ + offset. */
static __always_inline __s32 read_mesh_id(const __u8 *raw, const void *device)
{
	const void *holder = device;
	__s32 id = TTLEAK_MESH_UNKNOWN;

	if (mesh_id_offset < 0)
		return id;
	if (mesh_impl_offset >= 0) {
		__builtin_memcpy(&holder, raw + (mesh_impl_offset <= TTLEAK_DEV_SPAN_MAX - 8 ?
						 mesh_impl_offset : 0), sizeof(holder));
		if (!plausible_object((__u64)holder))
			return id;
	}
	if (bpf_probe_read_user(&id, sizeof(id), (const char *)holder + mesh_id_offset)) {
		__sync_fetch_and_add(&mesh_id_read_faults, 1);
		return TTLEAK_MESH_UNKNOWN;
	}
	return id;
}

/* vptr, chip id and mesh id of an IDevice*, from one read of its first
 * dev_span bytes (plus one for a pimpl'd mesh id). */
static __always_inline void read_device(struct ttleak_event *e, const void *device)
{
	__u8 raw[TTLEAK_DEV_SPAN_MAX];

	e->device = (__u64)device;
	if (!device)
		return;
	if (bpf_probe_read_user(raw, dev_span <= TTLEAK_DEV_SPAN_MAX ? dev_span :
				TTLEAK_DEV_SPAN_MAX, device)) {
		e->flags |= TTLEAK_F_READ_FAULT;
		return;
	}
	__builtin_memcpy(&e->device_vptr, raw, sizeof(e->device_vptr));
	if (device_id_offset >= 0)
		e->chip_id = span_s32(raw, TTLEAK_DEV_SPAN_MAX, device_id_offset);
	e->mesh_id = read_mesh_id(raw, device);
}

/* --stacks=fp: the kernel's frame-pointer walk, deduplicated in the map. */
static __always_inline void capture_stack(struct ttleak_event *e, void *ctx)
{
	long id;

	if (capture_stacks != TTLEAK_STACKS_FP)
		return;
	id = bpf_get_stackid(ctx, &stacks, BPF_F_USER_STACK);
	if (id >= 0) {
		e->stack_id = (__s32)id;
		return;
	}
	__sync_fetch_and_add(&stack_errors[id == -EEXIST || id == -ENOMEM ?
					   TTLEAK_STACK_MAP_FULL : TTLEAK_STACK_FAULT], 1);
}

/* A field of the span read by read_buffer(); offsets are load-time constants
 * the loader checked against the span, masked again for the verifier. */
static __always_inline __u64 span_u64(const __u8 *raw, __u32 off)
{
	__u64 v;

	__builtin_memcpy(&v, raw + (off <= TTLEAK_BUF_SPAN_MAX - 8 ? off : TTLEAK_BUF_SPAN_MAX - 8),
			 sizeof(v));
	return v;
}

static __always_inline void read_buffer(struct ttleak_event *e, const void *buffer)
{
	__u8 raw[TTLEAK_BUF_SPAN_MAX];
	const void *fields = buffer;
	__u32 type;

	e->object = (__u64)buffer;
	if (buffer_impl_offset >= 0) {
		fields = NULL;
		read_field(e, &fields, sizeof(fields), buffer, buffer_impl_offset);
		if (!fields) {
			e->flags |= TTLEAK_F_READ_FAULT;
			return;
		}
	}
	if (bpf_probe_read_user(raw, buf_span <= TTLEAK_BUF_SPAN_MAX ? buf_span :
				TTLEAK_BUF_SPAN_MAX, fields)) {
		e->flags |= TTLEAK_F_READ_FAULT;
		return;
	}
	e->size = span_u64(raw, buf_off_size);
	type = (__u32)span_u64(raw, buf_off_type);
	e->allocator = span_u64(raw, buf_off_allocator);
	e->address = span_u64(raw, buf_off_address);
	e->page_size = span_u64(raw, buf_off_page_size);
	e->buffer_type = type < 256 ? type : 255;
	read_device(e, (const void *)span_u64(raw, buf_off_device));
}

/* One load of a pt_regs field, in asm: written in C, clang merges the loads
 * of reg_n()'s cases into one at a computed offset, which the verifier
 * refuses for a context pointer. */
#define REG_LOAD(r, field) ({							\
	__u64 __v;								\
	asm volatile("%0 = *(u64 *)(%1 + %2)" : "=r"(__v)			\
		     : "r"(r), "i"(__builtin_offsetof(struct pt_regs, field)));	\
	__v; })

/* Register n (x86 encoding, as in include/ttleak_args.h) at the probe. */
static __always_inline __u64 reg_n(const struct pt_regs *r, __u32 n)
{
	switch (n) {
	case 0: return REG_LOAD(r, ax);
	case 1: return REG_LOAD(r, cx);
	case 2: return REG_LOAD(r, dx);
	case 3: return REG_LOAD(r, bx);
	case 4: return REG_LOAD(r, sp);
	case 5: return REG_LOAD(r, bp);
	case 6: return REG_LOAD(r, si);
	case 7: return REG_LOAD(r, di);
	case 8: return REG_LOAD(r, r8);
	case 9: return REG_LOAD(r, r9);
	case 10: return REG_LOAD(r, r10);
	case 11: return REG_LOAD(r, r11);
	case 12: return REG_LOAD(r, r12);
	case 13: return REG_LOAD(r, r13);
	case 14: return REG_LOAD(r, r14);
	default: return REG_LOAD(r, r15);
	}
}

/* Argument i (0: rdi ... 5: r9) of the probed function. A probe moved past
 * the entry (user/attach/probe_site.h) may find it in another register or
 * pushed on the stack: its attach cookie says where. 0 and a fault flag when
 * the stack slot cannot be read. */
static __always_inline __u64 arg(struct pt_regs *ctx, __u64 cookie, int i,
				 struct ttleak_event *e)
{
	/* rdi, rsi, rdx, rcx, r8, r9: i is a constant at every call */
	__u32 own = i == 0 ? 7 : i == 1 ? 6 : i == 2 ? 2 : i == 3 ? 1 : i == 4 ? 8 : 9;
	__u8 where = TTLEAK_ARG_BYTE(cookie, i);
	__u64 v = 0;

	if (!(where & TTLEAK_ARG_STACK))
		return reg_n(ctx, where ? where & TTLEAK_ARG_VALUE_MASK : own);
	if (bpf_probe_read_user(&v, sizeof(v), (const void *)(ctx->sp + 8 * (where & TTLEAK_ARG_STACK_MASK))))
		e->flags |= TTLEAK_F_READ_FAULT;
	return v;
}

/* GraphTracker::track_allocate(const Buffer*): the end of a buffer
 * allocation, with the address already set; one probe gives everything. */
SEC("uprobe")
int buffer_alloc(struct pt_regs *ctx)
{
	struct ttleak_event *e = event_begin(TTLEAK_EV_BUFFER_ALLOC, ctx, true);
	__u64 cookie = bpf_get_attach_cookie(ctx);

	if (!e)
		return 0;
	read_buffer(e, (const void *)arg(ctx, cookie, 1, e));
	capture_stack(e, ctx);
	event_submit(e, false);
	return 0;
}

/* Allocator[Impl]::deallocate_buffer(Buffer*): the real free, which happens
 * even where GraphTracker::track_deallocate is skipped. */
SEC("uprobe")
int buffer_free(struct pt_regs *ctx)
{
	struct ttleak_event *e = event_begin(TTLEAK_EV_BUFFER_FREE, ctx, false);
	__u64 cookie = bpf_get_attach_cookie(ctx);

	if (!e)
		return 0;
	read_buffer(e, (const void *)arg(ctx, cookie, 1, e));
	e->allocator_field = e->allocator;
	e->allocator = arg(ctx, cookie, 0, e);
	event_submit(e, false);
	return 0;
}

/* Allocator[Impl]::deallocate_buffers() / clear() / ~AllocatorImpl(): every
 * bank reset (or the allocator destroyed) at once, with no per-buffer events;
 * the tracker reclaims what it still holds. */
SEC("uprobe")
int allocator_reset(struct pt_regs *ctx)
{
	struct ttleak_event *e = event_begin(TTLEAK_EV_ALLOCATOR_RESET, ctx, false);

	if (!e)
		return 0;
	e->object = arg(ctx, bpf_get_attach_cookie(ctx), 0, e);
	e->allocator = e->object;
	event_submit(e, false);
	return 0;
}

/* [detail::ProgramImpl|Program]::allocate_circular_buffers(const IDevice*):
 * the CB allocations that follow on this thread belong to this program. */
SEC("uprobe")
int cb_layout(struct pt_regs *ctx)
{
	struct ttleak_event *e = event_begin(TTLEAK_EV_CB_LAYOUT, ctx, false);
	__u64 cookie = bpf_get_attach_cookie(ctx);

	if (!e)
		return 0;
	e->object = arg(ctx, cookie, 0, e);
	read_device(e, (const void *)arg(ctx, cookie, 1, e));
	event_submit(e, false);
	return 0;
}

/* GraphTracker::track_allocate_cb(const CoreRangeSet&, u64 addr, u64 size,
 * bool is_globally_allocated, const IDevice*): six arguments counting `this`. */
SEC("uprobe")
int cb_alloc(struct pt_regs *ctx)
{
	struct ttleak_event *e = event_begin(TTLEAK_EV_CB_ALLOC, ctx, true);
	__u64 cookie = bpf_get_attach_cookie(ctx);

	if (!e)
		return 0;
	e->address = arg(ctx, cookie, 2, e);
	e->size = arg(ctx, cookie, 3, e);
	if ((__u8)arg(ctx, cookie, 4, e))
		e->flags |= TTLEAK_F_CB_GLOBAL;
	read_device(e, (const void *)arg(ctx, cookie, 5, e));
	capture_stack(e, ctx);
	event_submit(e, false);
	return 0;
}

/* GraphTracker::track_deallocate_cb(const IDevice*), 2026. */
SEC("uprobe")
int cb_dealloc(struct pt_regs *ctx)
{
	struct ttleak_event *e = event_begin(TTLEAK_EV_CB_DEALLOC, ctx, false);

	if (!e)
		return 0;
	read_device(e, (const void *)arg(ctx, bpf_get_attach_cookie(ctx), 1, e));
	event_submit(e, false);
	return 0;
}

/* GraphTracker::track_deallocate_cb(), mid 2025: no device argument. */
SEC("uprobe")
int cb_dealloc_all(struct pt_regs *ctx)
{
	struct ttleak_event *e = event_begin(TTLEAK_EV_CB_DEALLOC, ctx, false);

	if (!e)
		return 0;
	e->flags |= TTLEAK_F_NO_DEVICE;
	event_submit(e, false);
	return 0;
}

/* ~ProgramImpl (2026) / ~Program (mid 2025): the program's CB space is free. */
SEC("uprobe")
int program_destroy(struct pt_regs *ctx)
{
	struct ttleak_event *e = event_begin(TTLEAK_EV_PROGRAM_DESTROY, ctx, false);

	if (!e)
		return 0;
	e->object = arg(ctx, bpf_get_attach_cookie(ctx), 0, e);
	event_submit(e, false);
	return 0;
}

/* Device::close() / MeshDevice::close(): what is still live on this device
 * is reclaimed next. */
SEC("uprobe")
int device_close(struct pt_regs *ctx)
{
	struct ttleak_event *e = event_begin(TTLEAK_EV_DEVICE_CLOSE, ctx, false);

	if (!e)
		return 0;
	e->object = arg(ctx, bpf_get_attach_cookie(ctx), 0, e);
	read_device(e, (const void *)e->object);
	event_submit(e, false);
	return 0;
}

/* The last thread of a traced process is gone: what it still held leaked.
 * signal->live was decremented before this tracepoint fires. */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(process_exit, struct task_struct *task)
{
	__u32 tgid = BPF_CORE_READ(task, tgid);
	struct ttleak_event *e;

	if (BPF_CORE_READ(task, signal, live.counter) != 0 || !traced(tgid))
		return 0;
	/* --all: only processes that used the runtime, not every exit. */
	if (filter_mode == TTLEAK_FILTER_ALL && !bpf_map_lookup_elem(&traced_tgids, &tgid))
		return 0;
	if (filter_mode != TTLEAK_FILTER_TGID)
		bpf_map_delete_elem(&traced_tgids, &tgid);
	e = event_reserve(TTLEAK_EV_PROCESS_EXIT);
	if (!e)
		return 0;
	e->tgid = tgid;
	e->tid = BPF_CORE_READ(task, pid);
	/* The leader's name, not the exiting thread's: threads may be renamed. */
	BPF_CORE_READ_STR_INTO(&e->comm, task, group_leader, comm);
	event_submit(e, true);
	return 0;
}

/* A traced process forked: trace the child too (pytest-xdist workers,
 * multiprocessing). New threads share the tgid, so adding is idempotent. */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(process_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 parent_tgid = BPF_CORE_READ(parent, tgid), child_tgid;
	__u8 traced_state = TTLEAK_TGID_TRACED;

	if (filter_mode != TTLEAK_FILTER_TREE || !traced(parent_tgid))
		return 0;
	child_tgid = BPF_CORE_READ(child, tgid);
	if (child_tgid != parent_tgid)
		bpf_map_update_elem(&traced_tgids, &child_tgid, &traced_state, BPF_ANY);
	return 0;
}
