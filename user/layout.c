// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "layout.h"

/* Offsets from TTMETAL_API.md ("Buffer layout", x86-64, g++ and clang
 * identical). Device::id_ moves between releases; these are the offsets of
 * the builds the profiles were taken from. */
static const struct layout builtin[] = {
	{
		.name = "2026",
		.buffer_impl_offset = 16, /* Buffer::impl_ -> BufferImpl */
		.off_device = 0, .off_size = 8, .off_type = 16,
		.off_allocator = 48, .off_address = 64, .off_page_size = 72,
		.device_id_offset = 24,
		.source = "built-in profile for 2026 main",
	},
	{
		.name = "2025",
		.buffer_impl_offset = -1, /* fields inline */
		.off_device = 16, .off_size = 24, .off_type = 32,
		.off_allocator = 64, .off_address = 80, .off_page_size = 88,
		.device_id_offset = 16,
		.source = "built-in profile for mid 2025",
	},
};

const struct layout *layout__builtin(const char *generation)
{
	size_t i;

	for (i = 0; i < sizeof(builtin) / sizeof(builtin[0]); i++)
		if (strcmp(builtin[i].name, generation) == 0)
			return &builtin[i];
	return NULL;
}

static int parse_offset(const char *text, long min, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(text, &end, 0);
	if (errno || end == text || *end != '\0' || v < min || v > 4096)
		return -EINVAL;
	*out = v;
	return 0;
}

/* Apply one "key = value" pair; -ENOENT for an unknown key. */
static int layout_set(struct layout *l, const char *key, const char *value)
{
	static const struct { const char *key; size_t off; } fields[] = {
		{ "device", offsetof(struct layout, off_device) },
		{ "size", offsetof(struct layout, off_size) },
		{ "buffer_type", offsetof(struct layout, off_type) },
		{ "allocator", offsetof(struct layout, off_allocator) },
		{ "address", offsetof(struct layout, off_address) },
		{ "page_size", offsetof(struct layout, off_page_size) },
	};
	long v;
	size_t i;

	if (strcmp(key, "name") == 0) {
		snprintf(l->name, sizeof(l->name), "%s", value);
		return 0;
	}
	if (strcmp(key, "buffer_impl_offset") == 0 || strcmp(key, "device_id_offset") == 0) {
		if (parse_offset(value, -1, &v))
			return -EINVAL;
		*(key[0] == 'b' ? &l->buffer_impl_offset : &l->device_id_offset) = (int32_t)v;
		return 0;
	}
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		if (strcmp(key, fields[i].key) == 0) {
			if (parse_offset(value, 0, &v))
				return -EINVAL;
			*(uint32_t *)((char *)l + fields[i].off) = (uint32_t)v;
			return 0;
		}
	}
	return -ENOENT;
}

static char *trim(char *s)
{
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\n' || end[-1] == '\r'))
		*--end = '\0';
	return s;
}

int layout__load_file(const char *path, struct layout *out, char *err, size_t errlen)
{
	char line[256], *eq, *key;
	int lineno = 0, ret = 0;
	FILE *f = fopen(path, "r");

	if (!f) {
		ret = -errno;
		snprintf(err, errlen, "%s: cannot open layout file: %s", path, strerror(-ret));
		return ret;
	}
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		key = trim(line);
		if (*key == '#' || *key == '\0')
			continue;
		eq = strchr(key, '=');
		if (!eq) {
			snprintf(err, errlen, "%s:%d: expected 'key = value'", path, lineno);
			ret = -EINVAL;
			goto cleanup;
		}
		*eq = '\0';
		ret = layout_set(out, trim(key), trim(eq + 1));
		if (ret) {
			snprintf(err, errlen, "%s:%d: %s '%s'", path, lineno,
				 ret == -ENOENT ? "unknown key" : "bad offset for", trim(key));
			ret = -EINVAL;
			goto cleanup;
		}
	}
	snprintf(out->source, sizeof(out->source), "layout file %s", path);
cleanup:
	fclose(f);
	return ret;
}
