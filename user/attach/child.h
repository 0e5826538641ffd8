/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The traced command of run mode (ttleak-bpf -- CMD): forked at once but held
 * before exec until the probes are live, so nothing it does is missed. It
 * keeps the terminal, standard streams and process group of the tracer, so
 * Ctrl-C reaches it directly.
 */
#ifndef TTLEAK_CHILD_H
#define TTLEAK_CHILD_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Who the command runs as: the tracer's own identity unless `drop` says
 * to become another user (the one who ran sudo) before exec. */
struct child_identity {
	bool drop;
	uid_t uid;
	gid_t gid;
	char user[64];   /* for its supplementary groups and HOME */
	char home[256];
};

struct child {
	pid_t pid;
	int release_fd;  /* write end: one byte lets the child exec */
	int error_fd;    /* read end: the child's errno when exec fails; EOF when it succeeded */
	int pidfd;       /* readable once the child has exited */
	bool reaped;
	int status;      /* wait status once reaped */
};

/* Fork a child that waits, then (as `who` says) execs argv, searched in
 * PATH. 0 or -errno. */
int child__spawn_paused(char *const argv[], const struct child_identity *who, struct child *c,
			char *err, size_t errlen);

/* Let the child exec. 0, or -errno with a message when exec failed. */
int child__release(struct child *c, char *const argv[], char *err, size_t errlen);

/* Reap the child if it has exited; true once it has. */
bool child__exited(struct child *c);

/* Stop and reap a child that will not be released (setup failed). */
void child__abandon(struct child *c);

#endif /* TTLEAK_CHILD_H */
