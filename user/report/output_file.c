// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* output_file: output files created safely, renamed into place (see output_file.h). */
#define _GNU_SOURCE /* mkostemp, O_PATH, asprintf */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "elf/file_kind.h"
#include "report/output_file.h"

#define MAX_PREPARED 8

struct output_file {
	char *path;  /* the target */
	char *tmp;   /* the temporary file beside it */
	int fd;      /* -1 once the stream owns it */
	FILE *stream;
};

/* Files made by output_file__prepare(), until their writer claims them; what is
 * left at exit is removed (by the process that made it, not a forked child). */
static struct output_file *prepared[MAX_PREPARED];
static pid_t prepared_by;

/* In a sticky directory only a file's owner may rename over it (the tracer
 * drops CAP_FOWNER after attaching): another user's file there is refused at
 * start rather than failing at the end. */
static bool in_sticky_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path)) : strdup(".");
	struct stat st;
	bool sticky;

	sticky = dir && stat(dir, &st) == 0 && (st.st_mode & S_ISVTX);
	free(dir);
	return sticky;
}

/* An existing target must be a regular file, itself (not through a link). */
static int check_target(const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC), ret = 0;
	struct stat st;

	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd < 0 || fstat(fd, &st)) {
		ret = -errno;
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(-ret));
		goto cleanup;
	}
	if (S_ISLNK(st.st_mode)) {
		ret = -ELOOP;
		snprintf(err, errlen, "refusing to write %s: it is a symbolic link (ttleak-bpf never "
			 "writes through one); remove it or give the real path", path);
	} else if (!S_ISREG(st.st_mode)) {
		ret = -EINVAL;
		snprintf(err, errlen, "refusing to write %s: it is %s, not a regular file; give a "
			 "file path", path, file_kind__name(st.st_mode));
	} else if (st.st_uid != geteuid() && in_sticky_dir(path)) {
		ret = -EPERM;
		snprintf(err, errlen, "refusing to replace %s: it belongs to uid %u in a sticky "
			 "directory (such as /tmp), where only its owner may replace it; remove it "
			 "or choose another path", path, (unsigned)st.st_uid);
	}
cleanup:
	if (fd >= 0)
		close(fd);
	return ret;
}

/* "DIR/.BASE.XXXXXX" for path "DIR/BASE" (or ".BASE.XXXXXX"). */
static char *temp_template(const char *path)
{
	const char *slash = strrchr(path, '/');
	size_t dir_len = slash ? (size_t)(slash - path) + 1 : 0;
	char *t;

	if (asprintf(&t, "%.*s.%s.XXXXXX", (int)dir_len, path, path + dir_len) < 0)
		return NULL;
	return t;
}

static void output_file__free(struct output_file *f)
{
	if (f->stream)
		fclose(f->stream);
	else if (f->fd >= 0)
		close(f->fd);
	free(f->path);
	free(f->tmp);
	free(f);
}

static int create_temp(struct output_file *f, char *err, size_t errlen)
{
	int ret;

	f->tmp = temp_template(f->path);
	if (!f->tmp) {
		snprintf(err, errlen, "cannot write %s: out of memory", f->path);
		return -ENOMEM;
	}
	f->fd = mkostemp(f->tmp, O_CLOEXEC);
	if (f->fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot create a file beside %s: %s; check that its directory "
			 "exists and is writable", f->path, strerror(-ret));
		return ret;
	}
	/* mkostemp makes 0600; reports are for others to read, as before. */
	if (fchmod(f->fd, OUTPUT_FILE_MODE)) {
		ret = -errno;
		snprintf(err, errlen, "cannot set the mode of %s: %s", f->tmp, strerror(-ret));
		unlink(f->tmp);
		return ret;
	}
	return 0;
}

int output_file__open(const char *path, struct output_file **out, char *err, size_t errlen)
{
	struct output_file *f;
	size_t len = path ? strlen(path) : 0;
	int ret;

	*out = NULL;
	if (!len || path[len - 1] == '/') {
		snprintf(err, errlen, "cannot write '%s': not a file name", path ? path : "");
		return -EINVAL;
	}
	ret = check_target(path, err, errlen);
	if (ret)
		return ret;
	f = calloc(1, sizeof(*f));
	if (!f || !(f->path = strdup(path))) {
		free(f);
		snprintf(err, errlen, "cannot write %s: out of memory", path);
		return -ENOMEM;
	}
	f->fd = -1;
	ret = create_temp(f, err, errlen);
	if (ret) {
		output_file__free(f);
		return ret;
	}
	*out = f;
	return 0;
}

FILE *output_file__stream(struct output_file *f)
{
	if (!f->stream && f->fd >= 0) {
		f->stream = fdopen(f->fd, "w");
		if (f->stream)
			f->fd = -1;
	}
	return f->stream;
}

int output_file__fd(const struct output_file *f)
{
	return f->stream ? fileno(f->stream) : f->fd;
}

const char *output_file__temp_path(const struct output_file *f)
{
	return f->tmp;
}

void output_file__abandon(struct output_file *f)
{
	if (!f)
		return;
	unlink(f->tmp);
	output_file__free(f);
}

static int close_file(struct output_file *f)
{
	int ret = 0;

	if (f->stream) {
		if (fflush(f->stream) || ferror(f->stream))
			ret = errno ? -errno : -EIO;
		if (fclose(f->stream) && !ret)
			ret = -errno;
		f->stream = NULL;
	} else if (f->fd >= 0) {
		if (close(f->fd))
			ret = -errno;
	}
	f->fd = -1;
	return ret;
}

int output_file__commit(struct output_file *f, char *err, size_t errlen)
{
	int ret;

	errno = 0;
	ret = close_file(f);
	if (ret) {
		snprintf(err, errlen, "error writing %s: %s", f->path, strerror(-ret));
		goto cleanup;
	}
	/* rename replaces a symlink planted meanwhile; it never follows it. */
	if (rename(f->tmp, f->path)) {
		ret = -errno;
		snprintf(err, errlen, "cannot put %s in place: %s", f->path, strerror(-ret));
	}
cleanup:
	if (ret)
		unlink(f->tmp);
	output_file__free(f);
	return ret;
}

/* ---- files made at start ----------------------------------------------- */

static void remove_prepared(void)
{
	size_t i;

	if (getpid() != prepared_by)
		return;
	for (i = 0; i < MAX_PREPARED; i++) {
		output_file__abandon(prepared[i]);
		prepared[i] = NULL;
	}
}

int output_file__prepare(const char *path, char *err, size_t errlen)
{
	static bool registered;
	size_t i, free_slot = MAX_PREPARED;

	if (!registered) {
		atexit(remove_prepared);
		registered = true;
	}
	if (prepared_by != getpid()) {
		memset(prepared, 0, sizeof(prepared)); /* a child's copy: not ours */
		prepared_by = getpid();
	}
	for (i = 0; i < MAX_PREPARED; i++) {
		if (prepared[i] && strcmp(prepared[i]->path, path) == 0) {
			snprintf(err, errlen, "%s is already another output of this run: give each "
				 "output its own file", path);
			return -EEXIST;
		}
		if (!prepared[i] && free_slot == MAX_PREPARED)
			free_slot = i;
	}
	if (free_slot == MAX_PREPARED) {
		snprintf(err, errlen, "%s: too many output files", path);
		return -EMFILE;
	}
	return output_file__open(path, &prepared[free_slot], err, errlen);
}

void output_file__discard_prepared(void)
{
	remove_prepared();
}

int output_file__claim(const char *path, struct output_file **out, char *err, size_t errlen)
{
	size_t i;

	for (i = 0; prepared_by == getpid() && i < MAX_PREPARED; i++) {
		if (prepared[i] && strcmp(prepared[i]->path, path) == 0) {
			*out = prepared[i];
			prepared[i] = NULL;
			return 0;
		}
	}
	return output_file__open(path, out, err, errlen);
}
