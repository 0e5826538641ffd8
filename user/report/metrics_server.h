/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * --metrics-listen ADDR:PORT: serve GET /metrics, the same Prometheus text
 * as the --metrics file, so a long run (--all on a node) is an exporter.
 *
 * The socket is bound at start (metrics_server__prepare, before anything
 * is traced). A thread of its own then serves it, so a slow client never
 * stalls the trace loop, and holds no capability (it drops them all on
 * start). The tracker stays the trace loop's alone: a scrape raises a flag,
 * the loop's next turn (within 100 ms) formats the current values and
 * publishes them, and the scrape is answered with them; after
 * METRICS_SERVER_FRESH_WAIT_S without a new text, with the last one.
 *
 * Bounds: at most METRICS_SERVER_CONNS connections at once (more wait in the
 * listen backlog), a request head of at most HTTP_MAX_REQUEST bytes, and
 * METRICS_SERVER_TIMEOUT_S for a whole exchange; one request per
 * connection. Only GET /metrics; 404 for another path, 405 for another
 * method.
 */
#ifndef TTLEAK_METRICS_SERVER_H
#define TTLEAK_METRICS_SERVER_H

#include <stdbool.h>
#include <stddef.h>

#define METRICS_SERVER_CONNS 8
#define METRICS_SERVER_TIMEOUT_S 5.0
#define METRICS_SERVER_FRESH_WAIT_S 1.0
#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

struct metrics_server;

/* Bind ADDR:PORT now and keep the socket for metrics_server__start: 0, or
 * -errno with what failed in err (the caller exits 2). */
int metrics_server__prepare(const char *addr, char *err, size_t errlen);

/* Serve the prepared socket from a new thread: 0 with *out set, -ENOENT when
 * nothing was prepared, or -errno. */
int metrics_server__start(struct metrics_server **out);

/* A scrape waits for fresh values (NULL: false). */
bool metrics_server__wanted(struct metrics_server *s);

/* The current text; s takes text (malloc'ed) whatever happens. */
void metrics_server__publish(struct metrics_server *s, char *text, size_t len);

/* Stop serving and close (NULL: nothing). */
void metrics_server__free(struct metrics_server *s);

#endif /* TTLEAK_METRICS_SERVER_H */
