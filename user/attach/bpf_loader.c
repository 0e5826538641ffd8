// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "attach/bpf_loader.h"
#include "attach/privileges.h"
#include "ttleak.skel.h"

#define MAX_LINKS (PROBE_MAX * PROBE_MAX_TARGETS + 2) /* + exit, fork tracepoints */

#define MAX_LIBRARIES 64 /* --all: distinct library files traced at once */

/*
 * One BPF object per library file. The programs are the same, but each
 * file's struct layout sits in its object's read-only data, set once
 * before load. The first object (for the first library) owns the maps the
 * others reuse (bpf_map__reuse_fd): the ring buffer, so every event comes
 * in one stream and in order; the stack map, so stack ids mean one thing;
 * the process map, so a process is announced once whichever library it
 * runs. It alone attaches the process tracepoints. Counters stay per
 * object and are summed.
 */
struct loader {
	struct ttleak_bpf *skel;
	struct ring_buffer *rb;     /* the first object's only */
	struct bpf_link *links[MAX_LINKS];
	size_t n_links;
	size_t n_uprobes;
	uint64_t probe_mask;
	loader_event_fn on_event;
	loader_ustack_fn on_ustack;
	void *ctx;
	const struct loader *shared; /* the first object, for the others */
	struct loader *more[MAX_LIBRARIES]; /* the first object: the others */
	size_t n_more;
	bool armed;
};

static bool verbose_libbpf;

/* libbpf's own messages only with -v: ours say what failed and what to do. */
static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	(void)level;
	return verbose_libbpf ? vfprintf(stderr, fmt, args) : 0;
}

void loader__set_verbose(bool verbose)
{
	verbose_libbpf = verbose;
	libbpf_set_print(libbpf_print);
}

/* Say what the environment lacks before libbpf fails obscurely. */
static bool environment_ok(char *err, size_t errlen)
{
	if (access("/sys/kernel/btf/vmlinux", R_OK) != 0) {
		snprintf(err, errlen, "this kernel exposes no BTF (/sys/kernel/btf/vmlinux): "
			 "ttleak-bpf needs a kernel built with CONFIG_DEBUG_INFO_BTF=y (5.8 or later)");
		return false;
	}
	if (access("/sys/bus/event_source/devices/uprobe/type", R_OK) != 0) {
		snprintf(err, errlen, "this kernel has no uprobe support "
			 "(/sys/bus/event_source/devices/uprobe): needs CONFIG_UPROBE_EVENTS=y");
		return false;
	}
	return true;
}

static __u32 bpf_filter_mode(enum loader_filter filter)
{
	switch (filter) {
	case LOADER_TRACE_PID: return TTLEAK_FILTER_TGID;
	case LOADER_TRACE_TREE: return TTLEAK_FILTER_TREE;
	default: return TTLEAK_FILTER_ALL;
	}
}

/* Bytes from the start of the Buffer fields that hold all of them (each is
 * read as 8 bytes); the BPF side reads this span at once. */
static uint32_t layout_span(const struct layout *l)
{
	const uint32_t offs[] = { l->off_device, l->off_size, l->off_type, l->off_allocator,
				  l->off_address, l->off_page_size };
	uint32_t span = 0;
	size_t i;

	for (i = 0; i < sizeof(offs) / sizeof(offs[0]); i++)
		if (offs[i] + 8 > span)
			span = offs[i] + 8;
	return span;
}

/* Bytes of a device object that hold its vptr, Device::id_ and the
 * MeshDevice pimpl pointer; the BPF side reads them at once (the mesh id
 * itself is read on its own). */
static uint32_t device_span(const struct layout *l)
{
	uint32_t span = 8;

	if (l->device_id_offset >= 0 && (uint32_t)l->device_id_offset + 4 > span)
		span = (uint32_t)l->device_id_offset + 4;
	if (l->mesh_impl_offset >= 0 && (uint32_t)l->mesh_impl_offset + 8 > span)
		span = (uint32_t)l->mesh_impl_offset + 8;
	return span;
}

static void configure(struct ttleak_bpf *skel, const struct loader_opts *o)
{
	const struct layout *lay = o->layout;

	skel->rodata->filter_mode = bpf_filter_mode(o->filter);
	skel->rodata->target_tgid = o->filter == LOADER_TRACE_PID ? (__u32)o->pid : 0;
	skel->rodata->buffer_impl_offset = lay->buffer_impl_offset;
	skel->rodata->buf_off_device = lay->off_device;
	skel->rodata->buf_off_size = lay->off_size;
	skel->rodata->buf_off_type = lay->off_type;
	skel->rodata->buf_off_allocator = lay->off_allocator;
	skel->rodata->buf_off_address = lay->off_address;
	skel->rodata->buf_off_page_size = lay->off_page_size;
	skel->rodata->buf_span = layout_span(lay);
	skel->rodata->device_id_offset = lay->device_id_offset;
	skel->rodata->mesh_impl_offset = lay->mesh_impl_offset;
	skel->rodata->mesh_id_offset = lay->mesh_id_offset;
	skel->rodata->dev_span = device_span(lay);
	skel->rodata->wakeup_bytes = o->ringbuf_bytes / 16;
	skel->rodata->capture_stacks = o->stacks;
	skel->rodata->stack_bytes = o->stack_bytes;
	bpf_map__set_max_entries(skel->maps.events, o->ringbuf_bytes);
	/* Each stack entry is ~1 KiB of kernel memory, each scratch copy 72 KiB:
	 * only for the mode that uses them. */
	if (o->stacks != TTLEAK_STACKS_FP)
		bpf_map__set_max_entries(skel->maps.stacks, 1);
	if (o->stacks == TTLEAK_STACKS_DWARF)
		bpf_map__set_max_entries(skel->maps.ustack_scratch,
					 (uint32_t)libbpf_num_possible_cpus());
}

/* The capabilities every attaching mode needs (docs/permissions.md). */
#define NEEDED_CAPS "CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN"

static int attach_target(struct loader *l, const struct loader_opts *o, enum probe_id id,
			 const struct probe_target *t, char *err, size_t errlen)
{
	LIBBPF_OPTS(bpf_uprobe_opts, uopts);
	struct bpf_program *prog = bpf_object__find_program_by_name(l->skel->obj, t->bpf_program);
	struct bpf_link *link;

	if (!prog) {
		snprintf(err, errlen, "internal error: no BPF program '%s'", t->bpf_program);
		return -ENOENT;
	}
	/* A pid here makes the kernel trap only in that process; otherwise
	 * every process mapping the library traps and BPF filters. */
	/* Where the arguments are at this probe's site (probe_site.h). */
	uopts.bpf_cookie = t->arg_cookie;
	link = bpf_program__attach_uprobe_opts(prog, o->filter == LOADER_TRACE_PID ? o->pid : -1,
					       o->lib_path, t->file_offset, &uopts);
	if (!link) {
		int ret = -errno;
		char why[320];

		if (ret == -EPERM || ret == -EACCES) {
			privileges__explain_denied(true, why, sizeof(why));
			snprintf(err, errlen, "permission denied attaching a uprobe to %s (%s+0x%llx): "
				 "%s; run as root, or grant " NEEDED_CAPS " (docs/permissions.md)",
				 t->demangled, o->lib_path, (unsigned long long)t->file_offset, why);
		} else {
			snprintf(err, errlen, "cannot attach uprobe to %s (%s+0x%llx): %s",
				 t->demangled, o->lib_path, (unsigned long long)t->file_offset,
				 strerror(-ret));
		}
		return ret;
	}
	l->links[l->n_links++] = link;
	l->n_uprobes++;
	l->probe_mask |= 1ull << id;
	return 0;
}

static int attach_tracepoint(struct loader *l, struct bpf_program *prog, const char *name,
			     char *err, size_t errlen)
{
	struct bpf_link *link = bpf_program__attach(prog);

	if (!link) {
		int ret = -errno;

		snprintf(err, errlen, "cannot attach the %s tracepoint: %s", name, strerror(-ret));
		return ret;
	}
	l->links[l->n_links++] = link;
	return 0;
}

static int attach_all(struct loader *l, const struct loader_opts *o, char *err, size_t errlen)
{
	size_t id, i;
	int ret;

	for (id = 0; id < PROBE_MAX; id++) {
		if (!o->plan->wanted[id])
			continue;
		for (i = 0; i < o->plan->n_targets[id]; i++) {
			ret = attach_target(l, o, id, &o->plan->targets[id][i], err, errlen);
			if (ret)
				return ret;
		}
	}
	if (l->shared)
		return 0; /* the first object follows processes for all */
	ret = attach_tracepoint(l, l->skel->progs.process_exit, "sched_process_exit", err, errlen);
	if (ret || o->filter != LOADER_TRACE_TREE)
		return ret;
	return attach_tracepoint(l, l->skel->progs.process_fork, "sched_process_fork", err, errlen);
}

int loader__trace_tgid(struct loader *l, int tgid)
{
	__u32 key = (__u32)tgid;
	__u8 one = TTLEAK_TGID_TRACED;

	if (bpf_map__update_elem(l->skel->maps.traced_tgids, &key, sizeof(key), &one, sizeof(one),
				 BPF_ANY))
		return -errno;
	return 0;
}

static int handle_ringbuf(void *ctx, void *data, size_t size)
{
	struct loader *l = ctx;

	if (size >= sizeof(struct ttleak_ustack) &&
	    ((const struct ttleak_ustack *)data)->kind == TTLEAK_REC_USTACK) {
		if (l->on_ustack)
			l->on_ustack(data, size, l->ctx);
		return 0;
	}
	if (size < sizeof(struct ttleak_event))
		return 0;
	l->on_event(data, l->ctx);
	return 0;
}

static void describe_load_error(int ret, char *err, size_t errlen)
{
	char why[256];

	if (ret == -EPERM || ret == -EACCES) {
		privileges__explain_denied(false, why, sizeof(why));
		snprintf(err, errlen, "permission denied loading BPF programs: %s; run as root, or "
			 "grant " NEEDED_CAPS " (docs/permissions.md)", why);
	} else
		snprintf(err, errlen, "cannot load the BPF programs: %s (run with -v for the "
			 "verifier log)", strerror(-ret));
}

/* Use the first object's maps: one ring buffer, one stack map, one process map. */
static int reuse_shared_maps(struct ttleak_bpf *skel, const struct loader *shared, char *err,
			     size_t errlen)
{
	const struct ttleak_bpf *first = shared->skel;

	if (bpf_map__reuse_fd(skel->maps.events, bpf_map__fd(first->maps.events)) ||
	    bpf_map__reuse_fd(skel->maps.stacks, bpf_map__fd(first->maps.stacks)) ||
	    bpf_map__reuse_fd(skel->maps.traced_tgids, bpf_map__fd(first->maps.traced_tgids))) {
		int ret = -errno;

		snprintf(err, errlen, "cannot share the BPF maps with another library's programs: "
			 "%s", strerror(-ret));
		return ret;
	}
	return 0;
}

static struct loader *open_object(const struct loader_opts *o, const struct loader *shared,
				  char *err, size_t errlen, enum loader_failure *failure)
{
	struct loader *l = calloc(1, sizeof(*l));
	int ret;

	*failure = LOADER_FAIL_ENVIRONMENT;
	if (!l) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	l->on_event = o->on_event;
	l->on_ustack = o->on_ustack;
	l->ctx = o->ctx;
	if (!environment_ok(err, errlen))
		goto cleanup;
	if (layout_span(o->layout) > TTLEAK_BUF_SPAN_MAX ||
	    device_span(o->layout) > TTLEAK_DEV_SPAN_MAX) {
		snprintf(err, errlen, "layout '%s' puts Buffer fields beyond byte %d or device "
			 "fields beyond byte %d, more than the BPF programs read; check the layout",
			 o->layout->name, TTLEAK_BUF_SPAN_MAX - 8, TTLEAK_DEV_SPAN_MAX - 8);
		goto cleanup;
	}
	l->skel = ttleak_bpf__open();
	if (!l->skel) {
		describe_load_error(-errno, err, errlen);
		goto cleanup;
	}
	configure(l->skel, o);
	l->shared = shared;
	if (shared && reuse_shared_maps(l->skel, shared, err, errlen))
		goto cleanup;
	ret = ttleak_bpf__load(l->skel);
	if (ret) {
		describe_load_error(ret, err, errlen);
		goto cleanup;
	}
	*failure = LOADER_FAIL_ATTACH;
	ret = attach_all(l, o, err, errlen);
	if (ret) {
		/* No permission is the user's to fix (exit 2), like a refused load. */
		if (ret == -EPERM || ret == -EACCES)
			*failure = LOADER_FAIL_ENVIRONMENT;
		goto cleanup;
	}
	if (shared)
		return l;
	l->rb = ring_buffer__new(bpf_map__fd(l->skel->maps.events), handle_ringbuf, l, NULL);
	if (!l->rb) {
		snprintf(err, errlen, "cannot open the BPF ring buffer: %s", strerror(errno));
		goto cleanup;
	}
	return l;
cleanup:
	loader__close(l);
	return NULL;
}

struct loader *loader__open(const struct loader_opts *o, char *err, size_t errlen,
			    enum loader_failure *failure)
{
	return open_object(o, NULL, err, errlen, failure);
}

int loader__add_library(struct loader *l, const struct loader_opts *o, char *err, size_t errlen,
			enum loader_failure *failure)
{
	struct loader *more;

	if (l->n_more == MAX_LIBRARIES) {
		*failure = LOADER_FAIL_ATTACH;
		snprintf(err, errlen, "more than %d distinct library files: this one is not traced",
			 MAX_LIBRARIES + 1);
		return -E2BIG;
	}
	more = open_object(o, l, err, errlen, failure);
	if (!more)
		return -EINVAL;
	if (l->armed)
		loader__arm(more);
	l->more[l->n_more++] = more;
	return 0;
}

int loader__poll(struct loader *l, int timeout_ms)
{
	int ret = ring_buffer__poll(l->rb, timeout_ms);

	return ret == -EINTR ? 0 : ret;
}

int loader__consume(struct loader *l)
{
	return ring_buffer__consume(l->rb);
}

size_t loader__attached(const struct loader *l, uint64_t *probe_mask)
{
	uint64_t mask = l->probe_mask;
	size_t n = l->n_uprobes, i;

	for (i = 0; i < l->n_more; i++) {
		mask |= l->more[i]->probe_mask;
		n += l->more[i]->n_uprobes;
	}
	if (probe_mask)
		*probe_mask = mask;
	return n;
}

void loader__drops(const struct loader *l, uint64_t drops[TTLEAK_DROP_REASON_MAX])
{
	size_t i, r;

	memcpy(drops, (const void *)l->skel->bss->drops, sizeof(l->skel->bss->drops));
	for (i = 0; i < l->n_more; i++)
		for (r = 0; r < TTLEAK_DROP_REASON_MAX; r++)
			drops[r] += l->more[i]->skel->bss->drops[r];
}

int loader__stack_map_fd(const struct loader *l)
{
	return bpf_map__fd(l->skel->maps.stacks);
}

void loader__stack_errors(const struct loader *l, uint64_t errors[TTLEAK_STACK_ERROR_MAX])
{
	size_t i, r;

	memcpy(errors, (const void *)l->skel->bss->stack_errors, sizeof(l->skel->bss->stack_errors));
	for (i = 0; i < l->n_more; i++)
		for (r = 0; r < TTLEAK_STACK_ERROR_MAX; r++)
			errors[r] += l->more[i]->skel->bss->stack_errors[r];
}

void loader__arm(struct loader *l)
{
	size_t i;

	l->armed = true;
	__atomic_store_n(&l->skel->bss->armed, 1, __ATOMIC_SEQ_CST);
	for (i = 0; i < l->n_more; i++)
		loader__arm(l->more[i]);
}

void loader__probe_counters(const struct loader *l, uint64_t *unarmed_events,
			    uint64_t *mesh_id_read_faults)
{
	size_t i;

	*unarmed_events = __atomic_load_n(&l->skel->bss->unarmed_events, __ATOMIC_RELAXED);
	*mesh_id_read_faults = __atomic_load_n(&l->skel->bss->mesh_id_read_faults,
					       __ATOMIC_RELAXED);
	for (i = 0; i < l->n_more; i++) {
		uint64_t unarmed, faults;

		loader__probe_counters(l->more[i], &unarmed, &faults);
		*unarmed_events += unarmed;
		*mesh_id_read_faults += faults;
	}
}

static void disarm(struct loader *l)
{
	size_t i;

	l->armed = false;
	if (l->skel && l->skel->bss)
		__atomic_store_n(&l->skel->bss->armed, 0, __ATOMIC_SEQ_CST);
	for (i = 0; i < l->n_more; i++)
		disarm(l->more[i]);
}

static void destroy_links(struct loader *l)
{
	size_t i;

	for (i = 0; i < l->n_links; i++)
		bpf_link__destroy(l->links[i]);
	l->n_links = 0;
	for (i = 0; i < l->n_more; i++)
		destroy_links(l->more[i]);
}

/* Disarm first, every library's programs: uprobes go one by one (tens of
 * ms each), and events of a half-detached runtime (frees whose allocation
 * probe is gone) are not the program's behaviour. Then deliver what was
 * submitted while armed. */
void loader__detach(struct loader *l)
{
	disarm(l);
	if (l->rb)
		ring_buffer__consume(l->rb);
	destroy_links(l);
	if (l->rb)
		ring_buffer__consume(l->rb); /* programs that passed the check before it changed */
}

void loader__close(struct loader *l)
{
	size_t i;

	if (!l)
		return;
	loader__detach(l);
	for (i = 0; i < l->n_more; i++)
		loader__close(l->more[i]);
	ring_buffer__free(l->rb);
	ttleak_bpf__destroy(l->skel);
	free(l);
}
