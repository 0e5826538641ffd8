/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * --metrics-listen ADDR:PORT: the address to serve /metrics on, parsed and
 * bound. ADDR is an IPv4 address, an IPv6 address in brackets, a host name
 * (localhost), or empty for every address (":9464"). The socket is bound
 * at start, before anything is traced, so a bad or busy address fails at
 * once (exit 2), and a port below 1024 is bound while the tracer still has
 * its privileges.
 */
#ifndef TTLEAK_LISTEN_ADDR_H
#define TTLEAK_LISTEN_ADDR_H

#include <stddef.h>

#define LISTEN_ADDR_HOST_MAX 256

struct listen_addr {
	char host[LISTEN_ADDR_HOST_MAX]; /* "" for every address */
	char port[6];
};

/* 0, or -EINVAL with what is wrong in err. */
int listen_addr__parse(const char *text, struct listen_addr *out, char *err, size_t errlen);

/* A listening, non-blocking, close-on-exec TCP socket on a: the fd, or
 * -errno with what failed in err. */
int listen_addr__bind(const struct listen_addr *a, char *err, size_t errlen);

#endif /* TTLEAK_LISTEN_ADDR_H */
