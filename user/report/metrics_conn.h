/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * One client connection of the metrics server: read a bounded request head,
 * wait for the values, write one response, close. Non-blocking sockets
 * only; the server's poll loop drives it.
 */
#ifndef TTLEAK_METRICS_CONN_H
#define TTLEAK_METRICS_CONN_H

#include <stddef.h>
#include "report/http_message.h"

enum metrics_conn_state {
	CONN_FREE,    /* slot unused */
	CONN_READING, /* the request head is arriving */
	CONN_WAITING, /* GET /metrics: for the trace loop's fresh values */
	CONN_WRITING, /* the response is leaving */
};

struct metrics_conn {
	int fd;
	enum metrics_conn_state state;
	double deadline;    /* the whole exchange, CLOCK_MONOTONIC s */
	double wait_until;  /* CONN_WAITING: then answer with what there is */
	unsigned want_gen;  /* CONN_WAITING: a text newer than this one */
	char in[HTTP_MAX_REQUEST];
	size_t in_len;
	char *out;
	size_t out_len, out_off;
};

void metrics_conn__open(struct metrics_conn *c, int fd, double deadline);

/* poll() events c waits for (0 while waiting for values). */
short metrics_conn__events(const struct metrics_conn *c);

/* Read what arrived: 0 while the head is incomplete, the status to answer
 * (http_message__judge), or -1 when the client closed or failed. */
int metrics_conn__read(struct metrics_conn *c);

/* Queue a response with body (copied): 0, or -1 out of memory (c closed). */
int metrics_conn__answer(struct metrics_conn *c, int status, const char *body, size_t len);

/* Send what the socket takes: 1 sent whole (c closed), 0 more to send, -1
 * failed (c closed). */
int metrics_conn__write(struct metrics_conn *c);

void metrics_conn__close(struct metrics_conn *c);

#endif /* TTLEAK_METRICS_CONN_H */
