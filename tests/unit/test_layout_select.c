/* Choosing the layout (user/layout_select.c) on the fixture libraries of
 * tests/unit/fixtures.mk (layout_evidence_lib.cpp): a library whose code
 * proves every Buffer field; one with no accessors, refused with every field
 * named; a layout file that fills what is unproven, and one that contradicts
 * the code, refused with the field named; device_ inferred before size_ and
 * overridable, because only the events can check it.
 * Fixtures are looked up in TTLEAK_FIXTURE_DIR, else fixtures/ beside this binary. */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "fixture_dir.h"
#include "elf/layout_select.h"

static char fixture_dir[PATH_MAX];

static void choose(const char *lib, const char *layout_text, struct layout_choice *c)
{
	char path[PATH_MAX + 64], file[] = "/tmp/ttleak-layout-XXXXXX", err[512] = "";
	int fd = -1, ret;

	snprintf(path, sizeof(path), "%s/%s", fixture_dir, lib);
	if (layout_text) {
		fd = mkstemp(file);
		assert_true(fd >= 0);
		assert_int_equal(write(fd, layout_text, strlen(layout_text)),
				 (ssize_t)strlen(layout_text));
		close(fd);
	}
	ret = layout_select(path, layout_text ? file : NULL, c, err, sizeof(err));
	if (layout_text)
		unlink(file);
	if (ret)
		fail_msg("%s: %d %s", path, ret, err);
}

static void test_code_proves_every_field(void **state)
{
	struct layout_choice c;

	(void)state;
	choose("libev-e2-clang-O3-stripped.so", NULL, &c);
	assert_string_equal(c.unproven, "");
	assert_string_equal(c.contradicted, "");
	assert_int_equal(c.layout.off_size, 24);
	assert_int_equal(c.layout.off_allocator, 64);
	assert_int_equal(c.layout.off_device, 16); /* inferred: just before size_ */
	assert_true(c.inferred[LE_BUFFER_DEVICE]);
	assert_int_equal(c.layout.buffer_impl_offset, -1);
	assert_true(c.vtables.device_vaddr && c.vtables.mesh_vaddr);
}

static void test_nothing_proven_is_named(void **state)
{
	struct layout_choice c;

	(void)state;
	choose("libev-noacc.so", NULL, &c);
	assert_non_null(strstr(c.unproven, "size_"));
	assert_non_null(strstr(c.unproven, "address_"));
	assert_non_null(strstr(c.unproven, "allocator_"));
	assert_non_null(strstr(c.evidence[LE_BUFFER_ADDRESS], "not in the library"));
}

static void test_file_fills_what_is_unproven(void **state)
{
	struct layout_choice c;

	(void)state;
	choose("libev-noacc.so", "buffer_impl_offset = -1\ndevice = 16\nsize = 24\n"
	       "buffer_type = 32\nallocator = 64  # from the build's headers\naddress = 80\n"
	       "page_size = 88\n", &c);
	assert_string_equal(c.unproven, "");
	assert_string_equal(c.contradicted, "");
	assert_int_equal(c.layout.off_page_size, 88);
}

static void test_file_against_the_code_is_refused(void **state)
{
	struct layout_choice c;

	(void)state;
	choose("libev-e2-gcc-O2.so", "size = 80\naddress = 24\ndevice = 8\n", &c);
	assert_non_null(strstr(c.contradicted, "size_"));
	assert_non_null(strstr(c.contradicted, "address_"));
	assert_null(strstr(c.contradicted, "device_")); /* inferred: the file may say */
	assert_int_equal(c.layout.off_device, 8);
	assert_non_null(strstr(c.evidence[LE_BUFFER_SIZE], "CONTRADICTED: the layout file says 80"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_code_proves_every_field),
		cmocka_unit_test(test_nothing_proven_is_named),
		cmocka_unit_test(test_file_fills_what_is_unproven),
		cmocka_unit_test(test_file_against_the_code_is_refused),
	};

	fixture_dir_find(fixture_dir, sizeof(fixture_dir));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
