// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit tests for user/lib_set.c (--all): library files are told apart by
 * device and inode, whatever their names; each has its owner, and one
 * owned by neither root nor the invoking user is untrusted; files that a
 * process maps are found by a scan, FIFOs are refused without blocking. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "attach/lib_set.h"
#include "tmp_dir.h"

struct fixture {
	char dir[64];
	char a[128], b[128], link[128];
};

static void write_lib(const char *path)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs("library\n", f);
	assert_int_equal(ftruncate(fileno(f), 4096), 0);
	fclose(f);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	if (tmp_dir_make(f->dir, sizeof(f->dir), "libset"))
		return -1;
	snprintf(f->a, sizeof(f->a), "%s/a.so", f->dir);
	snprintf(f->b, sizeof(f->b), "%s/libtt_metal.so", f->dir);
	snprintf(f->link, sizeof(f->link), "%s/link.so", f->dir);
	write_lib(f->a);
	write_lib(f->b);
	if (symlink(f->a, f->link))
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	return tmp_dir_teardown(f, f->dir);
}

static void test_trusted_owner(void **state)
{
	(void)state;
	assert_true(lib_set__trusted_owner(0, 1000));
	assert_true(lib_set__trusted_owner(1000, 1000));
	assert_false(lib_set__trusted_owner(65534, 1000));
	assert_false(lib_set__trusted_owner(1001, 1000));
	assert_true(lib_set__trusted_owner(0, 0));
	assert_false(lib_set__trusted_owner(65534, 0));
}

static void test_invoking_uid(void **state)
{
	(void)state;
	setenv("SUDO_UID", "1234", 1);
	assert_int_equal(lib_set__invoking_uid(), 1234);
	setenv("SUDO_UID", "12x", 1);
	assert_int_equal(lib_set__invoking_uid(), getuid());
	setenv("SUDO_UID", "", 1);
	assert_int_equal(lib_set__invoking_uid(), getuid());
	unsetenv("SUDO_UID");
	assert_int_equal(lib_set__invoking_uid(), getuid());
}

/* The same file under two names is one library; another file is another. */
static void test_add_path_by_inode(void **state)
{
	struct fixture *f = *state;
	struct lib_set *set = lib_set__new(getuid());
	const struct lib_file *l;
	char err[512] = "", fifo[160];

	assert_non_null(set);
	assert_int_equal(lib_set__add_path(set, f->a, "--lib", err, sizeof(err)), 0);
	assert_int_equal(lib_set__add_path(set, f->link, "--lib", err, sizeof(err)), 0);
	assert_int_equal(lib_set__count(set), 1);
	assert_int_equal(lib_set__add_path(set, f->b, "TT_METAL_HOME", err, sizeof(err)), 0);
	assert_int_equal(lib_set__count(set), 2);
	l = lib_set__get(set, 0);
	assert_string_equal(l->path, f->a);
	assert_int_equal(l->owner, getuid());
	assert_false(l->untrusted);
	assert_non_null(strstr(l->open_path, "/proc/self/fd/"));
	assert_int_equal(access(l->open_path, R_OK), 0);
	assert_null(lib_set__get(set, 2));
	snprintf(fifo, sizeof(fifo), "%s/fifo.so", f->dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	alarm(10);
	assert_int_not_equal(lib_set__add_path(set, fifo, "--lib", err, sizeof(err)), 0);
	alarm(0);
	assert_non_null(strstr(err, "FIFO"));
	assert_int_equal(lib_set__count(set), 2);
	lib_set__free(set);
}

/* An owner who is neither root nor the invoking user: untrusted. */
static void test_untrusted_owner(void **state)
{
	struct fixture *f = *state;
	struct lib_set *set;
	char err[512] = "";

	if (geteuid() != 0)
		skip(); /* chown needs root */
	assert_int_equal(chown(f->a, 65534, 65534), 0);
	set = lib_set__new(0);
	assert_non_null(set);
	assert_int_equal(lib_set__add_path(set, f->a, "--lib", err, sizeof(err)), 0);
	assert_int_equal(lib_set__get(set, 0)->owner, 65534);
	assert_true(lib_set__get(set, 0)->untrusted);
	lib_set__free(set);
}

/* A child maps a libtt_metal.so: the scan finds it, once. */
static void test_scan_finds_a_mapping(void **state)
{
	struct fixture *f = *state;
	struct lib_set *set = lib_set__new(getuid());
	int ready[2], fd, found = 0;
	size_t i, n;
	pid_t child;
	char c;

	assert_non_null(set);
	assert_int_equal(pipe(ready), 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		fd = open(f->b, O_RDONLY);
		if (fd < 0 || mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0) == MAP_FAILED)
			_exit(1);
		if (write(ready[1], "x", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	assert_int_equal(read(ready[0], &c, 1), 1);
	n = lib_set__scan(set);
	assert_true(n >= 1);
	lib_set__scan(set); /* known now: not added again */
	for (i = 0; i < lib_set__count(set); i++)
		found += strcmp(lib_set__get(set, i)->path, f->b) == 0;
	assert_int_equal(found, 1);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	close(ready[0]);
	close(ready[1]);
	lib_set__free(set);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_trusted_owner),
		cmocka_unit_test(test_invoking_uid),
		cmocka_unit_test_setup_teardown(test_add_path_by_inode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_untrusted_owner, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scan_finds_a_mapping, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
