/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* file_kind: opening only regular files, and what a file that is not one
 * is, for the messages that refuse it. Plain C, no dependency but libc. */
#ifndef TTLEAK_FILE_KIND_H
#define TTLEAK_FILE_KIND_H

#include <sys/stat.h>

/* "a symbolic link", "a directory", "a FIFO", "a device", "a socket", or
 * "not a regular file" for any other mode (st_mode from stat/fstat). */
const char *file_kind__name(mode_t mode);

/*
 * Open path read-only, keeping it only if it is a regular file: without
 * blocking (a FIFO must not wait for a writer) and without making a terminal
 * the controlling one. extra_flags are added to open()'s (e.g. O_NOFOLLOW).
 * Returns the descriptor with *st filled, or -errno: -EINVAL when it is not
 * a regular file, and then *st says what it is (file_kind__name()).
 */
int file_kind__open_regular(const char *path, int extra_flags, struct stat *st);

#endif /* TTLEAK_FILE_KIND_H */
