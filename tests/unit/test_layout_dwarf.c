// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Unit tests of layout_dwarf: Buffer/BufferImpl/Device member offsets from
 * the DWARF of the fixture libraries (tests/unit/fixtures.mk), in every API
 * generation and DWARF shape, from separate debug files found by build id
 * and by .gnu_debuglink, and the fallback to the built-in profiles.
 * Fixtures are looked up in TTLEAK_FIXTURE_DIR, else in fixtures/ next to
 * this binary ($(OUTPUT)/tests/fixtures).
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>
#include "fixture_dir.h"
#include <gelf.h>
#include <elfutils/libdwelf.h>
#include <fcntl.h>
#include "elf/layout_dwarf.h"

static char fixture_dir[PATH_MAX];

static const char *fixture(const char *name)
{
	static char path[PATH_MAX + 64];

	snprintf(path, sizeof(path), "%s/%s", fixture_dir, name);
	return path;
}

/* An empty debug root, so that /usr/lib/debug of the test machine plays no part. */
static char empty_root[] = "/tmp/ttleak-test-debugXXXXXX";

static int read_layout(const char *name, const char *root, struct layout *l, char *err)
{
	memset(l, 0, sizeof(*l));
	l->device_id_offset = -7; /* kept when the DWARF lacks Device::id_ */
	return layout_dwarf__read(fixture(name), root ? root : empty_root, l, err, 512);
}

static void assert_2026_fixture(const struct layout *l)
{
	assert_int_equal(l->buffer_impl_offset, 24);
	assert_int_equal(l->off_device, 0);
	assert_int_equal(l->off_size, 8);
	assert_int_equal(l->off_type, 16);
	assert_int_equal(l->off_allocator, 48);
	assert_int_equal(l->off_address, 64);
	assert_int_equal(l->off_page_size, 72);
	assert_int_equal(l->device_id_offset, 32);
}

static void test_2026_impl_pointer_and_decl_only_units(void **state)
{
	static const char *const libs[] = {
		"libdwarf2026.so", "libdwarf2026-dwarf2.so", "libdwarf2026-types.so",
	};
	char err[512], want[PATH_MAX + 128];
	struct layout l;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(libs) / sizeof(libs[0]); i++) {
		assert_int_equal(read_layout(libs[i], NULL, &l, err), 0);
		assert_2026_fixture(&l);
		snprintf(want, sizeof(want), "DWARF in %s", fixture(libs[i]));
		assert_string_equal(l.source, want);
	}
}

static void test_2025_and_2024_fields_inline(void **state)
{
	static const char *const libs[] = { "libdwarf2025.so", "libdwarf2024.so" };
	char err[512];
	struct layout l;
	size_t i;

	(void)state;
	for (i = 0; i < 2; i++) {
		assert_int_equal(read_layout(libs[i], NULL, &l, err), 0);
		assert_int_equal(l.buffer_impl_offset, -1);
		assert_int_equal(l.off_device, 16);
		assert_int_equal(l.off_size, 24);
		assert_int_equal(l.off_type, 32);
		assert_int_equal(l.off_allocator, 64);
		assert_int_equal(l.off_address, 96);
		assert_int_equal(l.off_page_size, 104);
		assert_int_equal(l.device_id_offset, 32);
	}
}

static void test_no_dwarf_and_no_members(void **state)
{
	char err[512];
	struct layout l;

	(void)state;
	/* stripped of DWARF, no debug file anywhere */
	assert_int_equal(read_layout("libdwarf2026-nodebug.so", NULL, &l, err), -ENODATA);
	assert_int_equal(l.device_id_offset, -7);
	assert_int_equal(read_layout("libgen2025.so", NULL, &l, err), -ENODATA);
	/* DWARF whose Buffer lacks the fields: not a layout, and *out untouched */
	assert_int_equal(read_layout("libgen2026.so", NULL, &l, err), -ENOENT);
	assert_non_null(strstr(err, "lacks the member device_"));
	assert_int_equal(l.off_address, 0);
	assert_int_equal(read_layout("no-such-lib.so", NULL, &l, err), -ENOENT);
}

static void test_debuglink_beside_the_library(void **state)
{
	char err[512];
	struct layout l;

	(void)state;
	assert_int_equal(read_layout("libdwarf2026-split.so", NULL, &l, err), 0);
	assert_2026_fixture(&l);
	assert_non_null(strstr(l.source, "/libdwarf2026.debug"));
}

static void build_id_path(const char *lib, const char *root, char *out, size_t size)
{
	const unsigned char *id;
	size_t len, i;
	ssize_t n;
	int fd = open(lib, O_RDONLY);
	Elf *elf;

	assert_true(fd >= 0);
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	n = dwelf_elf_gnu_build_id(elf, (const void **)&id);
	assert_true(n > 1);
	len = (size_t)snprintf(out, size, "%s/.build-id/%02x/", root, id[0]);
	for (i = 1; i < (size_t)n; i++)
		len += (size_t)snprintf(out + len, size - len, "%02x", id[i]);
	snprintf(out + len, size - len, ".debug");
	elf_end(elf);
	close(fd);
}

/* DEBUG_ROOT/.build-id/xx/rest.debug, as debuginfo packages install it; a
 * file there from another build (build id differs inside) is not used. */
static void test_build_id_in_debug_root(void **state)
{
	char root[] = "/tmp/ttleak-test-rootXXXXXX", path[PATH_MAX], dir[PATH_MAX], err[512];
	char target[PATH_MAX + 64];
	struct layout l;

	(void)state;
	assert_non_null(mkdtemp(root));
	build_id_path(fixture("libdwarf2026-nodebug.so"), root, path, sizeof(path));
	snprintf(dir, sizeof(dir), "%s", path);
	*strrchr(dir, '/') = '\0';
	snprintf(target, sizeof(target), "%s/.build-id", root);
	assert_int_equal(mkdir(target, 0700), 0);
	assert_int_equal(mkdir(dir, 0700), 0);

	snprintf(target, sizeof(target), "%s", fixture("libdwarf2025.so"));
	assert_int_equal(symlink(target, path), 0);
	assert_int_equal(read_layout("libdwarf2026-nodebug.so", root, &l, err), -ENODATA);
	unlink(path);

	snprintf(target, sizeof(target), "%s", fixture("libdwarf2026.debug"));
	assert_int_equal(symlink(target, path), 0);
	assert_int_equal(read_layout("libdwarf2026-nodebug.so", root, &l, err), 0);
	assert_2026_fixture(&l);
	assert_non_null(strstr(l.source, "/.build-id/"));

	unlink(path);
	rmdir(dir);
	snprintf(target, sizeof(target), "%s/.build-id", root);
	rmdir(target);
	rmdir(root);
}

/* Source order: DWARF, else the built-in profile, else nothing. */

/* Nesting past the bound is not a crash, nor a layout: -E2BIG, said why. */
static void test_deep_namespaces_are_bounded(void **state)
{
	struct layout l;
	char err[512];

	(void)state;
	memset(&l, 0, sizeof(l));
	assert_int_equal(read_layout("libdwarf-deep.so", NULL, &l, err), -E2BIG);
	assert_non_null(strstr(err, "not trusted"));
}

/* A debug link beside the library that is a FIFO (or a symlink) is not
 * opened: the reader must not hang, nor follow it out of the directory. */
static void test_debuglink_fifo_is_not_opened(void **state)
{
	char dir[] = "/tmp/ttleak-fifo-XXXXXX", lib[PATH_MAX], fifo[PATH_MAX], err[512];
	struct layout l;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(lib, sizeof(lib), "%s/libdwarf2026-split.so", dir);
	snprintf(fifo, sizeof(fifo), "%s/libdwarf2026.debug", dir);
	assert_int_equal(symlink(fixture("libdwarf2026-split.so"), lib), 0);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	memset(&l, 0, sizeof(l));
	assert_int_equal(layout_dwarf__read(lib, dir, &l, err, sizeof(err)), -ENODATA);
	unlink(fifo);
	unlink(lib);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_deep_namespaces_are_bounded),
		cmocka_unit_test(test_debuglink_fifo_is_not_opened),
		cmocka_unit_test(test_2026_impl_pointer_and_decl_only_units),
		cmocka_unit_test(test_2025_and_2024_fields_inline),
		cmocka_unit_test(test_no_dwarf_and_no_members),
		cmocka_unit_test(test_debuglink_beside_the_library),
		cmocka_unit_test(test_build_id_in_debug_root),
	};
	int ret;

	fixture_dir_find(fixture_dir, sizeof(fixture_dir));
	if (!mkdtemp(empty_root)) {
		perror("mkdtemp");
		return 1;
	}
	ret = cmocka_run_group_tests_name("layout_dwarf", tests, NULL, NULL);
	rmdir(empty_root);
	return ret;
}
