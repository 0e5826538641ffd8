// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit tests for --lib safety (user/target.c, user/lib_locate.c,
 * user/proc_maps.c): a FIFO, device or directory is refused without
 * blocking, and -p PID --lib X is an error unless PID maps X (same device
 * and inode, whatever the name). Live checks use this test process. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "attach/lib_locate.h"
#include "attach/proc_maps.h"
#include "attach/target.h"
#include "tmp_dir.h"

struct fixture {
	char dir[64];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	if (tmp_dir_make(f->dir, sizeof(f->dir), "target"))
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	return tmp_dir_teardown(f, f->dir);
}

static void expect_lib_refused(const char *path, const char *kind)
{
	struct target *t = malloc(sizeof(*t));
	struct lib_choice *c = malloc(sizeof(*c));
	char err[1024] = "";

	assert_non_null(t);
	assert_non_null(c);
	assert_int_not_equal(target__resolve(0, path, t, err, sizeof(err)), 0);
	if (!strstr(err, kind) || !strstr(err, path))
		fail_msg("target: '%s' lacks '%s' or the path", err, kind);
	err[0] = '\0';
	assert_int_not_equal(lib_locate__for_command(path, NULL, c, err, sizeof(err)), 0);
	if (!strstr(err, kind))
		fail_msg("run mode: '%s' lacks '%s'", err, kind);
	free(t);
	free(c);
}

/* Each would block or read forever if opened as a library; none may. */
static void test_special_files_refused(void **state)
{
	struct fixture *f = *state;
	char fifo[128];

	snprintf(fifo, sizeof(fifo), "%s/libtt_metal.so", f->dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	alarm(10); /* a hang fails the test instead of stalling the suite */
	expect_lib_refused(fifo, "a FIFO");
	expect_lib_refused(f->dir, "a directory");
	expect_lib_refused("/dev/zero", "a device");
	expect_lib_refused("/nonexistent/libtt_metal.so", "cannot read library");
	alarm(0);
}

/* The path this process maps libc under, from its own maps. */
static void mapped_libc(char *path, size_t size)
{
	char host[PATH_MAX];

	assert_int_equal(proc_maps__find_library(getpid(), "libc", host, sizeof(host), path, size),
			 0);
}

static void test_pid_maps_lib(void **state)
{
	struct fixture *f = *state;
	struct target *t = malloc(sizeof(*t));
	char libc[PATH_MAX], link[128], err[1024] = "";

	assert_non_null(t);
	mapped_libc(libc, sizeof(libc));
	assert_int_equal(target__resolve(getpid(), libc, t, err, sizeof(err)), 0);
	assert_string_equal(t->host_path, libc);
	/* Another name for the same file is the same file. */
	snprintf(link, sizeof(link), "%s/other-name.so", f->dir);
	assert_int_equal(symlink(libc, link), 0);
	assert_int_equal(target__resolve(getpid(), link, t, err, sizeof(err)), 0);
	free(t);
}

static void test_pid_does_not_map_lib(void **state)
{
	struct fixture *f = *state;
	struct target *t = malloc(sizeof(*t));
	char lib[128], pid[32], err[1024] = "";
	FILE *out;

	assert_non_null(t);
	snprintf(lib, sizeof(lib), "%s/libtt_metal.so", f->dir);
	out = fopen(lib, "w");
	assert_non_null(out);
	fputs("not mapped by anyone\n", out);
	fclose(out);
	assert_int_equal(target__resolve(getpid(), lib, t, err, sizeof(err)), -ENOENT);
	snprintf(pid, sizeof(pid), "process %d", getpid());
	if (!strstr(err, pid) || !strstr(err, lib) || !strstr(err, "does not map"))
		fail_msg("message '%s' must name the process and the library", err);
	/* Without a pid (--list-probes --lib) the file is all there is. */
	assert_int_equal(target__resolve(0, lib, t, err, sizeof(err)), 0);
	free(t);
}

static const char maps_text[] =
	"7f3a1c000000-7f3a1c9e2000 r--p 00000000 fe:01 2097350      /opt/a/libtt_metal.so\n"
	"7f3a1c9e2000-7f3a1d8b1000 r-xp 009e2000 103:02 2097351     /opt/b/libtt_metal.so\n"
	"7f3a20000000-7f3a20028000 rw-p 00000000 00:00 2097351 \n";

static int find_inode(uint32_t maj, uint32_t min, uint64_t ino, struct proc_mapping *m)
{
	FILE *f = fmemopen((void *)maps_text, strlen(maps_text), "r");
	int ret;

	assert_non_null(f);
	ret = proc_maps__find_inode_in_stream(f, maj, min, ino, m);
	fclose(f);
	return ret;
}

static void test_find_inode_in_stream(void **state)
{
	struct proc_mapping *m = malloc(sizeof(*m));

	(void)state;
	assert_non_null(m);
	assert_int_equal(find_inode(0xfe, 1, 2097350, m), 0);
	assert_string_equal(m->path, "/opt/a/libtt_metal.so");
	assert_int_equal(find_inode(0x103, 2, 2097351, m), 0);
	assert_string_equal(m->path, "/opt/b/libtt_metal.so");
	assert_int_equal(m->dev_major, 0x103);
	assert_int_equal(m->dev_minor, 2);
	/* Same inode on another device, or an anonymous mapping: not it. */
	assert_int_equal(find_inode(0xfe, 2, 2097350, m), -ENOENT);
	assert_int_equal(find_inode(0, 0, 2097351, m), -ENOENT);
	free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_special_files_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pid_maps_lib, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pid_does_not_map_lib, setup, teardown),
		cmocka_unit_test(test_find_inode_in_stream),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
