// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "elf/file_kind.h"
#include "elf/mapped_file.h"
#include "attach/proc_maps.h"
#include "attach/target.h"

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

int target__open_library(const char *path, struct stat *st, char *err, size_t errlen)
{
	int fd = file_kind__open_regular(path, 0, st);

	if (fd == -EINVAL)
		snprintf(err, errlen, "library %s is %s, not a shared library file: give the path "
			 "of libtt_metal.so", path, file_kind__name(st->st_mode));
	else if (fd < 0)
		snprintf(err, errlen, "cannot read library %s: %s", path, strerror(-fd));
	return fd;
}

int target__check_library(const char *path, struct stat *st, char *err, size_t errlen)
{
	int fd = target__open_library(path, st, err, errlen);

	if (fd < 0)
		return fd;
	close(fd);
	return 0;
}

/* -p PID --lib X: X must be the file PID maps (same device and inode),
 * else the probes would sit in a file the process never runs. */
static int check_mapped(int pid, const char *lib, const struct stat *st, char *err,
			size_t errlen)
{
	char mapped[PATH_MAX], host[PATH_MAX];
	struct proc_mapping *m = malloc(sizeof(*m));
	int ret;

	if (!m) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	ret = proc_maps__find_inode(pid, major(st->st_dev), minor(st->st_dev), st->st_ino, m);
	free(m);
	if (ret != -ENOENT)
		return ret ? describe_maps_error(ret, pid, err, errlen) : 0;
	if (proc_maps__find_library(pid, TTLEAK_LIB_PREFIX, host, sizeof(host), mapped,
				    sizeof(mapped)) == 0)
		snprintf(err, errlen, "process %d does not map --lib %s (device %u:%u, inode %llu); "
			 "it maps %.1024s%s: give that library, or leave out --lib", pid, lib,
			 major(st->st_dev), minor(st->st_dev), (unsigned long long)st->st_ino,
			 mapped, strstr(host, "/map_files/") ? " (replaced on disk since it was "
			 "loaded)" : "");
	else
		snprintf(err, errlen, "process %d does not map --lib %s (device %u:%u, inode %llu) "
			 "nor any %s.so: attach once it has loaded the runtime, or run it under "
			 "ttleak-bpf -- CMD", pid, lib, major(st->st_dev), minor(st->st_dev),
			 (unsigned long long)st->st_ino, TTLEAK_LIB_PREFIX);
	return -ENOENT;
}

/* The library pid maps, opened through its mapping. */
static int open_mapped_library(int pid, struct target *t, char *err, size_t errlen)
{
	struct proc_mapping *m = malloc(sizeof(*m));
	struct stat st;
	int ret;

	if (!m) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	ret = proc_maps__find_mapping(pid, TTLEAK_LIB_PREFIX, m);
	if (ret) {
		free(m);
		return describe_maps_error(ret, pid, err, errlen);
	}
	ret = mapped_file__open(pid, m, &st, err, errlen);
	if (ret >= 0) {
		t->fd = ret;
		mapped_file__fd_path(t->fd, t->host_path, sizeof(t->host_path));
		/* As the maps show it: a newline stays "\012", which is printable. */
		snprintf(t->mapped_path, sizeof(t->mapped_path), "%s", m->path);
		ret = 0;
	}
	free(m);
	return ret;
}

int target__resolve(int pid, const char *lib, struct target *t, char *err, size_t errlen)
{
	struct stat st;

	int ret;

	memset(t, 0, sizeof(*t));
	t->fd = -1;
	t->pid = pid;
	if (pid) {
		if (kill(pid, 0) != 0 && errno == ESRCH)
			return describe_maps_error(-ESRCH, pid, err, errlen);
		target__read_command(pid, t->command, sizeof(t->command));
	}
	if (lib) {
		ret = target__check_library(lib, &st, err, errlen);
		if (!ret && pid)
			ret = check_mapped(pid, lib, &st, err, errlen);
		if (ret)
			return ret;
		snprintf(t->host_path, sizeof(t->host_path), "%s", lib);
		snprintf(t->mapped_path, sizeof(t->mapped_path), "%s", lib);
		return 0;
	}
	return open_mapped_library(pid, t, err, errlen);
}

void target__close(struct target *t)
{
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
}
