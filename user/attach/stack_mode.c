// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include "attach/stack_mode.h"

static const unsigned char endbr64[] = { 0xf3, 0x0f, 0x1e, 0xfa };
/* push %rbp; mov %rsp,%rbp: both encodings of the move. */
static const unsigned char frame_setup[][4] = { { 0x55, 0x48, 0x89, 0xe5 },
						{ 0x55, 0x48, 0x8b, 0xec } };

static bool sets_up_frame(int fd, uint64_t entry)
{
	unsigned char code[8];
	const unsigned char *p = code;
	size_t i;

	if (pread(fd, code, sizeof(code), (off_t)entry) != (ssize_t)sizeof(code))
		return false;
	if (memcmp(p, endbr64, sizeof(endbr64)) == 0)
		p += sizeof(endbr64);
	for (i = 0; i < sizeof(frame_setup) / sizeof(frame_setup[0]); i++)
		if (memcmp(p, frame_setup[i], sizeof(frame_setup[i])) == 0)
			return true;
	return false;
}

bool stack_mode__frame_pointers(const char *lib_path, const struct probe_plan *plan)
{
	static const enum probe_id allocs[] = { PROBE_BUFFER_ALLOC, PROBE_CB_ALLOC };
	bool kept = true, any = false;
	size_t i, j;
	int fd = open(lib_path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return false;
	for (i = 0; i < sizeof(allocs) / sizeof(allocs[0]); i++)
		for (j = 0; j < plan->n_targets[allocs[i]]; j++) {
			const struct probe_target *t = &plan->targets[allocs[i]][j];

			any = true;
			kept &= sets_up_frame(fd, t->file_offset - t->moved);
		}
	close(fd);
	return any && kept;
}

enum ttleak_stack_mode stack_mode__choose(enum cli_stacks want, const char *lib_path,
					  const struct probe_plan *plan)
{
	switch (want) {
	case STACKS_OFF:
		return TTLEAK_STACKS_OFF;
	case STACKS_FP:
		return TTLEAK_STACKS_FP;
	case STACKS_DWARF:
		return TTLEAK_STACKS_DWARF;
	case STACKS_AUTO:
		break;
	}
	return lib_path && plan && stack_mode__frame_pointers(lib_path, plan) ?
	       TTLEAK_STACKS_FP : TTLEAK_STACKS_DWARF;
}

const char *stack_mode__name(enum ttleak_stack_mode mode)
{
	return mode == TTLEAK_STACKS_FP ? "fp" : mode == TTLEAK_STACKS_DWARF ? "dwarf" : "off";
}
