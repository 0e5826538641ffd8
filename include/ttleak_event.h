/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Events shared by the BPF programs (bpf/) and the user-space loader (user/).
 * Fixed-width types only: this header is included from BPF code, which has no
 * libc, and from user space, which has no vmlinux.h.
 *
 * The same struct is the on-disk record of --record / --replay event logs, so
 * any change to it must bump TTLEAK_EVENT_VERSION, and so must a change to
 * what a log's footer carries (user/model/event_log.h): 4 added the probes'
 * own counters to the run's metadata.
 */
#ifndef TTLEAK_EVENT_H
#define TTLEAK_EVENT_H

#define TTLEAK_EVENT_VERSION 4

enum ttleak_event_kind {
	TTLEAK_EV_BUFFER_ALLOC = 1,   /* GraphTracker::track_allocate(buffer): address already set */
	TTLEAK_EV_BUFFER_FREE = 2,    /* Allocator[Impl]::deallocate_buffer(buffer), before the free */
	TTLEAK_EV_ALLOCATOR_RESET = 3,/* deallocate_buffers() / clear() / ~AllocatorImpl: bulk reclaim */
	TTLEAK_EV_CB_LAYOUT = 4,      /* [ProgramImpl|Program]::allocate_circular_buffers(device) entry */
	TTLEAK_EV_CB_ALLOC = 5,       /* GraphTracker::track_allocate_cb(ranges, addr, size, global, device) */
	TTLEAK_EV_CB_DEALLOC = 6,     /* GraphTracker::track_deallocate_cb([device]) */
	TTLEAK_EV_PROGRAM_DESTROY = 7,/* ~ProgramImpl or ~Program entry */
	TTLEAK_EV_DEVICE_CLOSE = 8,   /* Device::close() or MeshDevice::close() entry */
	TTLEAK_EV_PROCESS_EXIT = 9,   /* last thread of a traced process exited */
	/* Made by user space, not BPF, and recorded like the others so a replay
	 * sees it: where this process mapped the runtime's Device and MeshDevice
	 * vtables (object: Device's address point, address: MeshDevice's, 0 when
	 * the library has none), which is how a device pointer is told to be a
	 * chip or a mesh. */
	TTLEAK_EV_PROCESS_INFO = 10,
	TTLEAK_EV_KIND_MAX
};

/* tt::tt_metal::BufferType values, as the runtime stores them. */
enum ttleak_buffer_type {
	TTLEAK_BUF_DRAM = 0,
	TTLEAK_BUF_L1 = 1,
	TTLEAK_BUF_SYSTEM_MEMORY = 2,
	TTLEAK_BUF_L1_SMALL = 3,
	TTLEAK_BUF_TRACE = 4,
	TTLEAK_BUF_TYPE_MAX
};

enum ttleak_event_flags {
	TTLEAK_F_READ_FAULT = 1 << 0, /* a field could not be read from the traced process */
	TTLEAK_F_CB_GLOBAL = 1 << 1,  /* CB is globally allocated (backed by a buffer) */
	TTLEAK_F_NO_DEVICE = 1 << 2,  /* track_deallocate_cb() of a generation without a device */
	TTLEAK_F_NEW_PROCESS = 1 << 3,/* first event of this process: name it while it lives */
	TTLEAK_F_USTACK = 1 << 4,     /* a struct ttleak_ustack of this thread came just before */
};

/* How --stacks captures a stack (capture_stacks in bpf/ttleak.bpf.c). */
enum ttleak_stack_mode {
	TTLEAK_STACKS_OFF = 0,
	TTLEAK_STACKS_FP = 1,         /* the kernel walks frame pointers into the stack map */
	TTLEAK_STACKS_DWARF = 2,      /* registers and a slice of the stack, unwound in user space */
};

/* Why an allocation stack could not be captured (--stacks); counted in .bss.
 * The event itself is still delivered, with stack_id -1. */
enum ttleak_stack_error {
	TTLEAK_STACK_MAP_FULL = 0,    /* stack map full, or a hash collision with another stack */
	TTLEAK_STACK_FAULT,           /* the user stack could not be walked, or not copied at all */
	TTLEAK_STACK_SAMPLE_DROPPED,  /* --stacks=dwarf: no ring-buffer room for the stack copy */
	TTLEAK_STACK_ERROR_MAX
};

#define TTLEAK_MAX_STACK_DEPTH 127    /* kernel limit for one stack map entry */

/* --stacks=dwarf: bytes of user stack copied per allocation, at most. */
#define TTLEAK_STACK_BYTES_MAX 65536
#define TTLEAK_STACK_BYTES_DEFAULT 8192

/* x86-64 registers in DWARF numbering (0 rax .. 15 r15, 16 the return
 * address column: rip), as the unwinder takes them. */
#define TTLEAK_UREGS 17
#define TTLEAK_UREG_SP 7
#define TTLEAK_UREG_IP 16

/* The kind of a ring-buffer record that is not an event: the stack copy of
 * --stacks=dwarf, sent just before the allocation event it belongs to (that
 * event has TTLEAK_F_USTACK). Never in event logs. */
#define TTLEAK_REC_USTACK 0x80

/* The registers at the probed function's entry and the stack above sp:
 * `size` bytes from regs[TTLEAK_UREG_SP] (fewer than asked when the stack
 * ends sooner). Its first fields sit where struct ttleak_event has them. */
struct ttleak_ustack {
	__u64 ts_ns;
	__u32 tgid;
	__u32 tid;
	__u8 kind;         /* TTLEAK_REC_USTACK */
	__u8 ret_slot;     /* the return address is at data + 8 * ret_slot (ttleak_args.h) */
	__u8 pad[2];
	__u32 size;        /* bytes of data[] copied */
	__u64 regs[TTLEAK_UREGS];
	__u8 data[];
};
/* Why the BPF side could not deliver an event; counted in .bss, always reported. */
enum ttleak_drop_reason {
	TTLEAK_DROP_RINGBUF_FULL = 0,
	TTLEAK_DROP_REASON_MAX
};

/* Bytes of a task's comm (TASK_COMM_LEN), its terminating NUL included. */
#define TTLEAK_COMM_LEN 16

#define TTLEAK_CHIP_UNKNOWN (-1)
#define TTLEAK_MESH_UNKNOWN (-1)

/* Which processes the BPF programs trace (filter_mode in bpf/ttleak.bpf.c). */
enum ttleak_filter_mode {
	TTLEAK_FILTER_ALL = 0,     /* every process that runs the probed code (--all) */
	TTLEAK_FILTER_TGID = 1,    /* target_tgid only (-p PID) */
	TTLEAK_FILTER_TREE = 2,    /* the processes in traced_tgids and their descendants (-- CMD) */
};

/* Values of the traced_tgids map: traced, and whether the process's first
 * event went out yet (user space seeds TTLEAK_TGID_TRACED in run mode). */
enum ttleak_tgid_state { TTLEAK_TGID_TRACED = 1, TTLEAK_TGID_ANNOUNCED = 2 };

/* Bytes of a Buffer (or BufferImpl) the BPF side reads in one go: every
 * field offset of a layout plus 8 must fit. */
#define TTLEAK_BUF_SPAN_MAX 128
/* Bytes of a Device/MeshDevice read in one go: vptr, Device::id_ and the
 * MeshDevice pimpl pointer must fit. */
#define TTLEAK_DEV_SPAN_MAX 64

/* The ring buffer's default size: no drops at ~1 M events/s (make bench). */
#define TTLEAK_RINGBUF_DEFAULT (4u * 1024 * 1024)

struct ttleak_event {
	__u64 ts_ns;       /* bpf_ktime_get_ns() (CLOCK_MONOTONIC) */
	__u32 tgid;
	__u32 tid;
	__u8 kind;         /* enum ttleak_event_kind */
	__u8 buffer_type;  /* enum ttleak_buffer_type (buffer events) */
	__u16 flags;       /* enum ttleak_event_flags */
	__s32 chip_id;     /* Device::id_ read through `device`, or TTLEAK_CHIP_UNKNOWN */
	__s32 stack_id;    /* user stack in the stack map (--stacks), else -1 */
	__s32 mesh_id;     /* MeshDevice's id read through `device`, or TTLEAK_MESH_UNKNOWN */
	__u64 device;      /* IDevice* (0 when none) */
	__u64 device_vptr; /* the device object's vtable pointer: chip, mesh or neither */
	__u64 object;      /* Buffer*, ProgramImpl* or Program*, Allocator* */
	__u64 allocator;   /* Allocator* owning the buffer (at a free: `this` of deallocate_buffer) */
	__u64 allocator_field; /* at a free: the buffer's allocator_ field, which must equal `allocator` */
	union {
		struct {
			__u64 address;     /* device address (buffers, CBs) */
			__u64 size;        /* total bytes */
		};
		/* TTLEAK_EV_PROCESS_EXIT: the process's name as the kernel keeps
		 * it (the group leader's comm, NUL-terminated), which names a
		 * process that was gone before its command line could be read.
		 * Sent once per process, so no event grows for it. */
		char comm[TTLEAK_COMM_LEN];
	};
	__u64 page_size;
	__u64 probe_ip;    /* where the uprobe fired: tells where the process loaded the library */
};

#endif /* TTLEAK_EVENT_H */
