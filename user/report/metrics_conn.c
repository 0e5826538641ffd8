// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "report/metrics_conn.h"
#include "report/metrics_server.h"

void metrics_conn__open(struct metrics_conn *c, int fd, double deadline)
{
	c->fd = fd;
	c->state = CONN_READING;
	c->deadline = deadline;
	c->in_len = 0;
	c->out = NULL;
	c->out_len = c->out_off = 0;
}

short metrics_conn__events(const struct metrics_conn *c)
{
	switch (c->state) {
	case CONN_READING: return POLLIN;
	case CONN_WRITING: return POLLOUT;
	default: return 0;
	}
}

int metrics_conn__read(struct metrics_conn *c)
{
	ssize_t n = recv(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len, 0);

	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return 0;
	if (n <= 0)
		return -1;
	c->in_len += (size_t)n;
	return http_message__judge(c->in, c->in_len);
}

int metrics_conn__answer(struct metrics_conn *c, int status, const char *body, size_t len)
{
	char head[512];
	const char *type = status == 200 ? METRICS_CONTENT_TYPE : "text/plain; charset=utf-8";
	int n = http_message__head(head, sizeof(head), status, type, len);

	c->out = n < 0 ? NULL : malloc((size_t)n + len);
	if (!c->out) {
		metrics_conn__close(c);
		return -1;
	}
	memcpy(c->out, head, (size_t)n);
	if (len)
		memcpy(c->out + n, body, len);
	c->out_len = (size_t)n + len;
	c->out_off = 0;
	c->state = CONN_WRITING;
	return 0;
}

int metrics_conn__write(struct metrics_conn *c)
{
	ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);

	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return 0;
	if (n < 0) {
		metrics_conn__close(c);
		return -1;
	}
	c->out_off += (size_t)n;
	if (c->out_off < c->out_len)
		return 0;
	metrics_conn__close(c);
	return 1;
}

void metrics_conn__close(struct metrics_conn *c)
{
	if (c->state == CONN_FREE)
		return;
	close(c->fd);
	free(c->out);
	c->out = NULL;
	c->fd = -1;
	c->state = CONN_FREE;
}
