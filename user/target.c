// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "proc_maps.h"
#include "target.h"

void target__read_command(int pid, char *buf, size_t size)
{
	char path[64];
	ssize_t n, i;
	int fd;

	buf[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n <= 0)
		return;
	for (i = 0; i < n - 1; i++)
		if (buf[i] == '\0')
			buf[i] = ' ';
	buf[n] = '\0';
}

static int describe_maps_error(int ret, int pid, char *err, size_t errlen)
{
	switch (ret) {
	case -ESRCH:
		snprintf(err, errlen, "no process with PID %d", pid);
		break;
	case -EACCES:
		snprintf(err, errlen, "not allowed to read /proc/%d/maps: run as root", pid);
		break;
	case -ENOENT:
		snprintf(err, errlen, "process %d does not map %s.so (not a tt-metal program, or "
			 "it has not loaded the runtime yet); give --lib PATH to name the library",
			 pid, TTLEAK_LIB_PREFIX);
		break;
	default:
		snprintf(err, errlen, "cannot read /proc/%d/maps: %s", pid, strerror(-ret));
	}
	return ret;
}

int target__resolve(int pid, const char *lib, struct target *t, char *err, size_t errlen)
{
	int ret;

	memset(t, 0, sizeof(*t));
	t->pid = pid;
	if (pid) {
		if (kill(pid, 0) != 0 && errno == ESRCH)
			return describe_maps_error(-ESRCH, pid, err, errlen);
		target__read_command(pid, t->command, sizeof(t->command));
	}
	if (lib) {
		if (access(lib, R_OK) != 0) {
			ret = -errno;
			snprintf(err, errlen, "cannot read library %s: %s", lib, strerror(-ret));
			return ret;
		}
		snprintf(t->host_path, sizeof(t->host_path), "%s", lib);
		snprintf(t->mapped_path, sizeof(t->mapped_path), "%s", lib);
		return 0;
	}
	ret = proc_maps__find_library(pid, TTLEAK_LIB_PREFIX, t->host_path, sizeof(t->host_path),
				      t->mapped_path, sizeof(t->mapped_path));
	return ret ? describe_maps_error(ret, pid, err, errlen) : 0;
}
