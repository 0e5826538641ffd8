// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit tests for user/layout.c's layout file reader: a documented example,
 * comments, long lines, errors with file:line, and files that are not text
 * files (directory, FIFO, device, oversized). */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elf/layout.h"
#include "tmp_dir.h"

/* A layout file with comments on their own lines and after values. */
static const char readme_example[] =
	"# mylayout.txt: offsets in bytes; unset keys keep what the evidence gave\n"
	"name = 2026-custom\n"
	"buffer_impl_offset = 16    # -1 when the fields are inline in Buffer\n"
	"device = 0\n"
	"size = 8\n"
	"buffer_type = 16\n"
	"allocator = 48\n"
	"address = 64\n"
	"page_size = 72\n"
	"device_id_offset = 24      # -1: name devices by pointer\n";

struct fixture {
	char dir[64];
	char path[128];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	if (tmp_dir_make(f->dir, sizeof(f->dir), "layout"))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/layout.txt", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	return tmp_dir_teardown(f, f->dir);
}

static void write_file(const char *path, const char *text, size_t len)
{
	FILE *out = fopen(path, "w");

	assert_non_null(out);
	assert_int_equal(fwrite(text, 1, len, out), len);
	assert_int_equal(fclose(out), 0);
}

static struct layout base_layout(void)
{
	struct layout l;

	memset(&l, 0, sizeof(l));
	snprintf(l.name, sizeof(l.name), "base");
	l.buffer_impl_offset = -1;
	l.off_size = 1111;
	l.device_id_offset = 7;
	return l;
}

static void test_readme_example_loads(void **state)
{
	struct fixture *f = *state;
	struct layout l = base_layout();
	char err[512] = "";

	write_file(f->path, readme_example, strlen(readme_example));
	assert_int_equal(layout__load_file(f->path, &l, err, sizeof(err)), 0);
	assert_string_equal(l.name, "2026-custom");
	assert_int_equal(l.buffer_impl_offset, 16);
	assert_int_equal(l.off_device, 0);
	assert_int_equal(l.off_size, 8);
	assert_int_equal(l.off_type, 16);
	assert_int_equal(l.off_allocator, 48);
	assert_int_equal(l.off_address, 64);
	assert_int_equal(l.off_page_size, 72);
	assert_int_equal(l.device_id_offset, 24);
	assert_non_null(strstr(l.source, "layout file"));
}

static void test_unset_keys_kept_and_none(void **state)
{
	static const char text[] = "size = 0x20\r\n\n   # only a comment\ndevice_id_offset=-1#none\n";
	struct layout l = base_layout();
	char err[512] = "";

	(void)state;
	assert_int_equal(layout__parse_text(text, strlen(text), "t", &l, err, sizeof(err)), 0);
	assert_int_equal(l.off_size, 32);
	assert_int_equal(l.device_id_offset, -1);
	assert_int_equal(l.buffer_impl_offset, -1);
	assert_string_equal(l.name, "base");
}

/* A line longer than any fixed buffer is one line, not several. */
static void test_long_lines(void **state)
{
	struct fixture *f = *state;
	size_t pad = 5000, n = 0;
	char *text = malloc(2 * pad + 64);
	struct layout l = base_layout();
	char err[512] = "";

	assert_non_null(text);
	memset(text, ' ', pad);
	n = pad;
	n += (size_t)sprintf(text + n, "size = 40 #");
	memset(text + n, 'x', pad);
	n += pad;
	n += (size_t)sprintf(text + n, "= 9\naddress = 8");
	write_file(f->path, text, n);
	assert_int_equal(layout__load_file(f->path, &l, err, sizeof(err)), 0);
	assert_int_equal(l.off_size, 40);
	assert_int_equal(l.off_address, 8);
	free(text);
}

static void expect_error(const char *text, const char *needle)
{
	struct layout l = base_layout(), before = base_layout();
	char err[512] = "";

	assert_int_equal(layout__parse_text(text, strlen(text), "f.txt", &l, err, sizeof(err)),
			 -EINVAL);
	if (!strstr(err, needle))
		fail_msg("message '%s' lacks '%s'", err, needle);
	assert_memory_equal(&l, &before, sizeof(l)); /* unchanged on error */
}

static void test_errors_name_file_and_line(void **state)
{
	(void)state;
	expect_error("size = 8\n\nsize 8\n", "f.txt:3: expected 'key = value'");
	expect_error("# c\nsizes = 8\n", "f.txt:2: unknown key 'sizes'");
	expect_error("size = 4097\n", "f.txt:1: bad value '4097' for 'size'");
	expect_error("size = -1\n", "f.txt:1: bad value '-1' for 'size'");
	expect_error("size = 8 bytes\n", "f.txt:1: bad value '8 bytes'");
	expect_error("size =\n", "f.txt:1: bad value ''");
	expect_error("device_id_offset = -2\n", "-1 for none");
	expect_error("name = 0123456789012345678901234567890123456789012345678901234567890123\n",
		     "f.txt:1: name is longer");
}

static void test_nul_byte_refused(void **state)
{
	static const char text[] = "size = 8\nsi\0ze = 8\n";
	struct layout l = base_layout();
	char err[512] = "";

	(void)state;
	assert_int_equal(layout__parse_text(text, sizeof(text) - 1, "f", &l, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "f:2: NUL byte"));
}

static void expect_refused(const char *path, const char *needle)
{
	struct layout l = base_layout();
	char err[512] = "";

	assert_int_not_equal(layout__load_file(path, &l, err, sizeof(err)), 0);
	if (!strstr(err, needle) || !strstr(err, path))
		fail_msg("message '%s' lacks '%s' or the path", err, needle);
}

static void test_special_files_refused(void **state)
{
	struct fixture *f = *state;
	char fifo[160];

	expect_refused(f->dir, "a directory");
	snprintf(fifo, sizeof(fifo), "%s/fifo", f->dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	expect_refused(fifo, "a FIFO"); /* must not block: no writer ever comes */
	expect_refused("/dev/zero", "a device");
	expect_refused("/dev/null", "a device");
	expect_refused("/nonexistent/layout.txt", "cannot open");
}

static void test_oversized_file_refused(void **state)
{
	struct fixture *f = *state;
	size_t n = LAYOUT_FILE_MAX + 1;
	char *text = malloc(n);

	assert_non_null(text);
	memset(text, '\n', n);
	write_file(f->path, text, n);
	expect_refused(f->path, "larger than 64 KiB");
	write_file(f->path, text, n - 1); /* at the limit: empty lines, fine */
	{
		struct layout l = base_layout();
		char err[512] = "";

		assert_int_equal(layout__load_file(f->path, &l, err, sizeof(err)), 0);
	}
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_readme_example_loads, setup, teardown),
		cmocka_unit_test(test_unset_keys_kept_and_none),
		cmocka_unit_test_setup_teardown(test_long_lines, setup, teardown),
		cmocka_unit_test(test_errors_name_file_and_line),
		cmocka_unit_test(test_nul_byte_refused),
		cmocka_unit_test_setup_teardown(test_special_files_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_oversized_file_refused, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
