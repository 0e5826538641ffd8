/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The little HTTP/1.x that --metrics-listen speaks: judge a request head
 * (only GET /metrics is served) and write a response head. Plain functions
 * on buffers, apart from any socket, so every case is unit-tested.
 */
#ifndef TTLEAK_HTTP_MESSAGE_H
#define TTLEAK_HTTP_MESSAGE_H

#include <stddef.h>

/* Longest request head read; a longer one is answered 431. */
#define HTTP_MAX_REQUEST 8192

/* The first len bytes of a request: 0 while its head (up to the empty line)
 * is incomplete, else the status to answer: 200 for GET /metrics (a query
 * string is ignored), 400 malformed, 404 another path, 405 another method,
 * 505 not HTTP/1.x, 431 no complete head within HTTP_MAX_REQUEST bytes. */
int http_message__judge(const char *buf, size_t len);

/* The reason phrase of status ("Not Found"). */
const char *http_message__reason(int status);

/* A response head for status with a body of body_len bytes of
 * content_type, and Connection: close: its length, or -1 when it does not
 * fit in size. 405 names the allowed method. */
int http_message__head(char *buf, size_t size, int status, const char *content_type,
		       size_t body_len);

#endif /* TTLEAK_HTTP_MESSAGE_H */
