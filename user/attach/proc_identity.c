// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "attach/proc_identity.h"

#define START_TIME_FIELD 22

int proc_identity__parse_start_time(const char *line, uint64_t *start_time)
{
	const char *p = line ? strrchr(line, ')') : NULL;
	unsigned long long v;
	int field;
	char *end;

	if (!p)
		return -EINVAL;
	p++; /* the ')' ends field 2, the command */
	for (field = 3; field < START_TIME_FIELD; field++) {
		if (*p++ != ' ')
			return -EINVAL;
		while (*p && *p != ' ')
			p++;
	}
	if (*p++ != ' ' || !isdigit((unsigned char)*p))
		return -EINVAL;
	errno = 0;
	v = strtoull(p, &end, 10);
	if (errno || (*end != ' ' && *end != '\n' && *end != '\0'))
		return -EINVAL;
	*start_time = v;
	return 0;
}

int proc_identity__read_start_time(int pid, uint64_t *start_time)
{
	char path[64], line[1024];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	n = read(fd, line, sizeof(line) - 1);
	close(fd);
	if (n <= 0)
		return -ESRCH; /* a process reaped between open and read */
	line[n] = '\0';
	return proc_identity__parse_start_time(line, start_time);
}

bool proc_identity__same_start(uint64_t before, int before_ret, uint64_t after, int after_ret)
{
	return before_ret == 0 && after_ret == 0 && before == after;
}

int proc_identity__open(int pid, struct proc_identity *id, char *err, size_t errlen)
{
	int ret;

	id->pid = pid;
	id->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (id->pidfd < 0) {
		ret = -errno;
		if (ret == -ESRCH)
			snprintf(err, errlen, "no process with PID %d", pid);
		else
			snprintf(err, errlen, "cannot open a pidfd for process %d: %s (Linux 5.3 "
				 "or later is needed)", pid, strerror(-ret));
		return ret;
	}
	/* Read after the pidfd exists: if the pid was reused before, this is
	 * the new process's time, and the pidfd refers to that one too. */
	ret = proc_identity__read_start_time(pid, &id->start_time);
	if (ret) {
		snprintf(err, errlen, "process %d exited as the tracer found it", pid);
		proc_identity__close(id);
	}
	return ret;
}

int proc_identity__verify(const struct proc_identity *id, char *err, size_t errlen)
{
	uint64_t now = 0;
	int alive, ret;

	/* A pidfd turns readable when its process exits; unlike a signal 0,
	 * that needs no permission over another user's process. */
	alive = id->pidfd >= 0 && !proc_identity__exited(id);
	ret = proc_identity__read_start_time(id->pid, &now);
	if (alive && proc_identity__same_start(id->start_time, 0, now, ret))
		return 0;
	if (ret == 0)
		snprintf(err, errlen, "process %d is not the one found at start: it exited and "
			 "the pid now names another process (started at tick %" PRIu64 ", not %"
			 PRIu64 "); nothing was traced: attach again to the process you mean",
			 id->pid, now, id->start_time);
	else
		snprintf(err, errlen, "process %d exited between discovery and attach; nothing "
			 "was traced", id->pid);
	return -ESRCH;
}

bool proc_identity__exited(const struct proc_identity *id)
{
	struct pollfd p = { .fd = id->pidfd, .events = POLLIN };

	return id->pidfd >= 0 && poll(&p, 1, 0) == 1;
}

void proc_identity__close(struct proc_identity *id)
{
	if (id->pidfd >= 0)
		close(id->pidfd);
	id->pidfd = -1;
}
