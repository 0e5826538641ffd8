// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit tests for user/output_file.c and user/output.c: output files are never
 * written through a symlink, are 0644 whatever the umask, are written to an
 * unpredictable temporary file that is removed on failure and renamed into
 * place on success, and a bad path fails at start, before anything is traced. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "pipeline/output.h"
#include "report/output_file.h"
#include "model/run_info.h"
#include "model/tracker.h"

struct fixture {
	char dir[64];
	char path[128];   /* dir/out.txt, not created */
	char victim[128]; /* dir/victim: a file a symlink points at */
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	FILE *v;

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/ttleak-output-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/out.txt", f->dir);
	snprintf(f->victim, sizeof(f->victim), "%s/victim", f->dir);
	v = fopen(f->victim, "w");
	if (!v || fputs("secret\n", v) < 0 || fclose(v))
		return -1;
	chmod(f->victim, 0600);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	output_file__discard_prepared();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

static void read_text(const char *path, char *buf, size_t size)
{
	FILE *in = fopen(path, "r");
	size_t n;

	assert_non_null(in);
	n = fread(buf, 1, size - 1, in);
	buf[n] = '\0';
	fclose(in);
}

/* Names in dir other than victim (and keep, when given). */
static int count_entries(const char *dir, const char *keep)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
		    strcmp(de->d_name, "victim") && (!keep || strcmp(de->d_name, keep)))
			n++;
	closedir(d);
	return n;
}

static void write_and_commit(const char *path, const char *text)
{
	struct output_file *o;
	char err[512] = "";

	assert_int_equal(output_file__open(path, &o, err, sizeof(err)), 0);
	fputs(text, output_file__stream(o));
	assert_int_equal(output_file__commit(o, err, sizeof(err)), 0);
}

static void test_symlink_refused(void **state)
{
	struct fixture *f = *state;
	struct output_file *o = NULL;
	char err[512] = "", text[64];

	assert_int_equal(symlink(f->victim, f->path), 0);
	assert_int_equal(output_file__open(f->path, &o, err, sizeof(err)), -ELOOP);
	assert_null(o);
	assert_non_null(strstr(err, "symbolic link"));
	assert_non_null(strstr(err, f->path));
	read_text(f->victim, text, sizeof(text));
	assert_string_equal(text, "secret\n");
	assert_int_equal(count_entries(f->dir, "out.txt"), 0); /* no temporary file */
	/* A dangling link too: it could be made to point anywhere later. */
	unlink(f->path);
	assert_int_equal(symlink("/nonexistent/target", f->path), 0);
	assert_int_equal(output_file__open(f->path, &o, err, sizeof(err)), -ELOOP);
}

static void test_non_regular_refused(void **state)
{
	struct fixture *f = *state;
	struct output_file *o = NULL;
	char err[512] = "";

	assert_int_equal(mkdir(f->path, 0755), 0);
	assert_int_equal(output_file__open(f->path, &o, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "a directory"));
	rmdir(f->path);
	assert_int_equal(mkfifo(f->path, 0600), 0);
	assert_int_equal(output_file__open(f->path, &o, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "a FIFO"));
	assert_int_equal(output_file__open("/dev/null", &o, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "a device"));
	assert_int_not_equal(output_file__open("", &o, err, sizeof(err)), 0);
	assert_int_not_equal(output_file__open("/tmp/", &o, err, sizeof(err)), 0);
}

/* Another user's file in a sticky directory (/tmp) cannot be replaced once
 * the tracer dropped CAP_FOWNER: refused at start, not lost at the end. */
static void test_others_file_in_sticky_dir_refused(void **state)
{
	struct fixture *f = *state;
	struct output_file *o = NULL;
	char err[512] = "";

	if (geteuid() != 0)
		skip(); /* chown needs root */
	write_and_commit(f->path, "theirs\n");
	assert_int_equal(chown(f->path, 65534, 65534), 0);
	assert_int_equal(output_file__open(f->path, &o, err, sizeof(err)), 0); /* not sticky */
	output_file__abandon(o);
	assert_int_equal(chmod(f->dir, 01777), 0);
	assert_int_equal(output_file__open(f->path, &o, err, sizeof(err)), -EPERM);
	assert_non_null(strstr(err, "sticky"));
	assert_int_equal(chown(f->path, geteuid(), getegid()), 0); /* ours: fine */
	assert_int_equal(output_file__open(f->path, &o, err, sizeof(err)), 0);
	output_file__abandon(o);
}

static void expect_mode_0644(const char *path, mode_t umask_value)
{
	mode_t old = umask(umask_value);
	struct stat st;

	write_and_commit(path, "report\n");
	umask(old);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0644);
}

static void test_mode_0644_whatever_umask(void **state)
{
	struct fixture *f = *state;

	expect_mode_0644(f->path, 0);
	expect_mode_0644(f->path, 077);
	expect_mode_0644(f->path, 022);
}

static void test_temp_name_unpredictable(void **state)
{
	struct fixture *f = *state;
	struct output_file *a, *b;
	char err[512] = "", prefix[160];
	struct stat st;

	assert_int_equal(output_file__open(f->path, &a, err, sizeof(err)), 0);
	assert_int_equal(output_file__open(f->path, &b, err, sizeof(err)), 0);
	snprintf(prefix, sizeof(prefix), "%s/.out.txt.", f->dir);
	assert_memory_equal(output_file__temp_path(a), prefix, strlen(prefix));
	assert_int_equal(strlen(output_file__temp_path(a)), strlen(prefix) + 6);
	assert_string_not_equal(output_file__temp_path(a), output_file__temp_path(b));
	/* Not the PID-based name an attacker could plant in advance. */
	assert_null(strstr(output_file__temp_path(a), ".tmp."));
	assert_int_equal(lstat(output_file__temp_path(a), &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_uid, geteuid());
	output_file__abandon(a);
	output_file__abandon(b);
	assert_int_equal(count_entries(f->dir, NULL), 0);
}

static void test_temp_removed_on_failure(void **state)
{
	struct fixture *f = *state;
	struct output_file *o;
	char err[512] = "", text[64];

	/* The target becomes a directory before the rename: commit fails,
	 * leaves no temporary file, and the directory is untouched. */
	assert_int_equal(output_file__open(f->path, &o, err, sizeof(err)), 0);
	fputs("report\n", output_file__stream(o));
	assert_int_equal(mkdir(f->path, 0755), 0);
	assert_int_not_equal(output_file__commit(o, err, sizeof(err)), 0);
	assert_non_null(strstr(err, f->path));
	assert_int_equal(count_entries(f->dir, "out.txt"), 0);
	rmdir(f->path);
	/* A write error (a full disk) leaves the old file as it was. */
	write_and_commit(f->path, "old\n");
	assert_int_equal(output_file__open(f->path, &o, err, sizeof(err)), 0);
	fputs("new\n", output_file__stream(o));
	output_file__abandon(o);
	read_text(f->path, text, sizeof(text));
	assert_string_equal(text, "old\n");
	assert_int_equal(count_entries(f->dir, "out.txt"), 0);
}

/* A symlink planted at the target while the run goes is replaced by the
 * rename, never written through. */
static void test_symlink_planted_later_replaced(void **state)
{
	struct fixture *f = *state;
	struct output_file *o;
	char err[512] = "", text[64];
	struct stat st;

	assert_int_equal(output_file__open(f->path, &o, err, sizeof(err)), 0);
	assert_int_equal(symlink(f->victim, f->path), 0);
	fputs("report\n", output_file__stream(o));
	assert_int_equal(output_file__commit(o, err, sizeof(err)), 0);
	assert_int_equal(lstat(f->path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	read_text(f->victim, text, sizeof(text));
	assert_string_equal(text, "secret\n");
	assert_int_equal(lstat(f->victim, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
}

static struct cli_opts opts_for(const char *output, const char *json)
{
	struct cli_opts o;

	memset(&o, 0, sizeof(o));
	o.mode = MODE_REPLAY;
	o.output_path = output;
	o.json_path = json;
	return o;
}

/* One bad output fails the start (exit 2) and leaves nothing behind. */
static void test_bad_path_fails_at_start(void **state)
{
	struct fixture *f = *state;
	char missing[160], link[160];
	struct cli_opts o;

	snprintf(missing, sizeof(missing), "%s/no/such/dir/r.json", f->dir);
	o = opts_for(f->path, missing);
	assert_int_equal(output__open_all(&o), EXIT_USAGE);
	assert_int_equal(count_entries(f->dir, NULL), 0);
	snprintf(link, sizeof(link), "%s/link.json", f->dir);
	assert_int_equal(symlink(f->victim, link), 0);
	o = opts_for(f->path, link);
	assert_int_equal(output__open_all(&o), EXIT_USAGE);
	assert_int_equal(count_entries(f->dir, "link.json"), 0);
	unlink(link);
	o = opts_for(f->path, f->path); /* two outputs, one file */
	assert_int_equal(output__open_all(&o), EXIT_USAGE);
	assert_int_equal(count_entries(f->dir, NULL), 0);
	o = opts_for(f->path, "-"); /* --json - is stdout, not a file */
	assert_int_equal(output__open_all(&o), 0);
	assert_int_equal(count_entries(f->dir, NULL), 1); /* the -o temporary file */
	output_file__discard_prepared();
	assert_int_equal(count_entries(f->dir, NULL), 0);
}

/* The final report goes through the files made at start. */
static void test_finish_writes_prepared_files(void **state)
{
	struct fixture *f = *state;
	struct tracker_opts topts = { 0 };
	struct tracker *t = tracker__new(&topts);
	char json[160], text[4096];
	struct run_info run;
	struct cli_opts o;
	struct stat st;
	mode_t old;

	assert_non_null(t);
	snprintf(json, sizeof(json), "%s/r.json", f->dir);
	o = opts_for(f->path, json);
	memset(&run, 0, sizeof(run));
	run.replay_path = "events.bin";
	run.checks = ~0u;
	old = umask(0);
	assert_int_equal(output__open_all(&o), 0);
	umask(old);
	assert_int_equal(count_entries(f->dir, NULL), 2);
	assert_int_equal(output__finish(&o, &run, t), EXIT_CLEAN);
	assert_int_equal(count_entries(f->dir, NULL), 2); /* out.txt and r.json, no temp */
	read_text(f->path, text, sizeof(text));
	assert_non_null(strstr(text, "ttleak-bpf report"));
	read_text(json, text, sizeof(text));
	assert_int_equal(text[0], '{');
	assert_non_null(strstr(text, "\"findings\""));
	assert_int_equal(stat(json, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	tracker__free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_symlink_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_non_regular_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_others_file_in_sticky_dir_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mode_0644_whatever_umask, setup, teardown),
		cmocka_unit_test_setup_teardown(test_temp_name_unpredictable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_temp_removed_on_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlink_planted_later_replaced, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_path_fails_at_start, setup, teardown),
		cmocka_unit_test_setup_teardown(test_finish_writes_prepared_files, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
