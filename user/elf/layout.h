/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Struct layouts: where the BPF programs find Buffer fields, the chip id and
 * the mesh id in the traced process's objects. They differ between runtime
 * builds (docs/tt-metal-runtime.md) and are chosen by evidence
 * (layout_select.h); a --layout FILE overrides field by field
 * (docs/layout-files.md).
 */
#ifndef TTLEAK_LAYOUT_H
#define TTLEAK_LAYOUT_H

#include <stddef.h>
#include <stdint.h>

struct layout {
	char name[64];
	int32_t buffer_impl_offset; /* <0: fields inline in Buffer; else offset of BufferImpl* */
	uint32_t off_device, off_size, off_type, off_allocator, off_address, off_page_size;
	int32_t device_id_offset;   /* Device::id_; <0 unknown: devices named by pointer */
	int32_t mesh_impl_offset;   /* MeshDevice's pimpl pointer; <0: the id is in MeshDevice */
	int32_t mesh_id_offset;     /* mesh id in MeshDevice (or its pimpl); <0 unknown */
	char source[96];            /* where the numbers come from, for the report */
};

#define LAYOUT_FILE_MAX (64 * 1024) /* bytes: a layout file is a dozen lines */
#define LAYOUT_MAX_OFFSET 4096      /* largest byte offset a key takes */

/*
 * Read a layout file: "key = value" lines of any length; '#' starts a
 * comment, on its own line or after a value. Keys: name,
 * buffer_impl_offset, device, size, buffer_type, allocator, address,
 * page_size, device_id_offset, mesh_impl_offset, mesh_id_offset. Unset keys
 * keep the values of *out, so a file can give one field alone. Only a regular file of at
 * most LAYOUT_FILE_MAX bytes is read (a FIFO, device or directory is refused
 * without blocking). Returns 0, or -errno with a message in err naming the
 * file, line and problem; *out is changed only on success.
 */
int layout__load_file(const char *path, struct layout *out, char *err, size_t errlen);

/* The same for text already in memory (len bytes, not NUL-terminated);
 * where names it in messages. out->source is left alone. */
int layout__parse_text(const char *text, size_t len, const char *where, struct layout *out,
		       char *err, size_t errlen);

#endif /* TTLEAK_LAYOUT_H */
