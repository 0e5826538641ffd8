/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Which struct layout the BPF programs read with, chosen by evidence and
 * never by a class name or a date:
 *   1. the library's DWARF (or its separate debug file), where present;
 *   2. the library's own machine code (layout_evidence.h): the accessors
 *      that read these very fields; where DWARF exists too, both must agree;
 *   3. Buffer::device_, which no out-of-line accessor reads: the slot just
 *      before size_ (as in every build known), trusted only because every
 *      event checks it: the object it points to must carry the Device or
 *      MeshDevice vtable, or the run is not certified;
 *   4. a --layout file, for what nothing proves (and device_): a value that
 *      contradicts DWARF or the code is named in `contradicted`.
 * A Buffer field nothing proves is named in `unproven`: the caller refuses
 * to trace (exit 3) rather than print numbers read from a guess, and so it
 * does for a contradiction.
 */
#ifndef TTLEAK_LAYOUT_SELECT_H
#define TTLEAK_LAYOUT_SELECT_H

#include <stddef.h>
#include "elf/layout.h"
#include "elf/layout_evidence.h"
#include "attach/process_vtables.h"

struct layout_choice {
	struct layout layout;
	struct runtime_vtables vtables;  /* to tell chips from meshes at run time */
	bool known[LE_N_FIELDS];
	char evidence[LE_N_FIELDS][352]; /* per field: where its offset comes from, or why unknown */
	char unproven[256];              /* Buffer fields without proof, ", "-separated; "" if none */
	char contradicted[256];          /* fields a --layout file sets against the evidence */
	bool inferred[LE_N_FIELDS];      /* known only by inference, checked at run time */
};

/*
 * Choose the layout for the library at lib_path (layout_file may be NULL).
 * Returns 0 (check out->unproven), or -errno with a message in err when the
 * library or the layout file cannot be read.
 */
int layout_select(const char *lib_path, const char *layout_file, struct layout_choice *out,
		  char *err, size_t errlen);

/* The offset struct layout holds for a field (-1: none, e.g. inline fields). */
int32_t layout_select__offset(const struct layout *l, enum le_field_id id);

#endif /* TTLEAK_LAYOUT_SELECT_H */
