/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The process and runtime library to trace, and how to describe them. */
#ifndef TTLEAK_TARGET_H
#define TTLEAK_TARGET_H

#include <limits.h>
#include <stddef.h>
#include <sys/stat.h>

#define TTLEAK_LIB_PREFIX "libtt_metal"

struct target {
	int pid;                    /* 0 when only a library was given */
	int fd;                     /* the library PID maps, opened (-1: none) */
	char host_path[PATH_MAX];   /* the library file as the tracer opens it:
				     * "/proc/self/fd/N" for one a process maps */
	char mapped_path[PATH_MAX]; /* as the process sees it (or as given) */
	char command[256];          /* /proc/PID/cmdline, spaces between arguments */
};

/* A library path given by the user: opened without blocking (O_NONBLOCK)
 * and refused unless a regular file; *st is its stat. The descriptor, or
 * -errno with a message in err. */
int target__open_library(const char *path, struct stat *st, char *err, size_t errlen);

/* The same check, the file closed again: 0 or -errno with a message. */
int target__check_library(const char *path, struct stat *st, char *err, size_t errlen);

/* PID's command line, arguments joined by spaces; "" when it cannot be read. */
void target__read_command(int pid, char *buf, size_t size);

/* Find the library: --lib if given (with a PID, it must be the file PID
 * maps: same device and inode), else the one PID maps, opened through its
 * mapping (mapped_file.h), never by the path its maps show. 0, or -errno
 * with a message in err saying what is wrong and what to do. Free with
 * target__close(). */
int target__resolve(int pid, const char *lib, struct target *t, char *err, size_t errlen);

/* Close what target__resolve opened. */
void target__close(struct target *t);

#endif /* TTLEAK_TARGET_H */
