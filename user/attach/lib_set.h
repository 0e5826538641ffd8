/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * --all: every distinct runtime library file (by device and inode) that a
 * process maps, or that was given. Probing only one of them (the lowest
 * pid's, once) let a user's own copy of libtt_metal.so take the place of
 * the real job's: the job ran untraced and the run was certified clean.
 * So each file is found, opened through a mapping (mapped_file.h), and
 * described with its owner; the caller probes every one, and scans again
 * to find files that processes started later map.
 */
#ifndef TTLEAK_LIB_SET_H
#define TTLEAK_LIB_SET_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct lib_file {
	uint64_t dev, ino;       /* identity: major << 32 | minor, as the maps show it */
	uid_t owner;
	bool untrusted;          /* owned by neither root nor the invoking user */
	int fd;                  /* the file, held open for the whole trace */
	char open_path[64];      /* "/proc/self/fd/N": names this file and no other */
	char path[PATH_MAX];     /* as the first process seen maps it, or as given */
	char how[160];           /* "--lib", "mapped by pid 42" */
};

struct lib_set;

/* invoking_uid: the user on whose behalf the tracer runs (SUDO_UID under
 * sudo, else the real uid); files owned by others than root and them are
 * untrusted. */
struct lib_set *lib_set__new(uid_t invoking_uid);
void lib_set__free(struct lib_set *set);

/* Add a file given by path (--lib, TT_METAL_HOME): refused unless a
 * regular file (O_NONBLOCK, never a FIFO). 0 (also when known already), or
 * -errno with a message in err. */
int lib_set__add_path(struct lib_set *set, const char *path, const char *how, char *err,
		      size_t errlen);

/* Read every process's mappings and add each library file not known yet.
 * Returns how many were added (they are the last ones). */
size_t lib_set__scan(struct lib_set *set);

size_t lib_set__count(const struct lib_set *set);
const struct lib_file *lib_set__get(const struct lib_set *set, size_t i);

/* The invoking user: SUDO_UID when it is a valid number, else getuid(). */
uid_t lib_set__invoking_uid(void);

/* A file owned by uid may be trusted: root's, or the invoking user's. */
bool lib_set__trusted_owner(uid_t owner, uid_t invoking_uid);

#endif /* TTLEAK_LIB_SET_H */
