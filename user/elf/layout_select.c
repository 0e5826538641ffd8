// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "elf/layout_dwarf.h"
#include "elf/layout_select.h"

/* A field's offset as struct layout holds it. */
static int32_t *field_slot(struct layout *l, enum le_field_id id)
{
	switch (id) {
	case LE_BUFFER_IMPL: return &l->buffer_impl_offset;
	case LE_BUFFER_DEVICE: return (int32_t *)&l->off_device;
	case LE_BUFFER_SIZE: return (int32_t *)&l->off_size;
	case LE_BUFFER_TYPE: return (int32_t *)&l->off_type;
	case LE_BUFFER_ALLOCATOR: return (int32_t *)&l->off_allocator;
	case LE_BUFFER_ADDRESS: return (int32_t *)&l->off_address;
	case LE_BUFFER_PAGE_SIZE: return (int32_t *)&l->off_page_size;
	case LE_DEVICE_ID: return &l->device_id_offset;
	case LE_MESH_ID_PTR: return &l->mesh_impl_offset;
	default: return &l->mesh_id_offset;
	}
}

int32_t layout_select__offset(const struct layout *l, enum le_field_id id)
{
	return *field_slot((struct layout *)l, id);
}

/* Until something proves a field, it holds this, which no build has. */
#define UNSET_OFFSET ((int32_t)0x7ffffff0)

static void set_field(struct layout_choice *c, enum le_field_id id, int32_t offset,
		      const char *evidence)
{
	*field_slot(&c->layout, id) = offset;
	c->known[id] = true;
	snprintf(c->evidence[id], sizeof(c->evidence[id]), "%s", evidence);
}

/* DWARF that exists but could not be read within bounds (a crafted file)
 * poisons the layout: nothing from this library is trusted. */
static void distrust(struct layout_choice *c, const char *why)
{
	int id;

	for (id = LE_BUFFER_IMPL; id <= LE_BUFFER_PAGE_SIZE; id++) {
		c->known[id] = false;
		snprintf(c->evidence[id], sizeof(c->evidence[id]), "not trusted: %.320s", why);
	}
}

static int from_dwarf(const char *lib_path, struct layout_choice *c, char *why, size_t whylen)
{
	struct layout dw = c->layout;
	char line[352];
	int id, ret;

	dw.device_id_offset = UNSET_OFFSET;
	ret = layout_dwarf__read(lib_path, NULL, &dw, why, whylen);
	if (ret)
		return ret;
	for (id = LE_BUFFER_IMPL; id <= LE_DEVICE_ID; id++) {
		int32_t v = *field_slot(&dw, id);

		if (v == UNSET_OFFSET)
			continue;
		snprintf(line, sizeof(line), "%s", dw.source);
		set_field(c, id, v, line);
	}
	snprintf(c->layout.source, sizeof(c->layout.source), "%s", dw.source);
	return 0;
}

/* Code evidence fills what DWARF did not; where both speak they must agree. */
static void from_code(const struct layout_evidence *ev, struct layout_choice *c)
{
	char line[352];
	int id;

	for (id = 0; id < LE_N_FIELDS; id++) {
		const struct le_field *f = &ev->fields[id];

		if (f->state != LE_FOUND) {
			if (!c->known[id])
				snprintf(c->evidence[id], sizeof(c->evidence[id]), "%s", f->evidence);
			continue;
		}
		if (!c->known[id]) {
			set_field(c, id, f->offset, f->evidence);
			continue;
		}
		if (*field_slot(&c->layout, id) == f->offset)
			continue;
		snprintf(line, sizeof(line), "CONTRADICTED: DWARF says %d, the code %d (%s)",
			 *field_slot(&c->layout, id), f->offset, f->evidence);
		c->known[id] = false;
		snprintf(c->evidence[id], sizeof(c->evidence[id]), "%s", line);
	}
}

/* Buffer::device_ has no out-of-line reader; see layout_select.h, step 3. */
static void infer_device(const struct layout_evidence *ev, struct layout_choice *c)
{
	char line[352];

	if (c->known[LE_BUFFER_DEVICE])
		return;
	if (!c->known[LE_BUFFER_SIZE] || *field_slot(&c->layout, LE_BUFFER_SIZE) < 8 ||
	    !ev->device_vtable.found || !ev->mesh_device_vtable.found) {
		snprintf(c->evidence[LE_BUFFER_DEVICE], sizeof(c->evidence[0]),
			 "unknown: no DWARF, and %s", !c->known[LE_BUFFER_SIZE] ?
			 "size_ is unknown" : "the Device/MeshDevice vtables to check it are missing");
		return;
	}
	snprintf(line, sizeof(line), "just before size_ (as in every known build); checked on every "
		 "event: it must point to an object with the Device or MeshDevice vtable");
	set_field(c, LE_BUFFER_DEVICE, *field_slot(&c->layout, LE_BUFFER_SIZE) - 8, line);
	c->inferred[LE_BUFFER_DEVICE] = true;
}

static void add_name(char *list, size_t size, const char *name)
{
	size_t len = strlen(list);

	snprintf(list + len, size - len, "%s%s", len ? ", " : "", name);
}

/* A file value against what DWARF or the code proves is not trusted. */
static void contradict(struct layout_choice *c, enum le_field_id id, int32_t said)
{
	char line[352];

	snprintf(line, sizeof(line), "CONTRADICTED: the layout file says %d, but %.280s", said,
		 c->evidence[id]);
	snprintf(c->evidence[id], sizeof(c->evidence[id]), "%s", line);
	c->known[id] = false;
	add_name(c->contradicted, sizeof(c->contradicted), layout_evidence__field_name(id));
}

/* A --layout file fills what nothing proved, and overrides inferences. */
static int from_file(const char *path, struct layout_choice *c, char *err, size_t errlen)
{
	struct layout before = c->layout, *l = &c->layout;
	int id, ret = layout__load_file(path, l, err, errlen);

	if (ret)
		return ret;
	for (id = 0; id < LE_N_FIELDS; id++) {
		int32_t was = *field_slot(&before, id), now = *field_slot(l, id);

		if (was == now)
			continue;
		if (c->known[id] && !c->inferred[id]) {
			*field_slot(l, id) = was;
			contradict(c, id, now);
			continue;
		}
		set_field(c, id, now, l->source);
		c->inferred[id] = false;
	}
	return 0;
}

static void list_unproven(struct layout_choice *c)
{
	size_t len = 0;
	int id;

	c->unproven[0] = '\0';
	for (id = LE_BUFFER_IMPL; id <= LE_BUFFER_PAGE_SIZE; id++) {
		if (c->known[id] || len + 2 >= sizeof(c->unproven))
			continue;
		len += (size_t)snprintf(c->unproven + len, sizeof(c->unproven) - len, "%s%s",
					len ? ", " : "", layout_evidence__field_name(id));
	}
}

/* Optional ids nothing proved are read nowhere: -1 tells the BPF side. */
static void clear_unknown_ids(struct layout_choice *c)
{
	int id;

	for (id = LE_DEVICE_ID; id < LE_N_FIELDS; id++)
		if (!c->known[id])
			*field_slot(&c->layout, id) = -1;
	if (c->known[LE_MESH_ID_PTR] != c->known[LE_MESH_ID] && !c->known[LE_MESH_ID])
		c->layout.mesh_impl_offset = -1;
}

int layout_select(const char *lib_path, const char *layout_file, struct layout_choice *c,
		  char *err, size_t errlen)
{
	struct layout_evidence ev;
	char why[512];
	int id, ret;

	memset(c, 0, sizeof(*c));
	for (id = 0; id < LE_N_FIELDS; id++)
		*field_slot(&c->layout, id) = UNSET_OFFSET;
	snprintf(c->layout.name, sizeof(c->layout.name), "evidence");
	snprintf(c->layout.source, sizeof(c->layout.source), "the library's machine code");
	ret = layout_evidence__read(lib_path, &ev, err, errlen);
	if (ret)
		return ret;
	ret = from_dwarf(lib_path, c, why, sizeof(why));
	from_code(&ev, c);
	infer_device(&ev, c);
	if (ret == -E2BIG)
		distrust(c, why);
	c->vtables.device_vaddr = ev.device_vtable.found ? ev.device_vtable.address_point : 0;
	c->vtables.mesh_vaddr = ev.mesh_device_vtable.found ? ev.mesh_device_vtable.address_point : 0;
	if (layout_file) {
		ret = from_file(layout_file, c, err, errlen);
		if (ret)
			return ret;
	}
	clear_unknown_ids(c);
	list_unproven(c);
	return 0;
}
