/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Open the very file a process maps. The path in /proc/PID/maps is no safe
 * name for it: a newline in a path shows as "\012", the process may live
 * in another mount namespace, and the file may have been replaced or
 * unlinked since it was mapped. So the file is opened through
 * /proc/PID/map_files/START-END (the mapped inode itself; needs
 * CAP_SYS_ADMIN), else through /proc/PID/root + the path, and in both cases
 * kept only when it is a regular file with the mapping's device and inode.
 * O_NONBLOCK: a FIFO planted at the path never blocks the tracer.
 *
 * Readers that take a path (libelf, libdw, uprobe attach) then use
 * "/proc/self/fd/N", which names the opened file and nothing else.
 */
#ifndef TTLEAK_MAPPED_FILE_H
#define TTLEAK_MAPPED_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include "attach/proc_maps.h"

/* st is the file mapping m maps: same device and inode. */
bool mapped_file__is(const struct stat *st, const struct proc_mapping *m);

/* Open path (O_RDONLY, O_NONBLOCK, O_CLOEXEC) and keep it only when it is
 * a regular file with m's device and inode; *st is its stat. fd, or -errno:
 * -EINVAL not a regular file, -ESTALE another file. */
int mapped_file__open_path(const char *path, const struct proc_mapping *m, struct stat *st);

/* Open m's file for pid by map_files, else by /proc/PID/root. fd, or -errno
 * with a message in err saying what failed. */
int mapped_file__open(int pid, const struct proc_mapping *m, struct stat *st, char *err,
		      size_t errlen);

/* "/proc/self/fd/N" for an fd from mapped_file__open. */
void mapped_file__fd_path(int fd, char *buf, size_t size);

#endif /* TTLEAK_MAPPED_FILE_H */
