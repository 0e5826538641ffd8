/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * proc_maps: find the tt-metal runtime library that a process has mapped,
 * by reading /proc/PID/maps.
 *
 * Library matching rule (proc_maps__find_in_stream, proc_maps__find_library):
 * a mapping matches `lib_prefix` when the basename of its path is exactly
 * lib_prefix + ".so", optionally followed by numeric version components
 * (".0", ".0.59.1": a versioned soname). So "libtt_metal" matches
 * ".../build_Release/lib/libtt_metal.so" and "libtt_metal.so.0.59", and
 * "libc" matches "libc.so.6", but none matches "libtt_metal_foo.so",
 * "libtt_metal.so.bak", "libcap.so.2", "libc++.so.1" or "libc-2.31.so"
 * (glibc since 2.34 maps libc.so.6 itself, and the tt-metal runtime is never
 * named with a dash-version, so dashed names are deliberately not accepted).
 *
 * Deleted files: a mapping whose file was unlinked or replaced after it was
 * mapped shows as "PATH (deleted)". The suffix is stripped from `path` and
 * `deleted` is set; the mapping still counts as mapped (the process still
 * runs that code). The path itself may now name a different file (a rebuilt
 * library), so proc_maps__find_library returns /proc/PID/map_files/START-END
 * as the path to open for a deleted mapping: that link reaches the inode that
 * is really mapped (opening it needs CAP_SYS_ADMIN, which the tracer has).
 * A file whose real name ends in " (deleted)" cannot be told apart; the
 * kernel's format is ambiguous there.
 *
 * Paths may contain spaces (kept as is); the kernel escapes a newline in a
 * path as "\012", which is kept as is too. Lines without a path (anonymous
 * mappings) parse with an empty path and never match.
 */
#ifndef TTLEAK_PROC_MAPS_H
#define TTLEAK_PROC_MAPS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct proc_mapping {
	uint64_t start, end, offset;
	char perms[5];         /* "r-xp" */
	uint32_t dev_major, dev_minor; /* the file's device, as major()/minor() of st_dev */
	uint64_t inode;
	char path[PATH_MAX];   /* "" for anonymous mappings; " (deleted)" stripped */
	bool deleted;          /* the line ended in " (deleted)" */
};

/*
 * Parse one line of a maps file ("START-END PERMS OFFSET DEV INODE [PATH]",
 * with or without the trailing newline) into *m.
 * Returns 0; -EINVAL for a malformed line; -ENAMETOOLONG when the path does
 * not fit in m->path.
 */
int proc_maps__parse_line(const char *line, struct proc_mapping *m);

/*
 * Scan a maps stream for the first mapping of a library named by lib_prefix
 * (see the matching rule above) and copy it to *out.
 * Returns 0; -ENOENT when no mapping matches; -EINVAL on a malformed line
 * (this is not a maps file); -EIO on a read error.
 */
int proc_maps__find_in_stream(FILE *maps, const char *lib_prefix, struct proc_mapping *out);

/*
 * For a live process: find the library named by lib_prefix in /proc/PID/maps.
 * host_path receives the path for the tracer to open: "/proc/PID/root" + the
 * mapped path, so that processes in other mount namespaces (containers) work,
 * or "/proc/PID/map_files/START-END" when the mapped file was deleted.
 * mapped_path (may be NULL) receives the path as the process sees it.
 * Returns 0; -EINVAL bad pid or arguments; -ESRCH no such process;
 * -EACCES not allowed to read its maps (run as root); -ENOENT the library
 * is not mapped (yet); -ENAMETOOLONG a buffer is too small; -EIO read error.
 */
int proc_maps__find_library(int pid, const char *lib_prefix, char *host_path, size_t host_size,
			    char *mapped_path, size_t mapped_size);

/* The mapping itself, for mapped_file__open (which opens the very inode
 * mapped, see mapped_file.h). Errors as proc_maps__find_library. */
int proc_maps__find_mapping(int pid, const char *lib_prefix, struct proc_mapping *out);

/*
 * Scan a maps stream for the first mapping of the file with this device and
 * inode (a file given by path, whatever name the process maps it under).
 * Returns 0; -ENOENT none; -EINVAL malformed line; -EIO read error.
 */
int proc_maps__find_inode_in_stream(FILE *maps, uint32_t dev_major, uint32_t dev_minor,
				    uint64_t inode, struct proc_mapping *out);

/* The same for a live process's /proc/PID/maps; errors as
 * proc_maps__find_library (-ENOENT: PID does not map the file). */
int proc_maps__find_inode(int pid, uint32_t dev_major, uint32_t dev_minor, uint64_t inode,
			  struct proc_mapping *out);

/* True when basename(path) matches lib_prefix by the rule above. */
bool proc_maps__path_matches(const char *path, const char *lib_prefix);

#endif /* TTLEAK_PROC_MAPS_H */
