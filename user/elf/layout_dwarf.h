/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Struct layouts read from DWARF: when the runtime library, or its separate
 * debug file, was built with -g (RelWithDebInfo, distro -dbg packages), the
 * offsets of Buffer's fields and Device::id_ come from the build itself
 * instead of a profile taken from some other build.
 */
#ifndef TTLEAK_LAYOUT_DWARF_H
#define TTLEAK_LAYOUT_DWARF_H

#include <stddef.h>
#include "elf/layout.h"

#define LAYOUT_DWARF_DEBUG_ROOT "/usr/lib/debug"

/*
 * Read tt::tt_metal::Buffer (its fields, or those of the object its impl_
 * points to in a pimpl build) and Device::id_ from the DWARF of lib_path, or
 * of its separate debug file: DEBUG_ROOT/.build-id/xx/rest.debug, then the
 * .gnu_debuglink name in the library's directory, its .debug/ and
 * DEBUG_ROOT/<library's directory>/. debug_root NULL means /usr/lib/debug.
 * On success fills every Buffer field of *out and its source ("DWARF in
 * FILE"); Device::id_ keeps *out's value when the DWARF lacks it.
 * Returns 0; -ENODATA when no DWARF was found (not an error: the code is
 * evidence too, see layout_select.h); -ENOENT when DWARF exists but lacks
 * the classes; -E2BIG when it is deeper or larger than a real build's (not
 * trusted); other -errno.
 * err says why for every non-zero return.
 */
int layout_dwarf__read(const char *lib_path, const char *debug_root, struct layout *out,
		       char *err, size_t errlen);

#endif /* TTLEAK_LAYOUT_DWARF_H */
