// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "elf/file_kind.h"
#include "elf/layout.h"

/* What a layout file key sets. Add a key by adding a row (and the field to
 * struct layout): the parser needs nothing else. */
enum layout_value {
	VALUE_NAME,          /* text, up to sizeof(layout.name) - 1 bytes */
	VALUE_OFFSET,        /* uint32_t byte offset, 0..LAYOUT_MAX_OFFSET */
	VALUE_OFFSET_OR_NONE, /* int32_t byte offset, or -1: absent */
};

static const struct layout_key {
	const char *key;
	size_t off;
	enum layout_value value;
} layout_keys[] = {
	{ "name", offsetof(struct layout, name), VALUE_NAME },
	{ "buffer_impl_offset", offsetof(struct layout, buffer_impl_offset), VALUE_OFFSET_OR_NONE },
	{ "device", offsetof(struct layout, off_device), VALUE_OFFSET },
	{ "size", offsetof(struct layout, off_size), VALUE_OFFSET },
	{ "buffer_type", offsetof(struct layout, off_type), VALUE_OFFSET },
	{ "allocator", offsetof(struct layout, off_allocator), VALUE_OFFSET },
	{ "address", offsetof(struct layout, off_address), VALUE_OFFSET },
	{ "page_size", offsetof(struct layout, off_page_size), VALUE_OFFSET },
	{ "device_id_offset", offsetof(struct layout, device_id_offset), VALUE_OFFSET_OR_NONE },
	{ "mesh_impl_offset", offsetof(struct layout, mesh_impl_offset), VALUE_OFFSET_OR_NONE },
	{ "mesh_id_offset", offsetof(struct layout, mesh_id_offset), VALUE_OFFSET_OR_NONE },
};

static int parse_offset(const char *text, long min, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(text, &end, 0);
	if (errno || end == text || *end != '\0' || v < min || v > LAYOUT_MAX_OFFSET)
		return -EINVAL;
	*out = v;
	return 0;
}

static const struct layout_key *find_key(const char *key)
{
	size_t i;

	for (i = 0; i < sizeof(layout_keys) / sizeof(layout_keys[0]); i++)
		if (strcmp(layout_keys[i].key, key) == 0)
			return &layout_keys[i];
	return NULL;
}

/* Apply one "key = value" pair: 0, -ENOENT unknown key, -EINVAL bad value,
 * -ENAMETOOLONG a name too long. */
static int layout_set(struct layout *l, const char *key, const char *value)
{
	const struct layout_key *k = find_key(key);
	char *field;
	long v;

	if (!k)
		return -ENOENT;
	field = (char *)l + k->off;
	switch (k->value) {
	case VALUE_NAME:
		if (strlen(value) >= sizeof(l->name))
			return -ENAMETOOLONG;
		strcpy(field, value);
		return 0;
	case VALUE_OFFSET:
		if (parse_offset(value, 0, &v))
			return -EINVAL;
		*(uint32_t *)field = (uint32_t)v;
		return 0;
	case VALUE_OFFSET_OR_NONE:
		if (parse_offset(value, -1, &v))
			return -EINVAL;
		*(int32_t *)field = (int32_t)v;
		return 0;
	}
	return -EINVAL;
}

static char *trim(char *s)
{
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
		*--end = '\0';
	return s;
}

static void describe_set_error(int ret, const char *where, int lineno, const char *key,
			       const char *value, char *err, size_t errlen)
{
	if (ret == -ENOENT)
		snprintf(err, errlen, "%s:%d: unknown key '%.64s': keys are name, "
			 "buffer_impl_offset, device, size, buffer_type, allocator, address, "
			 "page_size, device_id_offset, mesh_impl_offset, mesh_id_offset (see "
			 "docs/layout-files.md)", where, lineno, key);
	else if (ret == -ENAMETOOLONG)
		snprintf(err, errlen, "%s:%d: name is longer than %zu characters", where, lineno,
			 sizeof(((struct layout *)0)->name) - 1);
	else
		snprintf(err, errlen, "%s:%d: bad value '%.64s' for '%s': expected a byte offset "
			 "from %d to %d (decimal or 0x..)%s", where, lineno, value, key,
			 find_key(key)->value == VALUE_OFFSET_OR_NONE ? -1 : 0, LAYOUT_MAX_OFFSET,
			 find_key(key)->value == VALUE_OFFSET_OR_NONE ? ", -1 for none" : "");
}

/* One line, NUL-terminated, without its newline; comments run from '#'. */
static int parse_line(char *line, const char *where, int lineno, struct layout *l, char *err,
		      size_t errlen)
{
	char *hash = strchr(line, '#'), *eq, *key, *value;
	int ret;

	if (hash)
		*hash = '\0';
	key = trim(line);
	if (*key == '\0')
		return 0;
	eq = strchr(key, '=');
	if (!eq) {
		snprintf(err, errlen, "%s:%d: expected 'key = value', got '%.64s'", where, lineno, key);
		return -EINVAL;
	}
	*eq = '\0';
	key = trim(key);
	value = trim(eq + 1);
	ret = layout_set(l, key, value);
	if (ret) {
		describe_set_error(ret, where, lineno, key, value, err, errlen);
		return -EINVAL;
	}
	return 0;
}

int layout__parse_text(const char *text, size_t len, const char *where, struct layout *out,
		       char *err, size_t errlen)
{
	struct layout l = *out;
	char *copy = malloc(len + 1), *line, *end;
	int lineno = 0, ret = 0;

	if (!copy) {
		snprintf(err, errlen, "%s: out of memory", where);
		return -ENOMEM;
	}
	memcpy(copy, text, len);
	copy[len] = '\0';
	for (line = copy; line < copy + len && !ret; line = end + 1) {
		end = memchr(line, '\n', (size_t)(copy + len - line));
		if (!end)
			end = copy + len;
		*end = '\0';
		lineno++;
		if (strlen(line) != (size_t)(end - line)) {
			snprintf(err, errlen, "%s:%d: NUL byte in the line: not a text file", where,
				 lineno);
			ret = -EINVAL;
			break;
		}
		ret = parse_line(line, where, lineno, &l, err, errlen);
	}
	free(copy);
	if (!ret)
		*out = l;
	return ret;
}

/* Read at most LAYOUT_FILE_MAX bytes of a regular file; never blocks. */
static int read_layout_file(const char *path, char **text, size_t *len, char *err, size_t errlen)
{
	size_t cap = LAYOUT_FILE_MAX + 1, n = 0;
	struct stat st;
	char *buf = NULL;
	ssize_t k;
	int fd, ret = 0;

	fd = file_kind__open_regular(path, 0, &st);
	if (fd == -EINVAL) {
		snprintf(err, errlen, "%s: not a regular file (%s): give a layout text file",
			 path, file_kind__name(st.st_mode));
		return fd;
	}
	if (fd < 0) {
		snprintf(err, errlen, "%s: cannot open layout file: %s", path, strerror(-fd));
		return fd;
	}
	buf = malloc(cap);
	if (!buf) {
		ret = -ENOMEM;
		snprintf(err, errlen, "%s: out of memory", path);
		goto cleanup;
	}
	while (n < cap && (k = read(fd, buf + n, cap - n)) != 0) {
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			ret = -errno;
			snprintf(err, errlen, "%s: cannot read layout file: %s", path, strerror(-ret));
			goto cleanup;
		}
		n += (size_t)k;
	}
	if (n > LAYOUT_FILE_MAX) {
		ret = -EFBIG;
		snprintf(err, errlen, "%s: larger than %d KiB: not a layout file", path,
			 LAYOUT_FILE_MAX / 1024);
		goto cleanup;
	}
	*text = buf;
	*len = n;
	buf = NULL;
cleanup:
	free(buf);
	close(fd);
	return ret;
}

int layout__load_file(const char *path, struct layout *out, char *err, size_t errlen)
{
	char *text = NULL;
	size_t len = 0;
	int ret;

	ret = read_layout_file(path, &text, &len, err, errlen);
	if (ret)
		return ret;
	ret = layout__parse_text(text, len, path, out, err, errlen);
	free(text);
	if (!ret)
		snprintf(out->source, sizeof(out->source), "layout file %s", path);
	return ret;
}
