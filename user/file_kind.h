/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* file_kind: what a file that is not a regular file is, for the messages
 * that refuse it. Plain C, no dependency but libc. */
#ifndef TTLEAK_FILE_KIND_H
#define TTLEAK_FILE_KIND_H

#include <sys/stat.h>

/* "a symbolic link", "a directory", "a FIFO", "a device", "a socket", or
 * "not a regular file" for any other mode (st_mode from stat/fstat). */
const char *file_kind__name(mode_t mode);

#endif /* TTLEAK_FILE_KIND_H */
