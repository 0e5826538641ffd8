// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#define _GNU_SOURCE /* pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "attach/child.h"

/* In the child: become the invoking user (groups first: setuid ends the
 * right to change them). HOME and USER follow, the rest of the environment
 * is the user's own as the tracer received it. */
static int become(const struct child_identity *who)
{
	if (!who->drop)
		return 0;
	if (initgroups(who->user, who->gid) || setgid(who->gid) || setuid(who->uid))
		return -1;
	if (setuid(0) == 0) { /* must be impossible now */
		errno = EPERM;
		return -1;
	}
	setenv("USER", who->user, 1);
	setenv("LOGNAME", who->user, 1);
	if (who->home[0])
		setenv("HOME", who->home, 1);
	return 0;
}

/* In the child: wait for the release byte, then exec; report a failed exec
 * through the close-on-exec error pipe, which an exec that works closes. */
static void __attribute__((noreturn)) child_main(char *const argv[], const struct child_identity *who,
						 int release_rd, int error_wr)
{
	char byte;
	int e;

	while (read(release_rd, &byte, 1) < 0 && errno == EINTR)
		;
	close(release_rd);
	if (become(who) == 0)
		execvp(argv[0], argv);
	e = errno;
	if (write(error_wr, &e, sizeof(e)) < 0)
		_exit(127);
	_exit(127);
}

static void close_pair(int fds[2])
{
	if (fds[0] >= 0)
		close(fds[0]);
	if (fds[1] >= 0)
		close(fds[1]);
}

int child__spawn_paused(char *const argv[], const struct child_identity *who, struct child *c,
			char *err, size_t errlen)
{
	int release[2] = { -1, -1 }, error[2] = { -1, -1 };
	int ret;

	memset(c, 0, sizeof(*c));
	c->release_fd = c->error_fd = c->pidfd = -1;
	if (pipe2(release, O_CLOEXEC) || pipe2(error, O_CLOEXEC)) {
		ret = -errno;
		snprintf(err, errlen, "cannot create pipes: %s", strerror(-ret));
		goto cleanup;
	}
	c->pid = fork();
	if (c->pid < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot fork: %s", strerror(-ret));
		goto cleanup;
	}
	if (c->pid == 0) {
		close(release[1]);
		close(error[0]);
		child_main(argv, who, release[0], error[1]);
	}
	close(release[0]);
	close(error[1]);
	c->release_fd = release[1];
	c->error_fd = error[0];
	c->pidfd = (int)syscall(SYS_pidfd_open, c->pid, 0);
	return 0;
cleanup:
	close_pair(release);
	close_pair(error);
	return ret;
}

int child__release(struct child *c, char *const argv[], char *err, size_t errlen)
{
	char byte = 1;
	ssize_t n;
	int e;

	if (write(c->release_fd, &byte, 1) != 1) {
		e = errno;
		snprintf(err, errlen, "cannot start %s: %s", argv[0], strerror(e));
		return -e;
	}
	close(c->release_fd);
	c->release_fd = -1;
	do
		n = read(c->error_fd, &e, sizeof(e));
	while (n < 0 && errno == EINTR);
	close(c->error_fd);
	c->error_fd = -1;
	if (n == (ssize_t)sizeof(e)) {
		snprintf(err, errlen, "cannot run '%s': %s", argv[0], strerror(e));
		child__exited(c);
		return -e;
	}
	return 0;
}

bool child__exited(struct child *c)
{
	pid_t r;

	if (c->reaped)
		return true;
	do
		r = waitpid(c->pid, &c->status, WNOHANG);
	while (r < 0 && errno == EINTR);
	if (r == c->pid) {
		c->reaped = true;
		if (c->pidfd >= 0)
			close(c->pidfd);
		c->pidfd = -1;
	}
	return c->reaped;
}

void child__abandon(struct child *c)
{
	if (c->pid <= 0 || c->reaped)
		return;
	kill(c->pid, SIGKILL);
	while (waitpid(c->pid, &c->status, 0) < 0 && errno == EINTR)
		;
	c->reaped = true;
	if (c->release_fd >= 0)
		close(c->release_fd);
	if (c->error_fd >= 0)
		close(c->error_fd);
	if (c->pidfd >= 0)
		close(c->pidfd);
}
