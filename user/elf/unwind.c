// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <gelf.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <elfutils/libdwfl.h>
#include "elf/mapped_file.h"
#include "elf/unwind.h"
#include "ttleak_args.h"

struct unwinder {
	Dwfl *dwfl;
	pid_t tgid;
	/* The copy being unwound, for the callbacks. */
	const struct ttleak_ustack *sample;
	size_t data_size;
	bool read_above;        /* a read past the copy's end failed */
	uint64_t *ips;
	size_t n, max;
};

static const Dwfl_Callbacks process_callbacks = {
	.find_elf = dwfl_build_id_find_elf,
	.find_debuginfo = dwfl_standard_find_debuginfo,
};

/* ---- the thread of one copy ------------------------------------------- */

static pid_t next_thread(Dwfl *dwfl, void *arg, void **thread_argp)
{
	struct unwinder *uw = arg;

	(void)dwfl;
	if (*thread_argp)
		return 0;
	*thread_argp = uw;
	return (pid_t)uw->sample->tid;
}

static bool get_thread(Dwfl *dwfl, pid_t tid, void *arg, void **thread_argp)
{
	(void)dwfl;
	(void)tid;
	*thread_argp = arg;
	return true;
}

/* Only the stack copy can be read: what the unwinder reads is saved
 * registers and return addresses, which live there. */
static bool memory_read(Dwfl *dwfl, Dwarf_Addr addr, Dwarf_Word *result, void *arg)
{
	struct unwinder *uw = arg;
	uint64_t sp = uw->sample->regs[TTLEAK_UREG_SP];

	(void)dwfl;
	if (addr < sp || addr - sp + sizeof(*result) > uw->data_size) {
		uw->read_above |= addr >= sp;
		return false;
	}
	memcpy(result, uw->sample->data + (addr - sp), sizeof(*result));
	return true;
}

static bool set_initial_registers(Dwfl_Thread *thread, void *arg)
{
	struct unwinder *uw = arg;
	Dwarf_Word regs[TTLEAK_UREGS];
	size_t i;

	for (i = 0; i < TTLEAK_UREGS; i++)
		regs[i] = uw->sample->regs[i];
	return dwfl_thread_state_registers(thread, 0, TTLEAK_UREGS, regs);
}

static const Dwfl_Thread_Callbacks thread_callbacks = {
	.next_thread = next_thread,
	.get_thread = get_thread,
	.memory_read = memory_read,
	.set_initial_registers = set_initial_registers,
};

/* ---- modules ----------------------------------------------------------- */

/* Load bias of a module from one of its mappings: the mapping's start is
 * where its file offset pgoff went, inside the PT_LOAD that holds it. */
static bool module_bias(int fd, uint64_t start, uint64_t pgoff, uint64_t *bias)
{
	Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	size_t i, nph;
	GElf_Phdr ph;
	bool found = false;

	if (!elf)
		return false;
	for (i = 0; !elf_getphdrnum(elf, &nph) && i < nph && !found; i++) {
		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD)
			continue;
		if (pgoff + 4096 > ph.p_offset && pgoff < ph.p_offset + ph.p_filesz) {
			*bias = start - (ph.p_vaddr + pgoff - ph.p_offset);
			found = true;
		}
	}
	elf_end(elf);
	return found;
}

static bool report_module(Dwfl *dwfl, const struct unwind_module *m)
{
	char path[64];
	uint64_t bias;

	if (m->fd < 0 || !module_bias(m->fd, m->start, m->pgoff, &bias))
		return false;
	mapped_file__fd_path(m->fd, path, sizeof(path));
	return dwfl_report_elf(dwfl, m->name, path, -1, bias, true) != NULL;
}

struct unwinder *unwinder__new(pid_t tgid, const struct unwind_module *mods, size_t n)
{
	struct unwinder *uw = calloc(1, sizeof(*uw));
	size_t i, reported = 0;

	if (!uw)
		return NULL;
	elf_version(EV_CURRENT);
	uw->tgid = tgid;
	uw->dwfl = dwfl_begin(&process_callbacks);
	if (!uw->dwfl)
		goto fail;
	dwfl_report_begin(uw->dwfl);
	for (i = 0; i < n; i++)
		reported += report_module(uw->dwfl, &mods[i]);
	if (dwfl_report_end(uw->dwfl, NULL, NULL) || !reported ||
	    !dwfl_attach_state(uw->dwfl, NULL, tgid, &thread_callbacks, uw))
		goto fail;
	return uw;
fail:
	unwinder__free(uw);
	return NULL;
}

void unwinder__free(struct unwinder *uw)
{
	if (!uw)
		return;
	if (uw->dwfl)
		dwfl_end(uw->dwfl);
	free(uw);
}

/* ---- unwinding --------------------------------------------------------- */

static int on_frame(Dwfl_Frame *frame, void *arg)
{
	struct unwinder *uw = arg;
	Dwarf_Addr pc;

	if (!dwfl_frame_pc(frame, &pc, NULL))
		return DWARF_CB_ABORT;
	uw->ips[uw->n++] = pc;
	return uw->n < uw->max ? DWARF_CB_OK : DWARF_CB_ABORT;
}

size_t unwind__entry_frames(const struct ttleak_ustack *u, size_t size, uint64_t *ips,
			    size_t max)
{
	size_t n = 0;

	if (max > n)
		ips[n++] = u->regs[TTLEAK_UREG_IP];
	/* The probe may sit past pushes: the cookie said where the call's
	 * return address is now. */
	if (max > n && u->ret_slot != TTLEAK_RET_SLOT_UNKNOWN &&
	    size >= sizeof(*u) + 8 * ((size_t)u->ret_slot + 1))
		memcpy(&ips[n++], u->data + 8 * (size_t)u->ret_slot, sizeof(uint64_t));
	return n;
}

size_t unwinder__frames(struct unwinder *uw, const struct ttleak_ustack *u, size_t size,
			uint64_t *ips, size_t max, enum unwind_end *end)
{
	int ret;

	uw->sample = u;
	uw->data_size = size - sizeof(*u);
	uw->read_above = false;
	uw->ips = ips;
	uw->n = 0;
	uw->max = max;
	ret = dwfl_getthread_frames(uw->dwfl, (pid_t)u->tid, on_frame, uw);
	/* libdwfl ends a walk without error when a return address cannot be
	 * read (it takes that frame for the outermost): the failed read says. */
	if (uw->read_above && uw->n < max)
		*end = UNWIND_SLICE_ENDED;
	else if (ret == 0 || uw->n == max)
		*end = UNWIND_COMPLETE;
	else
		*end = UNWIND_FAILED;
	uw->sample = NULL;
	/* The entry frames are known without any CFI: never fewer than them. */
	if (uw->n < 2)
		uw->n = unwind__entry_frames(u, size, ips, max);
	return uw->n;
}
