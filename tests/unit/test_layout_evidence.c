// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Layouts read from machine code (user/layout_evidence.c), on the fixture
 * libraries of tests/unit/fixtures.mk built from
 * tests/unit/fixtures/layout_evidence_lib.cpp: every layout, by g++ -O2,
 * g++ -O3 -fomit-frame-pointer and clang -O3, with .symtab and stripped. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>
#include "fixture_dir.h"
#include "elf/layout_evidence.h"

static char fixture_dir[PATH_MAX];

struct expect {
	const char *layout;
	int32_t impl, size, type, allocator, address, page_size, device_id, mesh_ptr, mesh_id;
};

static const struct expect e1 = { "e1", -1, 8, 16, 48, 64, 72, 8, -1, 12 };
static const struct expect e2 = { "e2", -1, 24, 32, 64, 80, 88, 8, -1, 12 };
static const struct expect pimpl = { "pimpl", 16, 8, 16, 48, 64, 72, 24, 16, 20 };
static const struct expect shifted = { "shifted", -1, 24, 32, 72, 88, 96, 24, 16, 20 };

static const char *const compilers[] = { "gcc-O2", "gcc-O3", "clang-O3" };

static void read_fixture(const char *name, struct layout_evidence *ev)
{
	char path[PATH_MAX + 64], err[256] = "";
	int ret;

	snprintf(path, sizeof(path), "%s/%s", fixture_dir, name);
	ret = layout_evidence__read(path, ev, err, sizeof(err));
	if (ret)
		fail_msg("%s: %d %s", path, ret, err);
}

static void check_found(const struct layout_evidence *ev, enum le_field_id id, int32_t off,
			const char *lib)
{
	const struct le_field *f = &ev->fields[id];
	char want[32];

	if (f->state != LE_FOUND || f->offset != off)
		fail_msg("%s: %s: state %d offset %d, want %d: %s", lib,
			 layout_evidence__field_name(id), f->state, f->offset, off, f->evidence);
	snprintf(want, sizeof(want), "= %d:", off);
	assert_non_null(strstr(f->evidence, off < 0 ? "inline" : want));
}

static void check_vtables(const struct layout_evidence *ev)
{
	assert_true(ev->device_vtable.found);
	assert_true(ev->mesh_device_vtable.found);
	assert_int_equal(ev->device_vtable.address_point, ev->device_vtable.vaddr + 16);
	assert_int_equal(ev->mesh_device_vtable.address_point, ev->mesh_device_vtable.vaddr + 16);
	assert_true(ev->device_vtable.size > 16);
	assert_true(ev->mesh_device_vtable.size > 16);
	assert_int_not_equal(ev->device_vtable.vaddr, ev->mesh_device_vtable.vaddr);
}

static void check_build(const struct expect *x, const char *lib, bool stripped)
{
	struct layout_evidence ev;

	read_fixture(lib, &ev);
	check_found(&ev, LE_BUFFER_IMPL, x->impl, lib);
	check_found(&ev, LE_BUFFER_SIZE, x->size, lib);
	check_found(&ev, LE_BUFFER_TYPE, x->type, lib);
	check_found(&ev, LE_BUFFER_ALLOCATOR, x->allocator, lib);
	check_found(&ev, LE_BUFFER_ADDRESS, x->address, lib);
	check_found(&ev, LE_BUFFER_PAGE_SIZE, x->page_size, lib);
	check_found(&ev, LE_DEVICE_ID, x->device_id, lib);
	check_found(&ev, LE_MESH_ID_PTR, x->mesh_ptr, lib);
	check_found(&ev, LE_MESH_ID, x->mesh_id, lib);
	assert_int_equal(ev.fields[LE_BUFFER_DEVICE].state, LE_UNKNOWN);
	assert_non_null(strstr(ev.fields[LE_BUFFER_DEVICE].evidence, "no out-of-line accessor"));
	assert_int_equal(ev.has_symtab, !stripped);
	assert_int_equal(ev.device_id_method, stripped ? LE_ID_VTABLE_SLOT : LE_ID_SYMTAB);
	if (stripped) {
		assert_true(ev.device_id_slot >= 0);
		assert_non_null(strstr(ev.fields[LE_DEVICE_ID].evidence, "vtable"));
	}
	check_vtables(&ev);
}

static void check_layout(const struct expect *x)
{
	char lib[128];
	size_t i;

	for (i = 0; i < sizeof(compilers) / sizeof(compilers[0]); i++) {
		snprintf(lib, sizeof(lib), "libev-%s-%s.so", x->layout, compilers[i]);
		check_build(x, lib, false);
		snprintf(lib, sizeof(lib), "libev-%s-%s-stripped.so", x->layout, compilers[i]);
		check_build(x, lib, true);
	}
}

static void test_e1(void **state)
{
	(void)state;
	check_layout(&e1);
}

static void test_e2(void **state)
{
	(void)state;
	check_layout(&e2);
}

static void test_pimpl(void **state)
{
	struct layout_evidence ev;

	(void)state;
	check_layout(&pimpl);
	read_fixture("libev-pimpl-gcc-O2.so", &ev);
	assert_non_null(strstr(ev.fields[LE_BUFFER_ADDRESS].evidence, "[[this+16]+64]"));
	assert_non_null(strstr(ev.fields[LE_BUFFER_IMPL].evidence, "impl_ = 16"));
}

static void test_shifted(void **state)
{
	(void)state;
	check_layout(&shifted);
}

/* num_pages() divides by a field other than the one page_size() returns. */
static void test_contradiction(void **state)
{
	struct layout_evidence ev;
	const struct le_field *f = &ev.fields[LE_BUFFER_PAGE_SIZE];

	(void)state;
	read_fixture("libev-contradict.so", &ev);
	assert_int_equal(f->state, LE_CONTRADICTION);
	assert_non_null(strstr(f->evidence, "Buffer::page_size() const says 88"));
	assert_non_null(strstr(f->evidence, "Buffer::num_pages() const says 96"));
	check_found(&ev, LE_BUFFER_SIZE, 24, "libev-contradict.so");
	check_found(&ev, LE_BUFFER_ADDRESS, 80, "libev-contradict.so");
}

static void test_no_accessors(void **state)
{
	struct layout_evidence ev;
	int i;

	(void)state;
	read_fixture("libev-noacc.so", &ev);
	for (i = LE_BUFFER_IMPL; i <= LE_BUFFER_PAGE_SIZE; i++)
		assert_int_equal(ev.fields[i].state, LE_UNKNOWN);
	assert_non_null(strstr(ev.fields[LE_BUFFER_IMPL].evidence,
			       "Buffer::address() const is not in the library's symbol tables"));
	assert_non_null(strstr(ev.fields[LE_BUFFER_ADDRESS].evidence, "not proven"));
	check_found(&ev, LE_DEVICE_ID, 8, "libev-noacc.so");
}

static void test_errors(void **state)
{
	struct layout_evidence ev;
	char path[PATH_MAX + 64], err[256] = "";

	(void)state;
	snprintf(path, sizeof(path), "%s/no-such-lib.so", fixture_dir);
	assert_int_equal(layout_evidence__read(path, &ev, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "no-such-lib.so"));
	assert_int_equal(layout_evidence__read("/proc/self/status", &ev, err, sizeof(err)),
			 -ENOEXEC);
	assert_non_null(strstr(err, "not an x86-64 ELF"));
	assert_int_equal(ev.fields[LE_BUFFER_ADDRESS].state, LE_UNKNOWN);
}

static void test_apply(void **state)
{
	struct layout_evidence ev;
	struct layout l = { .off_device = 16, .device_id_offset = -1 };
	unsigned missing;

	(void)state;
	read_fixture("libev-shifted-clang-O3-stripped.so", &ev);
	missing = layout_evidence__apply(&ev, &l);
	assert_int_equal(missing, 1u << LE_BUFFER_DEVICE);
	assert_int_equal(l.buffer_impl_offset, -1);
	assert_int_equal(l.off_device, 16);
	assert_int_equal(l.off_allocator, 72);
	assert_int_equal(l.off_address, 88);
	assert_int_equal(l.off_page_size, 96);
	assert_int_equal(l.device_id_offset, 24);
}

/* Not a pass/fail test: how long one read of a fixture takes. */
static void test_timing(void **state)
{
	struct layout_evidence ev;
	struct timespec a, b;
	int i, n = 50;

	(void)state;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (i = 0; i < n; i++)
		read_fixture("libev-e2-gcc-O2.so", &ev);
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("layout_evidence__read: %.3f ms per call (libev-e2-gcc-O2.so)\n",
	       ((b.tv_sec - a.tv_sec) * 1e3 + (b.tv_nsec - a.tv_nsec) / 1e6) / n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_e1),
		cmocka_unit_test(test_e2),
		cmocka_unit_test(test_pimpl),
		cmocka_unit_test(test_shifted),
		cmocka_unit_test(test_contradiction),
		cmocka_unit_test(test_no_accessors),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_apply),
		cmocka_unit_test(test_timing),
	};

	fixture_dir_find(fixture_dir, sizeof(fixture_dir));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
