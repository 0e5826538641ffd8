// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit tests for user/event_log.c: round trips and every rejection of the reader. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "model/event_log.h"

#define HEADER_SIZE 40
#define RECORD_SIZE sizeof(struct ttleak_event)
#define FOOTER_SIZE (20 + 8 * TTLEAK_DROP_REASON_MAX)

static char dir[] = "/tmp/ttleak-evlog-XXXXXX";
static char path[PATH_MAX];

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/events.bin", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(path);
	return rmdir(dir);
}

static struct ttleak_event make_event(uint64_t i)
{
	struct ttleak_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.ts_ns = 1000 + i;
	ev.tgid = 4242;
	ev.tid = 4243 + (uint32_t)(i % 4);
	ev.kind = 1 + i % (TTLEAK_EV_KIND_MAX - 1);
	ev.buffer_type = i % TTLEAK_BUF_TYPE_MAX;
	ev.chip_id = (int32_t)(i % 8);
	ev.stack_id = -1;
	ev.device = 0x5555000000ULL + (i % 8);
	ev.object = 0x7f0000000000ULL + 64 * i;
	ev.address = 0x3FFFF000ULL - 4096 * (i % 16);
	ev.size = 24576;
	ev.page_size = 2048;
	return ev;
}

static const struct event_log_header hdr = {
	.target_pid = 4242, .flags = EVENT_LOG_F_ATTACHED, .probe_mask = 0x3ff, .start_ns = 987654321,
};

static void write_log(uint64_t n, uint64_t drops)
{
	struct event_log_footer f = { .event_count = 12345 /* ignored */ };
	struct event_log_writer *w = event_log_writer__open(path, &hdr);

	assert_non_null(w);
	for (uint64_t i = 0; i < n; i++) {
		struct ttleak_event ev = make_event(i);

		assert_int_equal(event_log_writer__append(w, &ev), 0);
	}
	f.drops[TTLEAK_DROP_RINGBUF_FULL] = drops;
	assert_int_equal(event_log_writer__close(w, &f), 0);
}

static void test_round_trip(void **state)
{
	const uint64_t n = 100000;  /* 8 MB: crosses many 1 MiB buffer boundaries */
	struct event_log_header h;
	struct event_log_reader *r;
	struct ttleak_event ev;
	char err[512] = "";
	uint64_t i = 0;
	int ret;

	(void)state;
	write_log(n, 7);
	r = event_log_reader__open(path, &h, err, sizeof(err));
	if (!r)
		fail_msg("open: %s", err);
	assert_int_equal(h.version, TTLEAK_EVENT_VERSION);
	assert_int_equal(h.record_size, RECORD_SIZE);
	assert_int_equal(h.target_pid, 4242);
	assert_int_equal(h.flags, EVENT_LOG_F_ATTACHED);
	assert_int_equal(h.probe_mask, 0x3ff);
	assert_int_equal(h.start_ns, 987654321);
	assert_null(event_log_reader__footer(r));
	while ((ret = event_log_reader__next(r, &ev, err, sizeof(err))) == 1) {
		struct ttleak_event want = make_event(i++);

		assert_memory_equal(&ev, &want, sizeof(ev));
	}
	if (ret)
		fail_msg("next: %s", err);
	assert_int_equal(i, n);
	assert_non_null(event_log_reader__footer(r));
	assert_int_equal(event_log_reader__footer(r)->event_count, n);
	assert_int_equal(event_log_reader__footer(r)->drops[TTLEAK_DROP_RINGBUF_FULL], 7);
	/* The end stays the end. */
	assert_int_equal(event_log_reader__next(r, &ev, err, sizeof(err)), 0);
	event_log_reader__close(r);
}

static void test_empty_log(void **state)
{
	struct event_log_header h;
	struct event_log_reader *r;
	struct ttleak_event ev;
	struct event_log_writer *w;
	char err[256];

	(void)state;
	w = event_log_writer__open(path, &hdr);
	assert_non_null(w);
	assert_int_equal(event_log_writer__close(w, NULL), 0);
	r = event_log_reader__open(path, &h, err, sizeof(err));
	assert_non_null(r);
	assert_int_equal(event_log_reader__next(r, &ev, err, sizeof(err)), 0);
	assert_int_equal(event_log_reader__footer(r)->event_count, 0);
	assert_int_equal(event_log_reader__footer(r)->drops[0], 0);
	event_log_reader__close(r);
}

/* ---- files the reader must reject -------------------------------------- */

static unsigned char *slurp(size_t *n)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf;
	long size;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	size = ftell(f);
	rewind(f);
	buf = malloc((size_t)size + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)size, f), (size_t)size);
	fclose(f);
	*n = (size_t)size;
	return buf;
}

static void spew(const void *buf, size_t n)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

static void expect_open_error(const char *needle)
{
	struct event_log_header h;
	char err[512] = "";

	errno = 0;
	assert_null(event_log_reader__open(path, &h, err, sizeof(err)));
	assert_int_equal(errno, EINVAL);
	if (!strstr(err, needle) || !strstr(err, path))
		fail_msg("error '%s' does not name the file and '%s'", err, needle);
}

/* Reads good events up to the error; checks how many and the message. */
static void expect_next_error(uint64_t good_events, const char *needle)
{
	struct event_log_header h;
	struct event_log_reader *r;
	struct ttleak_event ev;
	char err[512] = "";
	uint64_t n = 0;
	int ret;

	r = event_log_reader__open(path, &h, err, sizeof(err));
	if (!r)
		fail_msg("open: %s", err);
	while ((ret = event_log_reader__next(r, &ev, err, sizeof(err))) == 1)
		n++;
	assert_int_equal(ret, -EINVAL);
	assert_int_equal(n, good_events);
	if (!strstr(err, needle) || !strstr(err, path))
		fail_msg("error '%s' does not name the file and '%s'", err, needle);
	/* Errors repeat. */
	err[0] = '\0';
	assert_int_equal(event_log_reader__next(r, &ev, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, needle));
	assert_null(event_log_reader__footer(r));
	event_log_reader__close(r);
}

static void test_reject_not_an_event_log(void **state)
{
	(void)state;
	spew("#!/bin/sh\necho this is a shell script, not an event log\n", 56);
	expect_open_error("not a ttleak event log (bad magic)");
	spew("TT", 2);  /* short, but not the magic either */
	expect_open_error("truncated header (2 of 40 bytes)");
	spew("XY", 2);
	expect_open_error("bad magic");
	spew("", 0);
	expect_open_error("empty file");
}

static void test_reject_missing_file(void **state)
{
	struct event_log_header h;
	char err[512] = "";

	(void)state;
	errno = 0;
	assert_null(event_log_reader__open("/nonexistent/events.bin", &h, err, sizeof(err)));
	assert_int_equal(errno, ENOENT);
	assert_non_null(strstr(err, "/nonexistent/events.bin: cannot open"));
}

static void test_reject_other_version(void **state)
{
	unsigned char *b;
	size_t n;
	uint32_t v = TTLEAK_EVENT_VERSION + 1;

	(void)state;
	write_log(3, 0);
	b = slurp(&n);
	memcpy(b + 8, &v, 4);
	spew(b, n);
	free(b);
	expect_open_error("format version");
}

static void test_reject_other_record_size(void **state)
{
	char want[64];
	unsigned char *b;
	size_t n;
	uint32_t size = RECORD_SIZE - 16;

	(void)state;
	write_log(3, 0);
	b = slurp(&n);
	memcpy(b + 12, &size, 4);
	spew(b, n);
	free(b);
	snprintf(want, sizeof(want), "records are %zu bytes", RECORD_SIZE - 16);
	expect_open_error(want);
}

static void test_reject_truncated_header(void **state)
{
	unsigned char *b;
	size_t n;

	(void)state;
	write_log(3, 0);
	b = slurp(&n);
	spew(b, 20);
	free(b);
	expect_open_error("truncated header (20 of 40 bytes)");
}

static void test_reject_truncated_record(void **state)
{
	char want[64];
	unsigned char *b;
	size_t n;

	(void)state;
	write_log(5, 0);
	b = slurp(&n);
	spew(b, HEADER_SIZE + 3 * RECORD_SIZE + 30);
	free(b);
	snprintf(want, sizeof(want), "truncated record 4 (30 of %zu bytes", RECORD_SIZE);
	expect_next_error(3, want);
}

static void test_reject_missing_footer(void **state)
{
	unsigned char *b;
	size_t n;
	char msg[128];

	(void)state;
	write_log(1234, 0);
	b = slurp(&n);
	spew(b, n - FOOTER_SIZE);
	free(b);
	snprintf(msg, sizeof(msg), "truncated after 1234 events (no end marker): "
		 "the recording was interrupted; re-record");
	expect_next_error(1234, msg);
}

static void test_reject_truncated_footer(void **state)
{
	unsigned char *b;
	size_t n;

	(void)state;
	write_log(3, 0);
	b = slurp(&n);
	spew(b, n - 4);
	expect_next_error(3, "truncated end marker after 3 events");
	spew(b, n - FOOTER_SIZE + 3);  /* cut inside the magic */
	expect_next_error(3, "truncated end marker after 3 events");
	free(b);
}

static void test_reject_footer_count_mismatch(void **state)
{
	unsigned char *b;
	size_t n;
	uint64_t count = 5;

	(void)state;
	write_log(3, 0);
	b = slurp(&n);
	memcpy(b + n - FOOTER_SIZE + 8, &count, 8);
	spew(b, n);
	free(b);
	expect_next_error(3, "end marker counts 5 events but the file holds 3");
}

static void test_reject_data_after_footer(void **state)
{
	unsigned char *b;
	size_t n;

	(void)state;
	write_log(3, 0);
	b = slurp(&n);
	b = realloc(b, n + 1);
	assert_non_null(b);
	b[n] = 'x';
	spew(b, n + 1);
	free(b);
	expect_next_error(3, "unexpected data after the end marker");
}

/* The metadata section comes back byte for byte, after every record. */
static void test_meta_round_trip(void **state)
{
	static const unsigned char meta[] = "run metadata\0with a NUL inside";
	struct event_log_footer f = { .meta = meta, .meta_size = sizeof(meta) };
	const struct event_log_footer *got;
	struct event_log_writer *w;
	struct event_log_reader *r;
	struct event_log_header h;
	struct ttleak_event ev = make_event(0);
	char err[512] = "";
	int ret;

	(void)state;
	w = event_log_writer__open(path, &hdr);
	assert_non_null(w);
	assert_int_equal(event_log_writer__append(w, &ev), 0);
	assert_int_equal(event_log_writer__close(w, &f), 0);
	r = event_log_reader__open(path, &h, err, sizeof(err));
	assert_non_null(r);
	while ((ret = event_log_reader__next(r, &ev, err, sizeof(err))) == 1)
		;
	if (ret)
		fail_msg("next: %s", err);
	got = event_log_reader__footer(r);
	assert_int_equal(got->event_count, 1);
	assert_int_equal(got->meta_size, sizeof(meta));
	assert_memory_equal(got->meta, meta, sizeof(meta));
	event_log_reader__close(r);
}

/* A log whose footer promises meta_size bytes of metadata; `keep` of them written. */
static void write_meta_log(uint32_t meta_size, size_t keep)
{
	unsigned char *b, *grown;
	size_t n;

	write_log(2, 0);
	b = slurp(&n);
	memcpy(b + n - 4, &meta_size, 4);
	grown = realloc(b, n + keep);
	assert_non_null(grown);
	memset(grown + n, 'm', keep);
	spew(grown, n + keep);
	free(grown);
}

static void test_reject_bad_meta(void **state)
{
	char want[160];

	(void)state;
	write_meta_log(100, 99);
	expect_next_error(2, "truncated run metadata (99 of 100 bytes)");
	write_meta_log(100, 101);
	expect_next_error(2, "unexpected data after the end marker");
	write_meta_log(EVENT_LOG_META_MAX + 1, 0);
	snprintf(want, sizeof(want), "gives %u bytes of run metadata, more than the %u",
		 EVENT_LOG_META_MAX + 1, EVENT_LOG_META_MAX);
	expect_next_error(2, want);
}

static void test_writer_rejects_huge_meta(void **state)
{
	static const unsigned char meta[1];
	struct event_log_footer f = { .meta = meta, .meta_size = EVENT_LOG_META_MAX + 1 };
	struct event_log_writer *w;

	(void)state;
	unlink(path);
	w = event_log_writer__open(path, &hdr);
	assert_non_null(w);
	assert_int_equal(event_log_writer__close(w, &f), -EFBIG);
	assert_int_equal(access(path, F_OK), -1); /* nothing left in place */
}

static void corrupt_record(size_t index, size_t field, uint8_t value, const char *needle)
{
	unsigned char *b;
	size_t n;

	write_log(4, 0);
	b = slurp(&n);
	b[HEADER_SIZE + index * RECORD_SIZE + field] = value;
	spew(b, n);
	free(b);
	expect_next_error(index, needle);
}

static void test_reject_corrupt_records(void **state)
{
	char want[64];

	(void)state;
	snprintf(want, sizeof(want), "corrupt record 2 at offset %zu (kind 0,",
		 HEADER_SIZE + RECORD_SIZE);
	corrupt_record(1, offsetof(struct ttleak_event, kind), 0, want);
	corrupt_record(2, offsetof(struct ttleak_event, kind), TTLEAK_EV_KIND_MAX, "corrupt record 3");
	corrupt_record(0, offsetof(struct ttleak_event, buffer_type), TTLEAK_BUF_TYPE_MAX,
		       "corrupt record 1");
}

static void test_writer_errors(void **state)
{
	(void)state;
	errno = 0;
	assert_null(event_log_writer__open("/nonexistent/dir/events.bin", &hdr));
	assert_int_equal(errno, ENOENT);
	/* Only a regular file is written: never a device (output_file.h). */
	errno = 0;
	assert_null(event_log_writer__open("/dev/full", &hdr));
	assert_int_equal(errno, EINVAL);
}

/* A write error (a full disk, here the file size limit) shows when the
 * buffer is flushed and again at close, and no partial file is left. */
static void test_writer_write_error(void **state)
{
	struct ttleak_event ev = make_event(1);
	struct rlimit old, small = { 64 << 10, 64 << 10 };
	struct event_log_writer *w;
	char dir[] = "/tmp/ttleak-evlog-XXXXXX", path[64];
	int ret = 0;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/events.bin", dir);
	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	small.rlim_max = old.rlim_max;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
	w = event_log_writer__open(path, &hdr);
	assert_non_null(w);
	for (int i = 0; i < 100000 && !ret; i++)
		ret = event_log_writer__append(w, &ev);
	assert_int_equal(ret, -EFBIG);
	assert_int_equal(event_log_writer__close(w, NULL), -EFBIG);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, SIG_DFL);
	assert_int_equal(rmdir(dir), 0); /* neither the file nor a temporary one */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_empty_log),
		cmocka_unit_test(test_reject_not_an_event_log),
		cmocka_unit_test(test_reject_missing_file),
		cmocka_unit_test(test_reject_other_version),
		cmocka_unit_test(test_reject_other_record_size),
		cmocka_unit_test(test_reject_truncated_header),
		cmocka_unit_test(test_reject_truncated_record),
		cmocka_unit_test(test_reject_missing_footer),
		cmocka_unit_test(test_reject_truncated_footer),
		cmocka_unit_test(test_reject_footer_count_mismatch),
		cmocka_unit_test(test_reject_data_after_footer),
		cmocka_unit_test(test_meta_round_trip),
		cmocka_unit_test(test_reject_bad_meta),
		cmocka_unit_test(test_writer_rejects_huge_meta),
		cmocka_unit_test(test_reject_corrupt_records),
		cmocka_unit_test(test_writer_errors),
		cmocka_unit_test(test_writer_write_error),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
