// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit tests for user/proc_maps.c: maps lines, the library matching rule, live lookups. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "attach/proc_maps.h"

/* A Python job that imported ttnn from a wheel, as /proc/PID/maps shows it. */
static const char python_maps[] =
	"55d0c8a00000-55d0c8a6f000 r--p 00000000 fe:01 1835012                    /usr/bin/python3.11\n"
	"55d0c9f3e000-55d0ca2c1000 rw-p 00000000 00:00 0                          [heap]\n"
	"7f3a10000000-7f3a10021000 rw-p 00000000 00:00 0 \n"
	"7f3a14000000-7f3a14200000 r--p 00000000 fe:01 2097345                    /opt/venv/lib/python3.11/site-packages/ttnn/build/lib/libtt_metal_extras.so\n"
	"7f3a18000000-7f3a18400000 r--p 00000000 fe:01 2097346                    /opt/venv/lib/python3.11/site-packages/ttnn/build/lib/libtt_metal.so.bak\n"
	"7f3a1c000000-7f3a1c9e2000 r--p 00000000 fe:01 2097350                    /opt/venv/lib/python3.11/site-packages/ttnn/build/lib/libtt_metal.so\n"
	"7f3a1c9e2000-7f3a1d8b1000 r-xp 009e2000 fe:01 2097350                    /opt/venv/lib/python3.11/site-packages/ttnn/build/lib/libtt_metal.so\n"
	"7f3a1d8b1000-7f3a1dc00000 r--p 018b1000 fe:01 2097350                    /opt/venv/lib/python3.11/site-packages/ttnn/build/lib/libtt_metal.so\n"
	"7f3a20000000-7f3a20028000 r--p 00000000 fe:01 1316                       /usr/lib/x86_64-linux-gnu/libc.so.6\n"
	"7ffd5a1e9000-7ffd5a20a000 rw-p 00000000 00:00 0                          [stack]\n"
	"7ffd5a3f4000-7ffd5a3f6000 r-xp 00000000 00:00 0                          [vdso]\n";

static int find_in_text(const char *text, const char *prefix, struct proc_mapping *m)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	int err;

	assert_non_null(f);
	err = proc_maps__find_in_stream(f, prefix, m);
	fclose(f);
	return err;
}

static void test_parse_line_with_path(void **state)
{
	struct proc_mapping m;

	(void)state;
	assert_int_equal(proc_maps__parse_line(
		"7f3a1c9e2000-7f3a1d8b1000 r-xp 009e2000 fe:01 2097350    /x/build_Release/lib/libtt_metal.so\n",
		&m), 0);
	assert_int_equal(m.start, 0x7f3a1c9e2000ULL);
	assert_int_equal(m.end, 0x7f3a1d8b1000ULL);
	assert_int_equal(m.offset, 0x9e2000);
	assert_string_equal(m.perms, "r-xp");
	assert_int_equal(m.inode, 2097350);
	assert_string_equal(m.path, "/x/build_Release/lib/libtt_metal.so");
	assert_false(m.deleted);
}

static void test_parse_line_special_paths(void **state)
{
	struct proc_mapping m;

	(void)state;
	/* Anonymous: no path, with and without the trailing blank, with and without newline. */
	assert_int_equal(proc_maps__parse_line("7f3a10000000-7f3a10021000 rw-p 00000000 00:00 0 \n", &m), 0);
	assert_string_equal(m.path, "");
	assert_int_equal(proc_maps__parse_line("7f3a10000000-7f3a10021000 rw-p 00000000 00:00 0", &m), 0);
	assert_string_equal(m.path, "");
	assert_int_equal(proc_maps__parse_line("55d0c9f3e000-55d0ca2c1000 rw-p 00000000 00:00 0   [heap]", &m), 0);
	assert_string_equal(m.path, "[heap]");
	/* Spaces inside a path are part of it. */
	assert_int_equal(proc_maps__parse_line(
		"7f0000000000-7f0000001000 r--p 00000000 fe:01 42   /home/a user/my build/lib/libtt_metal.so\n", &m), 0);
	assert_string_equal(m.path, "/home/a user/my build/lib/libtt_metal.so");
	/* " (deleted)" is stripped and flagged. */
	assert_int_equal(proc_maps__parse_line(
		"7f0000000000-7f0000001000 r-xp 00001000 fe:01 42   /opt/tt/lib/libtt_metal.so (deleted)\n", &m), 0);
	assert_string_equal(m.path, "/opt/tt/lib/libtt_metal.so");
	assert_true(m.deleted);
	assert_int_equal(m.offset, 0x1000);
}

static void test_parse_line_malformed(void **state)
{
	static const char *const bad[] = {
		"",
		"\n",
		"garbage",
		" 7f0000000000-7f0000001000 r--p 00000000 fe:01 42 /x",   /* leading blank */
		"7f0000000000 7f0000001000 r--p 00000000 fe:01 42 /x",    /* no dash */
		"7f0000000000-7f0000001000 r--p 00000000 fe:01",          /* no inode */
		"7f0000000000-7f0000001000 rwz- 00000000 fe:01 42 /x",    /* bad perms */
		"7f0000000000-7f0000001000 r- 00000000 fe:01 42 /x",      /* short perms */
		"7f0000000000-7f0000001000 r--p -0000001 fe:01 42 /x",    /* signed offset */
		"7f0000000000-7f0000001000 r--p 00000000 fe01 42 /x",     /* bad device */
		"7f0000000000-7f0000001000 r--p 00000000 fe:01 4x2 /x",   /* bad inode */
		"7f0000001000-7f0000000000 r--p 00000000 fe:01 42 /x",    /* end before start */
		"1ffffffffffffffff-2ffffffffffffffff r--p 0 0:0 0 /x",    /* out of range */
	};
	struct proc_mapping m;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (proc_maps__parse_line(bad[i], &m) != -EINVAL)
			fail_msg("accepted malformed line '%s'", bad[i]);
}

static void test_parse_line_path_too_long(void **state)
{
	static char line[PATH_MAX + 128];
	struct proc_mapping m;
	int n = snprintf(line, sizeof(line), "7f0000000000-7f0000001000 r--p 00000000 fe:01 42 /");

	(void)state;
	memset(line + n, 'a', PATH_MAX);
	line[n + PATH_MAX] = '\0';
	assert_int_equal(proc_maps__parse_line(line, &m), -ENAMETOOLONG);
}

static void test_path_matches_rule(void **state)
{
	static const struct { const char *path, *prefix; bool match; } cases[] = {
		{ "/x/build_Release/lib/libtt_metal.so", "libtt_metal", true },
		{ "libtt_metal.so", "libtt_metal", true },
		{ "/x/lib/libtt_metal.so.0", "libtt_metal", true },
		{ "/x/lib/libtt_metal.so.0.59.1", "libtt_metal", true },
		{ "/x/lib/libtt_metal_extras.so", "libtt_metal", false },
		{ "/x/lib/libtt_metal.so.bak", "libtt_metal", false },
		{ "/x/lib/libtt_metal.so.0.", "libtt_metal", false },
		{ "/x/lib/libtt_metal.so..1", "libtt_metal", false },
		{ "/x/lib/libtt_metal.sox", "libtt_metal", false },
		{ "/x/lib/libtt_metal", "libtt_metal", false },
		{ "/x/libtt_metal.so/other.so", "libtt_metal", false },  /* directory, not basename */
		{ "/usr/lib/x86_64-linux-gnu/libc.so.6", "libc", true },
		{ "/usr/lib/x86_64-linux-gnu/libcap.so.2", "libc", false },
		{ "/usr/lib/x86_64-linux-gnu/libc++.so.1", "libc", false },
		{ "/lib/libc-2.31.so", "libc", false },                  /* dashed names: not accepted */
		{ "/x/lib/libtt_metal.so", "", false },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bool expect = cases[i].match;

		if (proc_maps__path_matches(cases[i].path, cases[i].prefix) != expect)
			fail_msg("'%s' with prefix '%s': expected %s", cases[i].path,
				 cases[i].prefix, expect ? "match" : "no match");
	}
}

static void test_find_in_stream_first_mapping(void **state)
{
	struct proc_mapping m;

	(void)state;
	/* Neither libtt_metal_extras.so nor libtt_metal.so.bak; the first of three mappings. */
	assert_int_equal(find_in_text(python_maps, "libtt_metal", &m), 0);
	assert_string_equal(m.path, "/opt/venv/lib/python3.11/site-packages/ttnn/build/lib/libtt_metal.so");
	assert_int_equal(m.start, 0x7f3a1c000000ULL);
	assert_string_equal(m.perms, "r--p");
	assert_int_equal(find_in_text(python_maps, "libc", &m), 0);
	assert_string_equal(m.path, "/usr/lib/x86_64-linux-gnu/libc.so.6");
	assert_int_equal(find_in_text(python_maps, "libttnn", &m), -ENOENT);
	assert_int_equal(find_in_text("", "libc", &m), -ENOENT);
}

static void test_find_in_stream_deleted_and_spaces(void **state)
{
	static const char text[] =
		"7f0000000000-7f0000001000 r--p 00000000 fe:01 42   /home/a user/tt metal/libtt_metal.so (deleted)\n";
	struct proc_mapping m;

	(void)state;
	assert_int_equal(find_in_text(text, "libtt_metal", &m), 0);
	assert_string_equal(m.path, "/home/a user/tt metal/libtt_metal.so");
	assert_true(m.deleted);
}

static void test_find_in_stream_malformed(void **state)
{
	static const char text[] =
		"55d0c8a00000-55d0c8a6f000 r--p 00000000 fe:01 1835012  /usr/bin/python3.11\n"
		"this is not a maps file\n";
	struct proc_mapping m;

	(void)state;
	assert_int_equal(find_in_text(text, "libtt_metal", &m), -EINVAL);
	assert_int_equal(proc_maps__find_in_stream(NULL, "libc", &m), -EINVAL);
}

static void test_find_library_live_libc(void **state)
{
	char host[PATH_MAX + 64], mapped[PATH_MAX], expect[PATH_MAX + 64], tiny[8];
	int pid = getpid();

	(void)state;
	assert_int_equal(proc_maps__find_library(pid, "libc", host, sizeof(host), mapped, sizeof(mapped)), 0);
	assert_true(proc_maps__path_matches(mapped, "libc"));
	snprintf(expect, sizeof(expect), "/proc/%d/root%s", pid, mapped);
	assert_string_equal(host, expect);
	assert_int_equal(access(host, R_OK), 0);
	/* mapped_path is optional. */
	assert_int_equal(proc_maps__find_library(pid, "libc", host, sizeof(host), NULL, 0), 0);
	assert_int_equal(proc_maps__find_library(pid, "libttleak_not_mapped", host, sizeof(host),
						 NULL, 0), -ENOENT);
	assert_int_equal(proc_maps__find_library(pid, "libc", tiny, sizeof(tiny), NULL, 0), -ENAMETOOLONG);
	assert_int_equal(proc_maps__find_library(pid, "libc", host, sizeof(host), tiny, sizeof(tiny)),
			 -ENAMETOOLONG);
	assert_int_equal(proc_maps__find_library(0, "libc", host, sizeof(host), NULL, 0), -EINVAL);
}

static void test_find_library_no_such_process(void **state)
{
	char host[PATH_MAX];
	pid_t child;

	(void)state;
	child = fork();
	assert_true(child >= 0);
	if (child == 0)
		_exit(0);
	assert_int_equal(waitpid(child, NULL, 0), child);
	/* Reaped, so its pid is free (reuse within this instant is unlikely). */
	assert_int_equal(proc_maps__find_library(child, "libc", host, sizeof(host), NULL, 0), -ESRCH);
}

/* A mapped file that was unlinked: the tracer is sent to /proc/PID/map_files. */
static void test_find_library_live_deleted(void **state)
{
	char dir[] = "/tmp/ttleak-maps-XXXXXX", path[PATH_MAX], host[PATH_MAX + 64];
	char mapped[PATH_MAX], expect[PATH_MAX + 64];
	struct stat st;
	ino_t ino;
	void *p;
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/libttleak_deleted.so", dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 4096), 0);
	assert_int_equal(fstat(fd, &st), 0);
	ino = st.st_ino;
	p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
	assert_true(p != MAP_FAILED);
	close(fd);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(dir), 0);

	assert_int_equal(proc_maps__find_library(getpid(), "libttleak_deleted", host, sizeof(host),
						 mapped, sizeof(mapped)), 0);
	assert_string_equal(mapped, path);
	snprintf(expect, sizeof(expect), "/proc/%d/map_files/%lx-%lx", getpid(),
		 (unsigned long)(uintptr_t)p, (unsigned long)(uintptr_t)p + 4096);
	assert_string_equal(host, expect);
	/* The link reaches the unlinked file itself (opening it needs CAP_SYS_ADMIN). */
	fd = open(host, O_RDONLY);
	if (fd >= 0) {
		assert_int_equal(fstat(fd, &st), 0);
		assert_int_equal(st.st_ino, ino);
		assert_int_equal(st.st_nlink, 0);
		close(fd);
	} else {
		assert_true(errno == EPERM || errno == EACCES);
	}
	munmap(p, 4096);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_line_with_path),
		cmocka_unit_test(test_parse_line_special_paths),
		cmocka_unit_test(test_parse_line_malformed),
		cmocka_unit_test(test_parse_line_path_too_long),
		cmocka_unit_test(test_path_matches_rule),
		cmocka_unit_test(test_find_in_stream_first_mapping),
		cmocka_unit_test(test_find_in_stream_deleted_and_spaces),
		cmocka_unit_test(test_find_in_stream_malformed),
		cmocka_unit_test(test_find_library_live_libc),
		cmocka_unit_test(test_find_library_no_such_process),
		cmocka_unit_test(test_find_library_live_deleted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
