// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#define _GNU_SOURCE /* accept4 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>
#include "report/listen_addr.h"
#include "report/metrics_conn.h"
#include "report/metrics_server.h"

struct metrics_server {
	int listen_fd, wake_fd;
	pthread_t thread;
	atomic_bool wanted, stop;
	pthread_mutex_t lock; /* text, len, gen */
	char *text;
	size_t len;
	unsigned gen;         /* texts published so far */
	double accept_after;  /* accept() failed (no fd left): retry then */
	struct metrics_conn conns[METRICS_SERVER_CONNS];
};

/* Bound by metrics_server__prepare before tracing, served once started. */
static int prepared_fd = -1;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int metrics_server__prepare(const char *addr, char *err, size_t errlen)
{
	struct listen_addr a;
	int fd;

	if (listen_addr__parse(addr, &a, err, errlen))
		return -EINVAL;
	fd = listen_addr__bind(&a, err, errlen);
	if (fd < 0)
		return fd;
	if (prepared_fd >= 0)
		close(prepared_fd);
	prepared_fd = fd;
	return 0;
}

/* Capabilities are per thread: this one serves the network and needs none,
 * whatever the trace loop keeps. */
static void drop_capabilities(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];

	memset(d, 0, sizeof(d));
	syscall(SYS_capset, &h, d);
}

static void accept_one(struct metrics_server *s, double now)
{
	struct metrics_conn *c = NULL;
	int fd;

	for (size_t i = 0; i < METRICS_SERVER_CONNS && !c; i++)
		if (s->conns[i].state == CONN_FREE)
			c = &s->conns[i];
	if (!c)
		return;
	fd = accept4(s->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd >= 0)
		metrics_conn__open(c, fd, now + METRICS_SERVER_TIMEOUT_S);
	else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
		s->accept_after = now + 0.1; /* e.g. EMFILE: do not spin on it */
}

/* A GET /metrics whose wait is over: the newest text, or 503 before any. */
static void answer_metrics(struct metrics_server *s, struct metrics_conn *c)
{
	static const char none[] = "no values yet: the tracer has not started tracing\n";

	pthread_mutex_lock(&s->lock);
	if (s->text)
		metrics_conn__answer(c, 200, s->text, s->len);
	else
		metrics_conn__answer(c, 503, none, sizeof(none) - 1);
	pthread_mutex_unlock(&s->lock);
}

static void on_request(struct metrics_server *s, struct metrics_conn *c, int status,
		       double now)
{
	char body[128];
	size_t n;

	if (status != 200) {
		n = (size_t)snprintf(body, sizeof(body), "%d %s: this server answers GET /metrics\n",
				     status, http_message__reason(status));
		metrics_conn__answer(c, status, body, n < sizeof(body) ? n : sizeof(body) - 1);
		return;
	}
	pthread_mutex_lock(&s->lock);
	c->want_gen = s->gen;
	pthread_mutex_unlock(&s->lock);
	c->state = CONN_WAITING;
	c->wait_until = now + METRICS_SERVER_FRESH_WAIT_S;
	atomic_store(&s->wanted, true);
}

static void step_conn(struct metrics_server *s, struct metrics_conn *c, short revents,
		      double now)
{
	int status;

	if (c->state == CONN_READING && revents) {
		status = metrics_conn__read(c);
		if (status < 0)
			metrics_conn__close(c);
		else if (status > 0)
			on_request(s, c, status, now);
	} else if (c->state == CONN_WRITING && revents) {
		metrics_conn__write(c);
	}
}

/* Waiting scrapes whose values came (or whose wait ended); expired clients. */
static void step_timers(struct metrics_server *s, double now)
{
	unsigned gen;

	pthread_mutex_lock(&s->lock);
	gen = s->gen;
	pthread_mutex_unlock(&s->lock);
	for (size_t i = 0; i < METRICS_SERVER_CONNS; i++) {
		struct metrics_conn *c = &s->conns[i];

		if (c->state == CONN_WAITING && (gen != c->want_gen || now >= c->wait_until))
			answer_metrics(s, c);
		if (c->state != CONN_FREE && now >= c->deadline)
			metrics_conn__close(c);
	}
}

/* Until the nearest deadline, at most a second. */
static int poll_timeout_ms(const struct metrics_server *s, double now)
{
	double next = now + 1.0;

	for (size_t i = 0; i < METRICS_SERVER_CONNS; i++) {
		const struct metrics_conn *c = &s->conns[i];

		if (c->state != CONN_FREE && c->deadline < next)
			next = c->deadline;
		if (c->state == CONN_WAITING && c->wait_until < next)
			next = c->wait_until;
	}
	if (s->accept_after > now && s->accept_after < next)
		next = s->accept_after;
	return next <= now ? 0 : (int)((next - now) * 1000) + 1;
}

static void serve_once(struct metrics_server *s)
{
	struct pollfd p[2 + METRICS_SERVER_CONNS];
	double now = now_s();
	uint64_t ticks;
	nfds_t n = 2;

	p[0] = (struct pollfd){ .fd = s->wake_fd, .events = POLLIN };
	p[1] = (struct pollfd){ .fd = now >= s->accept_after ? s->listen_fd : -1,
				.events = POLLIN };
	for (size_t i = 0; i < METRICS_SERVER_CONNS; i++)
		p[n++] = (struct pollfd){ .fd = s->conns[i].state ? s->conns[i].fd : -1,
					  .events = metrics_conn__events(&s->conns[i]) };
	if (poll(p, n, poll_timeout_ms(s, now)) < 0 && errno != EINTR)
		return;
	now = now_s();
	if (p[0].revents && read(s->wake_fd, &ticks, sizeof(ticks)) < 0)
		ticks = 0; /* nothing to read: the flag alone counts */
	for (size_t i = 0; i < METRICS_SERVER_CONNS; i++)
		step_conn(s, &s->conns[i], p[2 + i].revents, now);
	if (p[1].revents)
		accept_one(s, now);
	step_timers(s, now);
}

static void *serve(void *arg)
{
	struct metrics_server *s = arg;

	drop_capabilities();
	while (!atomic_load(&s->stop))
		serve_once(s);
	return NULL;
}

/* Signals stay the trace loop's: the thread starts with all blocked. */
static int start_thread(struct metrics_server *s)
{
	sigset_t all, old;
	int err;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = pthread_create(&s->thread, NULL, serve, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return -err;
}

int metrics_server__start(struct metrics_server **out)
{
	struct metrics_server *s;
	int err;

	*out = NULL;
	if (prepared_fd < 0)
		return -ENOENT;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (s->wake_fd < 0) {
		err = -errno;
		free(s);
		return err;
	}
	s->listen_fd = prepared_fd;
	pthread_mutex_init(&s->lock, NULL);
	err = start_thread(s);
	if (err) {
		close(s->wake_fd);
		pthread_mutex_destroy(&s->lock);
		free(s);
		return err;
	}
	prepared_fd = -1;
	*out = s;
	return 0;
}

bool metrics_server__wanted(struct metrics_server *s)
{
	return s && atomic_load(&s->wanted);
}

static void wake(struct metrics_server *s)
{
	uint64_t one = 1;

	if (write(s->wake_fd, &one, sizeof(one)) < 0)
		return; /* the counter is full: the thread is woken already */
}

void metrics_server__publish(struct metrics_server *s, char *text, size_t len)
{
	if (!s) {
		free(text);
		return;
	}
	pthread_mutex_lock(&s->lock);
	free(s->text);
	s->text = text;
	s->len = len;
	s->gen++;
	pthread_mutex_unlock(&s->lock);
	atomic_store(&s->wanted, false);
	wake(s);
}

void metrics_server__free(struct metrics_server *s)
{
	if (!s)
		return;
	atomic_store(&s->stop, true);
	wake(s);
	pthread_join(s->thread, NULL);
	for (size_t i = 0; i < METRICS_SERVER_CONNS; i++)
		metrics_conn__close(&s->conns[i]);
	close(s->listen_fd);
	close(s->wake_fd);
	pthread_mutex_destroy(&s->lock);
	free(s->text);
	free(s);
}
