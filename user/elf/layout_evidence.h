/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Struct layouts from the runtime library's own machine code. Release builds
 * (the PyPI wheel) carry no DWARF, but they do carry small out-of-line
 * accessors that read exactly the fields the tracer needs:
 *
 *   Buffer::address() const     returns address_ (a 32-bit load)
 *   Buffer::page_size() const   returns page_size_
 *   Buffer::num_pages() const   size_ / page_size_ (a div: dividend, divisor)
 *   Buffer::is_trace() const    buffer_type_ == TRACE (compared with 4)
 *   Buffer::is_dram() const     buffer_type_ is DRAM (0) or TRACE (4): masked with ~4
 *   Buffer::is_l1() const       buffer_type_ is L1 (1) or L1_SMALL (3): masked with ~2, compared with 1
 *   Buffer::is_valid_region()   offset + size <= size_ (a 64-bit compare)
 *   Buffer::allocator() const   allocator_->view().get()
 *   Buffer::alignment() const   allocator_->get_alignment(buffer_type_)
 *   Device::id() const          id_ (inline virtual: hidden, .symtab only)
 *   distributed::MeshDevice::id() const   mesh_id_, inline or through a pimpl
 *
 * Each function is decoded with capstone along every path (both arms of a
 * conditional branch; branches out of the function, the cold/throw paths, are
 * not followed), tracking what each general register holds: `this`, a value
 * loaded from [this+a], from [[this+a]+b], ..., a constant, or unknown.
 * Direct calls and tail jumps (also through the PLT or a GOT slot) are
 * followed, up to three levels, when rdi holds such a tracked pointer, so
 * `mov rdi,[rdi+16]; jmp BufferImpl::address` reads through.
 *
 * A Buffer whose accessors read every field through one pointer loaded from
 * [this+P] is a pimpl with impl_ at P; fields are then offsets in the object
 * at [this+P]. allocator_ is the one field of the (impl) object that is used
 * as a pointer (dereferenced, or passed as `this` to a call). device_ has no
 * out-of-line accessor: it is always reported unknown here.
 *
 * Device::id_ is read from `Device::id() const` when .symtab has it, else
 * (stripped library) from the Device vtable slot that holds id(): the slot
 * index is the one whose entry in the exported MeshDevice vtable is
 * `MeshDevice::id() const`, the entry is read from the .rela.dyn relocation
 * of that slot.
 *
 * Nothing is guessed: a function that is missing or whose code does not
 * match the expected shape leaves its field unknown with the reason; two
 * functions that disagree make the field a contradiction, with both named.
 */
#ifndef TTLEAK_LAYOUT_EVIDENCE_H
#define TTLEAK_LAYOUT_EVIDENCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "elf/layout.h"

enum le_field_id {
	LE_BUFFER_IMPL,      /* offset of Buffer's pointer to its fields; -1: fields inline */
	LE_BUFFER_DEVICE,    /* always unknown from code */
	LE_BUFFER_SIZE,
	LE_BUFFER_TYPE,
	LE_BUFFER_ALLOCATOR,
	LE_BUFFER_ADDRESS,
	LE_BUFFER_PAGE_SIZE,
	LE_DEVICE_ID,        /* tt::tt_metal::Device::id_ */
	LE_MESH_ID_PTR,      /* MeshDevice: offset of the pointer to the id's object; -1: inline */
	LE_MESH_ID,          /* the id's offset in MeshDevice, or in the object at LE_MESH_ID_PTR */
	LE_N_FIELDS
};

enum le_state {
	LE_UNKNOWN,          /* no evidence, or it did not match: evidence says why */
	LE_FOUND,            /* offset is proven; evidence says by what */
	LE_CONTRADICTION,    /* functions disagree; evidence names them and their offsets */
};

struct le_field {
	enum le_state state;
	int32_t offset;      /* valid when LE_FOUND (Buffer fields: in the impl object if pimpl) */
	char evidence[320];  /* one line */
};

enum le_id_method {
	LE_ID_NONE,          /* Device::id_ not found */
	LE_ID_SYMTAB,        /* Device::id() const from .symtab */
	LE_ID_VTABLE_SLOT,   /* the Device vtable slot that MeshDevice::id() has in its vtable */
};

struct le_vtable {
	bool found;
	uint64_t vaddr;          /* symbol value (link-time address, add the load bias) */
	uint64_t address_point;  /* vaddr + 16: what an object's vptr holds */
	uint64_t size;           /* symbol size in bytes */
};

struct layout_evidence {
	struct le_field fields[LE_N_FIELDS];
	enum le_id_method device_id_method;
	int device_id_slot;      /* vtable slot of id() when LE_ID_VTABLE_SLOT, else -1 */
	struct le_vtable device_vtable;      /* _ZTVN2tt8tt_metal6DeviceE */
	struct le_vtable mesh_device_vtable; /* _ZTVN2tt8tt_metal11distributed10MeshDeviceE */
	bool has_symtab;         /* not stripped */
};

/*
 * Read the evidence of the x86-64 ELF library at lib_path into *out (every
 * field is set, found or not). Returns 0, or -errno with a message in err:
 *   -ENOENT, -EACCES  the file cannot be opened
 *   -ENOEXEC          not an x86-64 ELF file libelf can read
 *   -ENOMEM
 * Missing functions are not errors: their fields are LE_UNKNOWN.
 */
int layout_evidence__read(const char *lib_path, struct layout_evidence *out, char *err,
			  size_t errlen);

/* "impl_", "device_", "size_", ..., "Device::id_", "MeshDevice pimpl", "MeshDevice id". */
const char *layout_evidence__field_name(enum le_field_id id);

/*
 * Copy what is proven into *out (Buffer fields, impl offset, Device::id_);
 * fields not found keep *out's values. Returns a bit mask (1 << le_field_id)
 * of the Buffer fields and Device::id_ that were not proven (LE_BUFFER_DEVICE
 * is always among them), 0 when all were.
 */
unsigned layout_evidence__apply(const struct layout_evidence *ev, struct layout *out);

#endif /* TTLEAK_LAYOUT_EVIDENCE_H */
