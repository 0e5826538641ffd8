// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdio.h>
#include <string.h>
#include "report/http_message.h"

#define METRICS_PATH "/metrics"

/* The request line's target is METRICS_PATH, alone or with a query. */
static int judge_target(const char *target, size_t len)
{
	size_t n = strlen(METRICS_PATH);

	if (len < n || memcmp(target, METRICS_PATH, n) != 0)
		return 404;
	return len == n || target[n] == '?' ? 200 : 404;
}

/* "METHOD SP TARGET SP HTTP/1.x", without its line end. */
static int judge_line(const char *line, size_t len)
{
	const char *sp1 = memchr(line, ' ', len), *sp2;
	size_t rest;

	if (!sp1 || sp1 == line)
		return 400;
	sp2 = memchr(sp1 + 1, ' ', len - (size_t)(sp1 + 1 - line));
	if (!sp2 || sp2 == sp1 + 1 || sp1[1] != '/')
		return 400;
	rest = len - (size_t)(sp2 + 1 - line);
	if (rest != 8 || memcmp(sp2 + 1, "HTTP/1.", 7) != 0)
		return rest >= 5 && memcmp(sp2 + 1, "HTTP/", 5) == 0 ? 505 : 400;
	if (sp2[8] != '0' && sp2[8] != '1')
		return 505;
	if ((size_t)(sp1 - line) != 3 || memcmp(line, "GET", 3) != 0)
		return 405;
	return judge_target(sp1 + 1, (size_t)(sp2 - sp1 - 1));
}

/* The end of the head: the empty line, with CRLF or bare LF line ends. */
static const char *head_end(const char *buf, size_t len)
{
	for (size_t i = 0; i + 1 < len; i++) {
		if (buf[i] != '\n')
			continue;
		if (buf[i + 1] == '\n')
			return buf + i + 2;
		if (buf[i + 1] == '\r' && i + 2 < len && buf[i + 2] == '\n')
			return buf + i + 3;
	}
	return NULL;
}

int http_message__judge(const char *buf, size_t len)
{
	const char *nl;
	size_t line_len;

	if (len > HTTP_MAX_REQUEST)
		len = HTTP_MAX_REQUEST;
	if (memchr(buf, '\0', len))
		return 400;
	if (!head_end(buf, len))
		return len >= HTTP_MAX_REQUEST ? 431 : 0;
	nl = memchr(buf, '\n', len);
	line_len = (size_t)(nl - buf);
	if (line_len && buf[line_len - 1] == '\r')
		line_len--;
	return judge_line(buf, line_len);
}

const char *http_message__reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 431: return "Request Header Fields Too Large";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	default: return "Internal Server Error";
	}
}

int http_message__head(char *buf, size_t size, int status, const char *content_type,
		       size_t body_len)
{
	int n = snprintf(buf, size,
			 "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
			 "%sCache-Control: no-store\r\nConnection: close\r\n\r\n",
			 status, http_message__reason(status), content_type, body_len,
			 status == 405 ? "Allow: GET\r\n" : "");

	return n < 0 || (size_t)n >= size ? -1 : n;
}
