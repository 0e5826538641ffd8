// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit tests for --metrics-listen: the request judge and response head
 * (user/report/http_message.c), the address parser and binder
 * (user/report/listen_addr.c), and the server itself on a loopback port
 * (user/report/metrics_server.c): fresh values on request, 404, 405, an
 * oversized head, a silent client that does not block another. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "report/http_message.h"
#include "report/listen_addr.h"
#include "report/metrics_server.h"

#define JUDGE(s) http_message__judge((s), sizeof(s) - 1)

static void test_judge(void **state)
{
	(void)state;
	assert_int_equal(JUDGE("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"), 200);
	assert_int_equal(JUDGE("GET /metrics HTTP/1.0\n\n"), 200);
	assert_int_equal(JUDGE("GET /metrics?name[]=x HTTP/1.1\r\n\r\n"), 200);
	assert_int_equal(JUDGE("GET /metrics HTTP/1.1\r\nHost: x\r\n"), 0);
	assert_int_equal(JUDGE("GET /metrics HTTP/1.1"), 0);
	assert_int_equal(JUDGE("GET / HTTP/1.1\r\n\r\n"), 404);
	assert_int_equal(JUDGE("GET /metricsx HTTP/1.1\r\n\r\n"), 404);
	assert_int_equal(JUDGE("GET /metrics/ HTTP/1.1\r\n\r\n"), 404);
	assert_int_equal(JUDGE("POST /metrics HTTP/1.1\r\n\r\n"), 405);
	assert_int_equal(JUDGE("HEAD /metrics HTTP/1.1\r\n\r\n"), 405);
	assert_int_equal(JUDGE("GET /metrics HTTP/2.0\r\n\r\n"), 505);
	assert_int_equal(JUDGE("GET /metrics HTTP/1.9\r\n\r\n"), 505);
	assert_int_equal(JUDGE("GET /metrics\r\n\r\n"), 400);
	assert_int_equal(JUDGE("GET  /metrics HTTP/1.1\r\n\r\n"), 400);
	assert_int_equal(JUDGE("GET metrics HTTP/1.1\r\n\r\n"), 400);
	assert_int_equal(JUDGE("\r\n\r\n"), 400);
	assert_int_equal(JUDGE("GET /metrics HTTP/1.1\r\n\0\r\n\r\n"), 400);
}

static void test_judge_too_large(void **state)
{
	char *buf = malloc(HTTP_MAX_REQUEST);

	(void)state;
	assert_non_null(buf);
	memset(buf, 'a', HTTP_MAX_REQUEST);
	memcpy(buf, "GET /metrics HTTP/1.1\r\nX: ", 26);
	assert_int_equal(http_message__judge(buf, HTTP_MAX_REQUEST - 1), 0);
	assert_int_equal(http_message__judge(buf, HTTP_MAX_REQUEST), 431);
	free(buf);
}

static void test_head(void **state)
{
	char buf[256];
	int n;

	(void)state;
	n = http_message__head(buf, sizeof(buf), 405, "text/plain", 12);
	assert_int_equal(n, (int)strlen(buf));
	assert_string_equal(buf, "HTTP/1.1 405 Method Not Allowed\r\nContent-Type: text/plain\r\n"
				 "Content-Length: 12\r\nAllow: GET\r\nCache-Control: no-store\r\n"
				 "Connection: close\r\n\r\n");
	assert_int_equal(http_message__head(buf, 20, 200, "text/plain", 1), -1);
}

static void test_parse_addr(void **state)
{
	struct listen_addr a;
	char err[256];

	(void)state;
	assert_int_equal(listen_addr__parse("127.0.0.1:9464", &a, err, sizeof(err)), 0);
	assert_string_equal(a.host, "127.0.0.1");
	assert_string_equal(a.port, "9464");
	assert_int_equal(listen_addr__parse("[::1]:80", &a, err, sizeof(err)), 0);
	assert_string_equal(a.host, "::1");
	assert_int_equal(listen_addr__parse(":9464", &a, err, sizeof(err)), 0);
	assert_string_equal(a.host, "");
	assert_int_equal(listen_addr__parse("localhost:1", &a, err, sizeof(err)), 0);
	assert_string_equal(a.host, "localhost");
	static const char *bad[] = { "9464", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536",
				     "127.0.0.1:+80", "127.0.0.1:80x", "::1:9464", "[::1:9464",
				     "[]:9464", "[::1]x:9464", "" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(listen_addr__parse(bad[i], &a, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "ADDR:PORT"));
}

/* A loopback port nobody holds now. */
static int free_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

static void test_bind_busy(void **state)
{
	struct listen_addr a;
	char text[64], err[256];
	int fd, fd2;

	(void)state;
	snprintf(text, sizeof(text), "127.0.0.1:%d", free_port());
	assert_int_equal(listen_addr__parse(text, &a, err, sizeof(err)), 0);
	fd = listen_addr__bind(&a, err, sizeof(err));
	assert_true(fd >= 0);
	fd2 = listen_addr__bind(&a, err, sizeof(err));
	assert_int_equal(fd2, -EADDRINUSE);
	assert_non_null(strstr(err, "Address already in use"));
	close(fd);
	assert_int_equal(listen_addr__parse("192.0.2.1:9464", &a, err, sizeof(err)), 0);
	assert_int_equal(listen_addr__bind(&a, err, sizeof(err)), -EADDRNOTAVAIL);
}

static int connect_to(int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

/* Send req on a new connection; the whole response (the server closes). */
static char *exchange(int port, const char *req, size_t len)
{
	int fd = connect_to(port);
	char *out = calloc(1, 65536);
	size_t got = 0;
	ssize_t n;

	assert_non_null(out);
	assert_int_equal(send(fd, req, len, MSG_NOSIGNAL), (ssize_t)len);
	while ((n = recv(fd, out + got, 65535 - got, 0)) > 0)
		got += (size_t)n;
	close(fd);
	return out;
}

struct scrape {
	int port;
	char *response;
};

static void *scrape_thread(void *arg)
{
	struct scrape *sc = arg;
	static const char req[] = "GET /metrics HTTP/1.1\r\nHost: t\r\n\r\n";

	sc->response = exchange(sc->port, req, sizeof(req) - 1);
	return NULL;
}

/* Play the trace loop: wait for a scrape's flag, then publish text. */
static void publish_when_wanted(struct metrics_server *s, const char *text)
{
	for (int i = 0; i < 2000 && !metrics_server__wanted(s); i++)
		usleep(1000);
	assert_true(metrics_server__wanted(s));
	metrics_server__publish(s, strdup(text), strlen(text));
	assert_false(metrics_server__wanted(s));
}

static void test_server(void **state)
{
	struct metrics_server *s;
	struct scrape sc;
	pthread_t th;
	char addr[64], err[256], *r;
	int silent;

	(void)state;
	sc.port = free_port();
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", sc.port);
	assert_int_equal(metrics_server__start(&s), -ENOENT);
	assert_int_equal(metrics_server__prepare(addr, err, sizeof(err)), 0);
	assert_int_equal(metrics_server__start(&s), 0);
	assert_false(metrics_server__wanted(s));
	/* A client that sends nothing holds one slot, not the server. */
	silent = connect_to(sc.port);
	assert_int_equal(pthread_create(&th, NULL, scrape_thread, &sc), 0);
	publish_when_wanted(s, "a_total 1\n");
	pthread_join(th, NULL);
	assert_non_null(strstr(sc.response, "HTTP/1.1 200 OK\r\n"));
	assert_non_null(strstr(sc.response, "Content-Type: text/plain; version=0.0.4"));
	assert_non_null(strstr(sc.response, "Content-Length: 10\r\n"));
	assert_non_null(strstr(sc.response, "\r\n\r\na_total 1\n"));
	free(sc.response);
	/* The next scrape gets the values of its own moment. */
	assert_int_equal(pthread_create(&th, NULL, scrape_thread, &sc), 0);
	publish_when_wanted(s, "a_total 2\n");
	pthread_join(th, NULL);
	assert_non_null(strstr(sc.response, "\r\n\r\na_total 2\n"));
	free(sc.response);
	r = exchange(sc.port, "GET /x HTTP/1.1\r\n\r\n", 19);
	assert_non_null(strstr(r, "HTTP/1.1 404 Not Found\r\n"));
	free(r);
	r = exchange(sc.port, "DELETE /metrics HTTP/1.1\r\n\r\n", 28);
	assert_non_null(strstr(r, "HTTP/1.1 405 Method Not Allowed\r\n"));
	free(r);
	close(silent);
	metrics_server__free(s);
}

/* Nobody publishes: the scrape is answered with the last text after
 * METRICS_SERVER_FRESH_WAIT_S; before any text, 503. */
static void test_server_stale(void **state)
{
	struct metrics_server *s;
	struct timespec t0, t1;
	char addr[64], err[256], *big, *r;
	int port = free_port();
	double waited;

	(void)state;
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
	assert_int_equal(metrics_server__prepare(addr, err, sizeof(err)), 0);
	assert_int_equal(metrics_server__start(&s), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = exchange(port, "GET /metrics HTTP/1.0\r\n\r\n", 25);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	waited = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	assert_non_null(strstr(r, "HTTP/1.1 503 Service Unavailable\r\n"));
	assert_true(waited >= METRICS_SERVER_FRESH_WAIT_S * 0.9 && waited < 4.0);
	free(r);
	big = malloc(HTTP_MAX_REQUEST + 100);
	assert_non_null(big);
	memset(big, 'x', HTTP_MAX_REQUEST + 100);
	memcpy(big, "GET /metrics HTTP/1.1\r\n", 23);
	r = exchange(port, big, HTTP_MAX_REQUEST);
	assert_non_null(strstr(r, "HTTP/1.1 431 "));
	free(r);
	free(big);
	metrics_server__free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_judge),
		cmocka_unit_test(test_judge_too_large),
		cmocka_unit_test(test_head),
		cmocka_unit_test(test_parse_addr),
		cmocka_unit_test(test_bind_busy),
		cmocka_unit_test(test_server),
		cmocka_unit_test(test_server_stale),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
