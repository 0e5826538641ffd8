// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* file_kind: what a file that is not a regular file is (see file_kind.h). */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include "elf/file_kind.h"

const char *file_kind__name(mode_t mode)
{
	if (S_ISLNK(mode))
		return "a symbolic link";
	if (S_ISDIR(mode))
		return "a directory";
	if (S_ISFIFO(mode))
		return "a FIFO";
	if (S_ISCHR(mode) || S_ISBLK(mode))
		return "a device";
	if (S_ISSOCK(mode))
		return "a socket";
	return "not a regular file";
}

int file_kind__open_regular(const char *path, int extra_flags, struct stat *st)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC | extra_flags), ret;

	if (fd < 0)
		return -errno;
	if (fstat(fd, st))
		ret = -errno;
	else if (!S_ISREG(st->st_mode))
		ret = -EINVAL;
	else
		return fd;
	close(fd);
	return ret;
}
