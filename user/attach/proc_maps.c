// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* proc_maps: find the runtime library a process maps (see proc_maps.h). */
#include "attach/proc_maps.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define DELETED_SUFFIX " (deleted)"

/* strtoull accepts leading blanks and signs; a maps field never has them. */
static int take_number(const char **p, int base, uint64_t *v)
{
	const char *s = *p;
	unsigned long long x;
	char *end;

	if (base == 16 ? !isxdigit((unsigned char)*s) : !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	x = strtoull(s, &end, base);
	if (errno)
		return -EINVAL;
	*v = x;
	*p = end;
	return 0;
}

static int take_char(const char **p, char c)
{
	if (**p != c)
		return -EINVAL;
	(*p)++;
	return 0;
}

static int take_perms(const char **p, char perms[5])
{
	for (int i = 0; i < 4; i++) {
		char c = (*p)[i];

		if (!c || !strchr("rwxsp-", c))
			return -EINVAL;
		perms[i] = c;
	}
	perms[4] = '\0';
	*p += 4;
	return 0;
}

/* The path is the rest of the line after the padding, spaces included. */
static int take_path(const char *s, struct proc_mapping *m)
{
	size_t len, suffix = strlen(DELETED_SUFFIX);

	while (*s == ' ')
		s++;
	len = strcspn(s, "\n");
	m->deleted = len > suffix && !memcmp(s + len - suffix, DELETED_SUFFIX, suffix);
	if (m->deleted)
		len -= suffix;
	if (len >= sizeof(m->path))
		return -ENAMETOOLONG;
	memcpy(m->path, s, len);
	m->path[len] = '\0';
	return 0;
}

int proc_maps__parse_line(const char *line, struct proc_mapping *m)
{
	uint64_t dev_major, dev_minor;
	const char *p = line;
	int err;

	if (!line || !m)
		return -EINVAL;
	memset(m, 0, sizeof(*m));
	err = take_number(&p, 16, &m->start) ?: take_char(&p, '-') ?:
	      take_number(&p, 16, &m->end) ?: take_char(&p, ' ') ?:
	      take_perms(&p, m->perms) ?: take_char(&p, ' ') ?:
	      take_number(&p, 16, &m->offset) ?: take_char(&p, ' ') ?:
	      take_number(&p, 16, &dev_major) ?: take_char(&p, ':') ?:
	      take_number(&p, 16, &dev_minor) ?: take_char(&p, ' ') ?:
	      take_number(&p, 10, &m->inode);
	if (err)
		return err;
	if (dev_major > UINT32_MAX || dev_minor > UINT32_MAX)
		return -EINVAL;
	m->dev_major = (uint32_t)dev_major;
	m->dev_minor = (uint32_t)dev_minor;
	/* Anonymous mappings end right after the inode. */
	if (*p != ' ' && *p != '\n' && *p != '\0')
		return -EINVAL;
	if (m->end < m->start)
		return -EINVAL;
	return take_path(p, m);
}

/* After the prefix: ".so", then any number of ".<digits>" (a versioned soname). */
static bool is_so_suffix(const char *s)
{
	if (strncmp(s, ".so", 3))
		return false;
	for (s += 3; *s; ) {
		if (*s++ != '.' || !isdigit((unsigned char)*s))
			return false;
		while (isdigit((unsigned char)*s))
			s++;
	}
	return true;
}

bool proc_maps__path_matches(const char *path, const char *lib_prefix)
{
	const char *base = strrchr(path, '/');
	size_t n = strlen(lib_prefix);

	base = base ? base + 1 : path;
	return n && !strncmp(base, lib_prefix, n) && is_so_suffix(base + n);
}

/* Which mapping a scan of a maps stream looks for: the library named by
 * lib_prefix (proc_maps__path_matches), or with lib_prefix NULL the file
 * with this device and inode. */
struct maps_want {
	const char *lib_prefix;
	uint32_t dev_major, dev_minor;
	uint64_t inode;
};

static bool maps_want_matches(const struct maps_want *w, const struct proc_mapping *m)
{
	if (!m->path[0])
		return false;
	if (w->lib_prefix)
		return proc_maps__path_matches(m->path, w->lib_prefix);
	return m->inode == w->inode && m->dev_major == w->dev_major &&
	       m->dev_minor == w->dev_minor;
}

/* The first mapping in maps that w matches, into out. */
static int find_in_stream(FILE *maps, const struct maps_want *w, struct proc_mapping *out)
{
	struct proc_mapping *m = NULL;
	size_t cap = 0;
	char *line = NULL;
	int err;

	/* struct proc_mapping holds PATH_MAX bytes: keep it off the stack. */
	m = malloc(sizeof(*m));
	if (!m)
		return -ENOMEM;
	while (getline(&line, &cap, maps) >= 0) {
		err = proc_maps__parse_line(line, m);
		if (err)
			goto cleanup;
		if (maps_want_matches(w, m)) {
			*out = *m;
			goto cleanup;
		}
	}
	err = ferror(maps) ? -EIO : -ENOENT;
cleanup:
	free(line);
	free(m);
	return err;
}

int proc_maps__find_in_stream(FILE *maps, const char *lib_prefix, struct proc_mapping *out)
{
	struct maps_want w = { .lib_prefix = lib_prefix };

	if (!maps || !lib_prefix || !*lib_prefix || !out)
		return -EINVAL;
	return find_in_stream(maps, &w, out);
}

int proc_maps__find_inode_in_stream(FILE *maps, uint32_t dev_major, uint32_t dev_minor,
				    uint64_t inode, struct proc_mapping *out)
{
	struct maps_want w = { .dev_major = dev_major, .dev_minor = dev_minor, .inode = inode };

	if (!maps || !out)
		return -EINVAL;
	return find_in_stream(maps, &w, out);
}

static int open_maps(int pid, FILE **f)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	*f = fopen(path, "re");
	if (*f)
		return 0;
	if (errno == ENOENT)
		return -ESRCH;
	if (errno == EPERM)
		return -EACCES;
	return -errno;
}

/* The path the tracer opens; see proc_maps.h for why deleted files differ. */
static int host_path_of(int pid, const struct proc_mapping *m, char *buf, size_t size)
{
	int n;

	if (m->deleted)
		n = snprintf(buf, size, "/proc/%d/map_files/%" PRIx64 "-%" PRIx64,
			     pid, m->start, m->end);
	else
		n = snprintf(buf, size, "/proc/%d/root%s", pid, m->path);
	if (n < 0 || (size_t)n >= size)
		return -ENAMETOOLONG;
	return 0;
}

int proc_maps__find_library(int pid, const char *lib_prefix, char *host_path, size_t host_size,
			    char *mapped_path, size_t mapped_size)
{
	struct proc_mapping *m = NULL;
	FILE *f = NULL;
	int err;

	if (pid <= 0 || !lib_prefix || !host_path || !host_size || (mapped_path && !mapped_size))
		return -EINVAL;
	m = malloc(sizeof(*m));
	if (!m)
		return -ENOMEM;
	err = open_maps(pid, &f);
	if (err)
		goto cleanup;
	err = proc_maps__find_in_stream(f, lib_prefix, m);
	if (err)
		goto cleanup;
	err = host_path_of(pid, m, host_path, host_size);
	if (err)
		goto cleanup;
	if (mapped_path && strlen(m->path) >= mapped_size) {
		err = -ENAMETOOLONG;
		goto cleanup;
	}
	if (mapped_path)
		strcpy(mapped_path, m->path);
cleanup:
	if (f)
		fclose(f);
	free(m);
	return err;
}

int proc_maps__find_mapping(int pid, const char *lib_prefix, struct proc_mapping *out)
{
	FILE *f = NULL;
	int err;

	if (pid <= 0 || !lib_prefix || !out)
		return -EINVAL;
	err = open_maps(pid, &f);
	if (err)
		return err;
	err = proc_maps__find_in_stream(f, lib_prefix, out);
	fclose(f);
	return err;
}

int proc_maps__find_inode(int pid, uint32_t dev_major, uint32_t dev_minor, uint64_t inode,
			  struct proc_mapping *out)
{
	FILE *f = NULL;
	int err;

	if (pid <= 0 || !out)
		return -EINVAL;
	err = open_maps(pid, &f);
	if (err)
		return err;
	err = proc_maps__find_inode_in_stream(f, dev_major, dev_minor, inode, out);
	fclose(f);
	return err;
}
