// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "report/listen_addr.h"

#define BACKLOG 16

static int parse_port(const char *text, struct listen_addr *out)
{
	char *end;
	long v;

	if (*text < '0' || *text > '9')
		return -EINVAL;
	errno = 0;
	v = strtol(text, &end, 10);
	if (errno || *end || v < 1 || v > 65535)
		return -EINVAL;
	snprintf(out->port, sizeof(out->port), "%ld", v);
	return 0;
}

int listen_addr__parse(const char *text, struct listen_addr *out, char *err, size_t errlen)
{
	const char *colon = strrchr(text, ':'), *host = text;
	size_t host_len;

	memset(out, 0, sizeof(*out));
	if (!colon || parse_port(colon + 1, out)) {
		snprintf(err, errlen, "invalid --metrics-listen '%s': expected ADDR:PORT with a "
			 "port from 1 to 65535, e.g. 127.0.0.1:9464, [::1]:9464 or :9464", text);
		return -EINVAL;
	}
	host_len = (size_t)(colon - text);
	if (host_len && text[0] == '[') {
		if (host_len < 3 || text[host_len - 1] != ']')
			goto bad_host;
		host++;
		host_len -= 2;
	} else if (memchr(text, ':', host_len)) {
		goto bad_host; /* an IPv6 address without brackets */
	}
	if (host_len >= sizeof(out->host) || memchr(host, '[', host_len) ||
	    memchr(host, ']', host_len))
		goto bad_host;
	memcpy(out->host, host, host_len);
	return 0;
bad_host:
	snprintf(err, errlen, "invalid --metrics-listen '%s': write an IPv6 address in "
		 "brackets, e.g. [::1]:9464", text);
	return -EINVAL;
}

static int bind_one(const struct addrinfo *ai)
{
	int one = 1, zero = 0, fd, err;

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    ai->ai_protocol);
	if (fd < 0)
		return -errno;
	/* A restarted exporter rebinds at once, past the old socket's TIME_WAIT. */
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* ":PORT" on IPv6 serves IPv4 clients too. */
	if (ai->ai_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) || listen(fd, BACKLOG)) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

int listen_addr__bind(const struct listen_addr *a, char *err, size_t errlen)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
	struct addrinfo *list, *ai;
	const char *shown = a->host[0] ? a->host : "every address";
	int fd = -EADDRNOTAVAIL, rc;

	rc = getaddrinfo(a->host[0] ? a->host : NULL, a->port, &hints, &list);
	if (rc) {
		snprintf(err, errlen, "--metrics-listen: cannot resolve '%s': %s", a->host,
			 gai_strerror(rc));
		return -EINVAL;
	}
	/* Without a host, the IPv6 wildcard first: it serves both families. */
	for (int pass = 0; pass < (a->host[0] ? 1 : 2) && fd < 0; pass++)
		for (ai = list; ai && fd < 0; ai = ai->ai_next)
			if (a->host[0] || (ai->ai_family == AF_INET6) == (pass == 0))
				fd = bind_one(ai);
	freeaddrinfo(list);
	if (fd < 0)
		snprintf(err, errlen, "--metrics-listen: cannot listen on %s port %s: %s%s", shown,
			 a->port, strerror(-fd),
			 fd == -EADDRINUSE ? " (another program has that port: choose another)"
			 : fd == -EACCES ? " (a port below 1024 needs root or "
					   "CAP_NET_BIND_SERVICE)" : "");
	return fd;
}
