// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit tests for user/mapped_file.c and the library lookup of -p PID
 * (user/target.c): the file a process maps is opened through its mapping,
 * never by the path /proc/PID/maps shows. A newline in a directory name
 * shows as "\012" there; a file planted at that literal path must never be
 * opened instead, nor a FIFO ever block. Live checks map files into this
 * test process. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "elf/mapped_file.h"
#include "attach/proc_maps.h"
#include "attach/target.h"

struct fixture {
	char dir[64];
	char real_dir[128];     /* "DIR/with\nnewline" */
	char planted_dir[128];  /* "DIR/with\\012newline": the escaped name, literally */
	char lib[192];          /* real_dir/libtt_metal.so, mapped */
	void *map;
};

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(ftruncate(fileno(f), 4096), 0);
	fclose(f);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char planted[192];
	int fd;

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/ttleak-mapped-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->real_dir, sizeof(f->real_dir), "%s/with\nnewline", f->dir);
	snprintf(f->planted_dir, sizeof(f->planted_dir), "%s/with\\012newline", f->dir);
	if (mkdir(f->real_dir, 0755) || mkdir(f->planted_dir, 0755))
		return -1;
	snprintf(f->lib, sizeof(f->lib), "%s/libtt_metal.so", f->real_dir);
	snprintf(planted, sizeof(planted), "%s/libtt_metal.so", f->planted_dir);
	write_file(f->lib, "the library the process runs\n");
	write_file(planted, "a file planted at the escaped name\n");
	fd = open(f->lib, O_RDONLY);
	if (fd < 0)
		return -1;
	f->map = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (f->map == MAP_FAILED)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	munmap(f->map, 4096);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

static void mapping_of_self(struct proc_mapping *m)
{
	assert_int_equal(proc_maps__find_mapping(getpid(), TTLEAK_LIB_PREFIX, m), 0);
}

static void expect_same_file(int fd, const char *path)
{
	struct stat a, b;

	assert_int_equal(fstat(fd, &a), 0);
	assert_int_equal(stat(path, &b), 0);
	assert_int_equal(a.st_ino, b.st_ino);
	assert_int_equal(a.st_dev, b.st_dev);
}

/* The maps line shows the newline escaped; that path names the planted file. */
static void test_escaped_path_is_not_opened(void **state)
{
	struct proc_mapping *m = malloc(sizeof(*m));
	char root_path[PATH_MAX + 64];
	struct stat st;

	(void)state;
	assert_non_null(m);
	mapping_of_self(m);
	assert_non_null(strstr(m->path, "with\\012newline"));
	snprintf(root_path, sizeof(root_path), "/proc/%d/root%s", getpid(), m->path);
	assert_int_equal(access(root_path, R_OK), 0); /* the planted file is there */
	assert_int_equal(mapped_file__open_path(root_path, m, &st), -ESTALE);
	free(m);
}

static void test_opened_through_mapping(void **state)
{
	struct fixture *f = *state;
	struct proc_mapping *m = malloc(sizeof(*m));
	char err[512] = "";
	struct stat st;
	int fd;

	assert_non_null(m);
	mapping_of_self(m);
	fd = mapped_file__open(getpid(), m, &st, err, sizeof(err));
	if (geteuid() == 0) {
		/* map_files reaches the mapped inode whatever its name. */
		assert_true(fd >= 0);
		expect_same_file(fd, f->lib);
		assert_true(mapped_file__is(&st, m));
		close(fd);
	} else {
		/* Without map_files the escaped path is tried, and refused. */
		assert_int_equal(fd, -ESTALE);
		assert_non_null(strstr(err, "another file"));
	}
	free(m);
}

/* -p PID: the library is the mapped inode, read through /proc/self/fd. */
static void test_target_resolve_newline(void **state)
{
	struct fixture *f = *state;
	struct target *t = malloc(sizeof(*t));
	char err[1024] = "";
	int ret;

	assert_non_null(t);
	ret = target__resolve(getpid(), NULL, t, err, sizeof(err));
	if (geteuid() != 0) {
		assert_int_equal(ret, -ESTALE);
		free(t);
		return;
	}
	assert_int_equal(ret, 0);
	assert_true(t->fd >= 0);
	assert_non_null(strstr(t->host_path, "/proc/self/fd/"));
	assert_non_null(strstr(t->mapped_path, "with\\012newline"));
	expect_same_file(t->fd, f->lib);
	{
		char buf[64] = "";
		FILE *in = fopen(t->host_path, "r");

		assert_non_null(in);
		assert_non_null(fgets(buf, sizeof(buf), in));
		fclose(in);
		assert_string_equal(buf, "the library the process runs\n");
	}
	target__close(t);
	assert_int_equal(t->fd, -1);
	free(t);
}

static void test_fifo_and_identity(void **state)
{
	struct fixture *f = *state;
	struct proc_mapping *m = calloc(1, sizeof(*m));
	char fifo[128];
	struct stat st, real;

	assert_non_null(m);
	snprintf(fifo, sizeof(fifo), "%s/fifo", f->dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	alarm(10); /* a blocking open fails the test instead of hanging it */
	assert_int_equal(mapped_file__open_path(fifo, m, &st), -EINVAL);
	assert_int_equal(mapped_file__open_path("/dev/zero", m, &st), -EINVAL);
	assert_int_equal(mapped_file__open_path(f->dir, m, &st), -EINVAL);
	alarm(0);
	assert_int_equal(stat(f->lib, &real), 0);
	m->inode = real.st_ino;
	m->dev_major = major(real.st_dev);
	m->dev_minor = minor(real.st_dev);
	assert_true(mapped_file__is(&real, m));
	m->dev_minor++;
	assert_false(mapped_file__is(&real, m));
	m->dev_minor--;
	m->inode++;
	assert_false(mapped_file__is(&real, m));
	free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_escaped_path_is_not_opened, setup, teardown),
		cmocka_unit_test_setup_teardown(test_opened_through_mapping, setup, teardown),
		cmocka_unit_test_setup_teardown(test_target_resolve_newline, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fifo_and_identity, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
