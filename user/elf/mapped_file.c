// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "elf/file_kind.h"
#include "elf/mapped_file.h"

bool mapped_file__is(const struct stat *st, const struct proc_mapping *m)
{
	return (uint64_t)st->st_ino == m->inode && major(st->st_dev) == m->dev_major &&
	       minor(st->st_dev) == m->dev_minor;
}

int mapped_file__open_path(const char *path, const struct proc_mapping *m, struct stat *st)
{
	int fd = file_kind__open_regular(path, 0, st);

	if (fd >= 0 && !mapped_file__is(st, m)) {
		close(fd);
		return -ESTALE;
	}
	return fd;
}

static int open_by_root(int pid, const struct proc_mapping *m, struct stat *st)
{
	char path[PATH_MAX + 64];
	int n = snprintf(path, sizeof(path), "/proc/%d/root%s", pid, m->path);

	if (m->path[0] != '/' || n < 0 || (size_t)n >= sizeof(path))
		return -ENOENT;
	return mapped_file__open_path(path, m, st);
}

int mapped_file__open(int pid, const struct proc_mapping *m, struct stat *st, char *err,
		      size_t errlen)
{
	char path[96];
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/map_files/%" PRIx64 "-%" PRIx64, pid, m->start,
		 m->end);
	fd = mapped_file__open_path(path, m, st);
	/* map_files needs CAP_SYS_ADMIN; the path is checked the same way. */
	if (fd == -EPERM || fd == -EACCES || fd == -ENOENT)
		fd = open_by_root(pid, m, st);
	if (fd >= 0)
		return fd;
	if (fd == -ESTALE)
		snprintf(err, errlen, "process %d maps %.1024s (device %u:%u, inode %" PRIu64 "), "
			 "but that path now names another file, and its mapping cannot be opened "
			 "(/proc/%d/map_files needs root)", pid, m->path, m->dev_major,
			 m->dev_minor, m->inode, pid);
	else if (fd == -EINVAL)
		snprintf(err, errlen, "process %d maps %.1024s, which is not a regular file "
			 "(refused: a FIFO or device is never read)", pid, m->path);
	else
		snprintf(err, errlen, "cannot open %.1024s as process %d maps it: %s", m->path, pid,
			 strerror(-fd));
	return fd;
}

void mapped_file__fd_path(int fd, char *buf, size_t size)
{
	snprintf(buf, size, "/proc/self/fd/%d", fd);
}
