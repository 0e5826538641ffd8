// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "attach/lib_set.h"
#include "elf/mapped_file.h"
#include "attach/proc_maps.h"
#include "attach/target.h"

struct lib_set {
	uid_t invoking_uid;
	struct lib_file *v;
	size_t n, cap;
	int self;
};

struct lib_set *lib_set__new(uid_t invoking_uid)
{
	struct lib_set *set = calloc(1, sizeof(*set));

	if (set) {
		set->invoking_uid = invoking_uid;
		set->self = getpid();
	}
	return set;
}

void lib_set__free(struct lib_set *set)
{
	size_t i;

	if (!set)
		return;
	for (i = 0; i < set->n; i++)
		close(set->v[i].fd);
	free(set->v);
	free(set);
}

uid_t lib_set__invoking_uid(void)
{
	const char *v = getenv("SUDO_UID");
	char *end;
	long uid;

	if (!v || !*v)
		return getuid();
	errno = 0;
	uid = strtol(v, &end, 10);
	return errno || *end || uid < 0 ? getuid() : (uid_t)uid;
}

bool lib_set__trusted_owner(uid_t owner, uid_t invoking_uid)
{
	return owner == 0 || owner == invoking_uid;
}

static uint64_t dev_id(uint32_t maj, uint32_t min)
{
	return (uint64_t)maj << 32 | min;
}

static bool known(const struct lib_set *set, uint64_t dev, uint64_t ino)
{
	size_t i;

	for (i = 0; i < set->n; i++)
		if (set->v[i].dev == dev && set->v[i].ino == ino)
			return true;
	return false;
}

/* Take fd (a regular file, st its stat) into the set. */
static int add(struct lib_set *set, int fd, const struct stat *st, const char *path,
	       const char *how)
{
	struct lib_file *f;

	if (set->n == set->cap) {
		size_t cap = set->cap ? set->cap * 2 : 4;
		struct lib_file *v = realloc(set->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		set->v = v;
		set->cap = cap;
	}
	f = &set->v[set->n++];
	memset(f, 0, sizeof(*f));
	f->dev = dev_id(major(st->st_dev), minor(st->st_dev));
	f->ino = st->st_ino;
	f->owner = st->st_uid;
	f->untrusted = !lib_set__trusted_owner(st->st_uid, set->invoking_uid);
	f->fd = fd;
	mapped_file__fd_path(fd, f->open_path, sizeof(f->open_path));
	snprintf(f->path, sizeof(f->path), "%s", path);
	snprintf(f->how, sizeof(f->how), "%s", how);
	return 0;
}

int lib_set__add_path(struct lib_set *set, const char *path, const char *how, char *err,
		      size_t errlen)
{
	struct stat st;
	int fd, ret;

	/* The checked file is the one kept, by its descriptor. */
	fd = target__open_library(path, &st, err, errlen);
	if (fd < 0)
		return fd;
	if (known(set, dev_id(major(st.st_dev), minor(st.st_dev)), st.st_ino)) {
		close(fd);
		return 0;
	}
	ret = add(set, fd, &st, path, how);
	if (ret)
		close(fd);
	return ret;
}

/* One mapping of a runtime library in pid: add its file if new. */
static bool consider(struct lib_set *set, int pid, const struct proc_mapping *m)
{
	char err[256], how[160];
	struct stat st;
	int fd;

	if (!m->path[0] || !proc_maps__path_matches(m->path, TTLEAK_LIB_PREFIX) ||
	    known(set, dev_id(m->dev_major, m->dev_minor), m->inode))
		return false;
	fd = mapped_file__open(pid, m, &st, err, sizeof(err));
	if (fd < 0)
		return false; /* gone, or not a file: the next scan sees what remains */
	snprintf(how, sizeof(how), "mapped by pid %d", pid);
	if (add(set, fd, &st, m->path, how)) {
		close(fd);
		return false;
	}
	return true;
}

static size_t scan_process(struct lib_set *set, int pid)
{
	struct proc_mapping *m = malloc(sizeof(*m));
	char path[64], *line = NULL;
	size_t cap = 0, added = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = m ? fopen(path, "re") : NULL;
	while (f && getline(&line, &cap, f) >= 0)
		if (proc_maps__parse_line(line, m) == 0 && consider(set, pid, m))
			added++;
	if (f)
		fclose(f);
	free(line);
	free(m);
	return added;
}

size_t lib_set__scan(struct lib_set *set)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	size_t added = 0;

	while (d && (de = readdir(d))) {
		int pid;

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		pid = atoi(de->d_name);
		if (pid != set->self)
			added += scan_process(set, pid);
	}
	if (d)
		closedir(d);
	return added;
}

size_t lib_set__count(const struct lib_set *set)
{
	return set->n;
}

const struct lib_file *lib_set__get(const struct lib_set *set, size_t i)
{
	return i < set->n ? &set->v[i] : NULL;
}
