/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * output_file: the files a run writes (-o, --json, --trace, --metrics,
 * --record), created so that a root tracer cannot be turned against the
 * system by whoever can write to the output's directory. Each file is:
 * - a regular file, never reached through a symbolic link: an existing
 *   target that is a symlink (checked with O_NOFOLLOW), directory, FIFO or
 *   device is refused;
 * - written to a temporary file made with mkostemp (O_CREAT|O_EXCL, an
 *   unpredictable name ".NAME.XXXXXX" in the target's directory, so the
 *   rename stays on one file system), mode 0644 whatever the umask;
 * - renamed over the target once complete: readers see the old file or the
 *   new one, never half of one, and a symlink planted meanwhile is replaced,
 *   not followed. On failure, or if the tracer exits first, the temporary
 *   file is removed and the target is left as it was.
 * Files can be prepared at start (output_file__prepare, so a bad path fails
 * before tracing) and claimed by path by the module that writes them.
 * Plain C, no dependency but libc (the fuzz harnesses link it).
 */
#ifndef TTLEAK_OUTPUT_FILE_H
#define TTLEAK_OUTPUT_FILE_H

#include <stddef.h>
#include <stdio.h>

#define OUTPUT_FILE_MODE 0644

struct output_file;

/* Check path and create its temporary file: 0, or -errno with a message in
 * err naming the file, the problem and what to do. */
int output_file__open(const char *path, struct output_file **out, char *err, size_t errlen);

/* Open path now and keep it for output_file__claim(); what is still kept at
 * exit is removed. -EEXIST when path is kept already (two outputs, one file). */
int output_file__prepare(const char *path, char *err, size_t errlen);

/* Remove every file prepared and not claimed. */
void output_file__discard_prepared(void);

/* The file prepared for path, else a new one (as output_file__open). */
int output_file__claim(const char *path, struct output_file **out, char *err, size_t errlen);

/* Where to write: a stream (owned by f), or its descriptor (for write(2);
 * not both). NULL stream with errno set when it cannot be made. */
FILE *output_file__stream(struct output_file *f);
int output_file__fd(const struct output_file *f);
const char *output_file__temp_path(const struct output_file *f);

/* Flush, close and rename over the target; frees f (also on error). 0, or
 * -errno with a message in err; on error the temporary file is removed. */
int output_file__commit(struct output_file *f, char *err, size_t errlen);

/* Close and remove the temporary file, leaving the target as it was; frees
 * f. NULL is ignored. */
void output_file__abandon(struct output_file *f);

#endif /* TTLEAK_OUTPUT_FILE_H */
