// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "attach/probe_placement.h"
#include "attach/probe_site.h"

#define MAX_FUNCTION_BYTES (256 * 1024)

static void place(int fd, struct probe_target *t)
{
	struct probe_site site;
	uint8_t *code;

	if (t->size == 0 || t->size > MAX_FUNCTION_BYTES || !(code = malloc(t->size)))
		return;
	if (pread(fd, code, t->size, (off_t)t->file_offset) == (ssize_t)t->size) {
		probe_site__find(code, t->size, t->vaddr, t->args_read, &site);
		t->moved = site.offset;
		t->arg_cookie = site.cookie;
		t->file_offset += site.offset;
		t->vaddr += site.offset;
		memcpy(t->site_insn, site.insn, sizeof(t->site_insn));
	}
	free(code);
}

void probe_placement__apply(const char *lib_path, struct probe_plan *plan)
{
	int fd = open(lib_path, O_RDONLY | O_CLOEXEC);
	size_t id, i;

	if (fd < 0)
		return;
	for (id = 0; id < PROBE_MAX; id++)
		for (i = 0; i < plan->n_targets[id]; i++)
			place(fd, &plan->targets[id][i]);
	close(fd);
}
