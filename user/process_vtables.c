// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include "proc_maps.h"
#include "process_vtables.h"

/* The load bias of the file with this inode in pid: the start of its
 * mapping at file offset 0 (a shared library's first segment has vaddr 0). */
static int load_bias(int pid, ino_t inode, uint64_t *bias)
{
	char path[64], line[PATH_MAX + 128];
	struct proc_mapping m;
	int ret = -ENOENT;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? -ESRCH : -errno;
	while (fgets(line, sizeof(line), f)) {
		if (proc_maps__parse_line(line, &m) == 0 && m.inode == (uint64_t)inode &&
		    m.offset == 0) {
			*bias = m.start;
			ret = 0;
			break;
		}
	}
	fclose(f);
	return ret;
}

int process_vtables__event(int pid, const char *lib_path, const struct runtime_vtables *vt,
			   struct ttleak_event *ev)
{
	uint64_t bias = 0;
	struct stat st;
	int ret;

	if (stat(lib_path, &st))
		return -errno;
	ret = load_bias(pid, st.st_ino, &bias);
	if (ret)
		return ret;
	memset(ev, 0, sizeof(*ev));
	ev->kind = TTLEAK_EV_PROCESS_INFO;
	ev->tgid = (uint32_t)pid;
	ev->chip_id = TTLEAK_CHIP_UNKNOWN;
	ev->mesh_id = TTLEAK_MESH_UNKNOWN;
	ev->stack_id = -1;
	ev->object = vt->device_vaddr ? bias + vt->device_vaddr : 0;
	ev->address = vt->mesh_vaddr ? bias + vt->mesh_vaddr : 0;
	return 0;
}
