// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwelf.h>
#include <gelf.h>
#include "elf/file_kind.h"
#include "elf/layout_dwarf.h"

enum cls { CLS_BUFFER, CLS_BUFFER_IMPL, CLS_DEVICE, CLS_MAX };

/* The Buffer fields first, in struct layout's order (off_device ...). */
enum member { M_DEVICE, M_SIZE, M_TYPE, M_ALLOCATOR, M_ADDRESS, M_PAGE_SIZE, M_IMPL, M_ID, M_MAX };
#define N_BUFFER_FIELDS M_IMPL

static const char *const class_names[CLS_MAX] = { "Buffer", "BufferImpl", "Device" };
static const char *const member_names[M_MAX] = {
	"device_", "size_", "buffer_type_", "allocator_", "address_", "page_size_", "impl_", "id_",
};

struct scan {
	bool defined[CLS_MAX];
	int64_t off[CLS_MAX][M_MAX]; /* -1: no such member */
	Dwarf_Off decl[CLS_MAX];     /* this unit's declaration in tt::tt_metal, 0 if none */
	uint64_t budget;             /* DIEs still allowed to be visited */
	bool exhausted;              /* a bound was hit: what was read is not trusted */
};

/* A crafted library must not make the tracer (root) crash or spin: inline
 * namespaces are entered at most this deep (real builds have one, v0), and
 * at most this many DIEs are visited in all (a 300 MB tt-metal build needs
 * a small fraction: the classes sit in the first units that use them). */
#define SCAN_INLINE_DEPTH_MAX 4
#define SCAN_DIE_BUDGET 20000000ull

#define BUILD_ID_MAX 64

struct debug_elf {
	int fd;
	Elf *elf;
	Dwarf *dw;      /* NULL: no DWARF in this file */
};

static void debug_elf__close(struct debug_elf *f)
{
	if (f->dw)
		dwarf_end(f->dw);
	if (f->elf)
		elf_end(f->elf);
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
	f->elf = NULL;
	f->dw = NULL;
}

/* 0 with f->dw set or NULL (no DWARF), or -errno when the file is unusable.
 * Only a regular file is read, opened without blocking (a FIFO named by a
 * crafted debug link must not hang the tracer); a debug file that is a
 * symlink is not followed (it could lead anywhere on the host). */
static int debug_elf__open(const char *path, struct debug_elf *f, bool follow)
{
	struct stat st;

	f->dw = NULL;
	f->elf = NULL;
	f->fd = file_kind__open_regular(path, follow ? 0 : O_NOFOLLOW, &st);
	if (f->fd < 0)
		return f->fd;
	f->elf = elf_begin(f->fd, ELF_C_READ_MMAP, NULL);
	if (!f->elf || elf_kind(f->elf) != ELF_K_ELF) {
		debug_elf__close(f);
		return -ENOEXEC;
	}
	/* Fails with DWARF_E_NO_DWARF for a release or stripped build. */
	f->dw = dwarf_begin_elf(f->elf, DWARF_C_READ, NULL);
	return 0;
}

/* ---- the scan ---------------------------------------------------------- */

static int64_t member_offset(Dwarf_Die *member)
{
	Dwarf_Attribute attr;
	Dwarf_Word off;
	Dwarf_Op *ops;
	size_t n;

	if (!dwarf_attr(member, DW_AT_data_member_location, &attr))
		return -1; /* a static member: no place in the object */
	if (dwarf_formudata(&attr, &off) == 0)
		return (int64_t)off;
	/* DWARF 2 style: a location expression "DW_OP_plus_uconst N". */
	if (dwarf_getlocation(&attr, &ops, &n) == 0 && n == 1 && ops[0].atom == DW_OP_plus_uconst)
		return (int64_t)ops[0].number;
	return -1;
}

/* A class's members, if this DIE is its definition: the same class is only
 * declared (DW_AT_declaration, no members) in CUs that use it by pointer,
 * e.g. std::unique_ptr<BufferImpl> in a CU that never looks inside. */
static void read_class(Dwarf_Die *die, enum cls c, struct scan *s)
{
	int64_t off[M_MAX];
	bool any = false;
	Dwarf_Die child;
	const char *name;
	int m;

	if (s->defined[c] || dwarf_hasattr(die, DW_AT_declaration) || dwarf_child(die, &child) != 0)
		return;
	for (m = 0; m < M_MAX; m++)
		off[m] = -1;
	do {
		if (dwarf_tag(&child) != DW_TAG_member || !(name = dwarf_diename(&child)))
			continue;
		any = true;
		for (m = 0; m < M_MAX; m++)
			if (strcmp(name, member_names[m]) == 0)
				off[m] = member_offset(&child);
	} while (dwarf_siblingof(&child, &child) == 0);
	if (!any)
		return;
	s->defined[c] = true;
	memcpy(s->off[c], off, sizeof(off));
}

static bool scan_done(const struct scan *s)
{
	return s->defined[CLS_BUFFER] && s->defined[CLS_DEVICE] &&
	       (s->off[CLS_BUFFER][M_IMPL] < 0 || s->defined[CLS_BUFFER_IMPL]);
}

/* A type unit (-fdebug-types-section) declares the class inside its
 * namespaces and defines it at the top level with DW_AT_specification
 * pointing back to that declaration. */
static bool completes(Dwarf_Die *die, Dwarf_Off decl)
{
	Dwarf_Attribute attr;
	Dwarf_Die spec;

	return decl && dwarf_attr(die, DW_AT_specification, &attr) &&
	       dwarf_formref_die(&attr, &spec) && dwarf_dieoffset(&spec) == decl;
}

/* depth 0: a unit's top level, 1: inside tt, 2: inside tt::tt_metal (or an
 * inline namespace of it, such as late 2024's v0; `inl` counts those).
 * Classes are not entered: nested classes of the same name
 * (Buffer::Private...) are not the ones. Recursion is at most 2 + inl deep. */
static void scan_scope(Dwarf_Die *parent, int depth, int inl, struct scan *s)
{
	static const char *const ns_path[] = { "tt", "tt_metal" };
	Dwarf_Die child;
	const char *name;
	int tag, c;

	if (dwarf_child(parent, &child) != 0)
		return;
	do {
		if (s->budget == 0) {
			s->exhausted = true;
			return;
		}
		s->budget--;
		/* Most top-level DIEs are functions: skip them before the (costly) name. */
		tag = dwarf_tag(&child);
		if (tag != DW_TAG_namespace && tag != DW_TAG_class_type &&
		    tag != DW_TAG_structure_type)
			continue;
		name = dwarf_diename(&child);
		if (!name)
			continue;
		if (tag == DW_TAG_namespace) {
			if (depth < 2 && strcmp(name, ns_path[depth]) == 0)
				scan_scope(&child, depth + 1, inl, s);
			else if (depth == 2 && (strcmp(name, "v0") == 0 ||
						dwarf_hasattr(&child, DW_AT_export_symbols))) {
				if (inl >= SCAN_INLINE_DEPTH_MAX) {
					s->exhausted = true;
					continue;
				}
				scan_scope(&child, depth, inl + 1, s);
			}
		} else if (tag == DW_TAG_class_type || tag == DW_TAG_structure_type) {
			for (c = 0; c < CLS_MAX; c++) {
				if (strcmp(name, class_names[c]) != 0)
					continue;
				if (depth == 2 && dwarf_hasattr(&child, DW_AT_declaration))
					s->decl[c] = dwarf_dieoffset(&child);
				if (depth == 2 || (depth == 0 && completes(&child, s->decl[c])))
					read_class(&child, c, s);
			}
		}
	} while (!scan_done(s) && dwarf_siblingof(&child, &child) == 0);
}

/* Every unit, type units too (-fdebug-types-section), until the classes are
 * found: the scan stops within the first units that define Buffer and
 * Device (g++ puts a polymorphic class's definition where its vtable is). */
static void scan_units(Dwarf *dw, struct scan *s)
{
	Dwarf_CU *cu = NULL;
	Dwarf_Die cudie, subdie;
	Dwarf_Off off = 0, next;
	uint8_t unit_type;
	uint64_t signature;
	size_t hsize;

	memset(s, 0, sizeof(*s));
	memset(s->off, 0xff, sizeof(s->off)); /* every offset -1 */
	s->budget = SCAN_DIE_BUDGET;
	while (!scan_done(s) && !s->exhausted &&
	       dwarf_get_units(dw, cu, &cu, NULL, &unit_type, &cudie, &subdie) == 0) {
		memset(s->decl, 0, sizeof(s->decl));
		scan_scope(&cudie, 0, 0, s);
	}
	/* DWARF 4 keeps type units apart, in .debug_types. */
	while (!scan_done(s) && !s->exhausted &&
	       dwarf_next_unit(dw, off, &next, &hsize, NULL, NULL, NULL, NULL, &signature,
			       NULL) == 0) {
		memset(s->decl, 0, sizeof(s->decl));
		if (dwarf_offdie_types(dw, off + hsize, &cudie))
			scan_scope(&cudie, 0, 0, s);
		off = next;
	}
}

/* Copy the scan into *out; -ENOENT with a message when it is incomplete. */
static int fill_layout(const struct scan *s, const char *file, struct layout *out, char *err,
		       size_t errlen)
{
	const int64_t *src;
	const char *cls;
	uint32_t *dst[N_BUFFER_FIELDS] = {
		&out->off_device, &out->off_size, &out->off_type,
		&out->off_allocator, &out->off_address, &out->off_page_size,
	};
	bool impl;
	int m;

	if (s->exhausted) {
		snprintf(err, errlen, "%s: DWARF nests inline namespaces deeper than %d or has more "
			 "than %llu entries before the classes: not trusted", file,
			 SCAN_INLINE_DEPTH_MAX, SCAN_DIE_BUDGET);
		return -E2BIG;
	}
	if (!s->defined[CLS_BUFFER]) {
		snprintf(err, errlen, "%s: DWARF has no definition of tt::tt_metal::Buffer", file);
		return -ENOENT;
	}
	impl = s->off[CLS_BUFFER][M_IMPL] >= 0;
	cls = impl ? "tt::tt_metal::BufferImpl" : "tt::tt_metal::Buffer";
	if (impl && !s->defined[CLS_BUFFER_IMPL]) {
		snprintf(err, errlen, "%s: DWARF has Buffer::impl_ but no definition of %s", file, cls);
		return -ENOENT;
	}
	src = s->off[impl ? CLS_BUFFER_IMPL : CLS_BUFFER];
	for (m = 0; m < N_BUFFER_FIELDS; m++) {
		if (src[m] < 0 || src[m] > 4096) {
			snprintf(err, errlen, "%s: DWARF of %s lacks the member %s", file, cls,
				 member_names[m]);
			return -ENOENT;
		}
	}
	for (m = 0; m < N_BUFFER_FIELDS; m++)
		*dst[m] = (uint32_t)src[m];
	out->buffer_impl_offset = impl ? (int32_t)s->off[CLS_BUFFER][M_IMPL] : -1;
	if (s->defined[CLS_DEVICE] && s->off[CLS_DEVICE][M_ID] >= 0)
		out->device_id_offset = (int32_t)s->off[CLS_DEVICE][M_ID];
	snprintf(out->name, sizeof(out->name), "dwarf");
	snprintf(out->source, sizeof(out->source), "DWARF in %s", file);
	return 0;
}

/* ---- where the DWARF is -------------------------------------------------- */

static size_t read_build_id(Elf *elf, unsigned char *id)
{
	const void *p;
	ssize_t n = dwelf_elf_gnu_build_id(elf, &p);

	if (n <= 0 || n > BUILD_ID_MAX)
		return 0;
	memcpy(id, p, (size_t)n);
	return (size_t)n;
}

/*
 * Candidate debug files, best first, as gdb looks for them: by build id,
 * then by the .gnu_debuglink name. Returns how many were written.
 *
 * Not libdwfl's dwfl_standard_find_debuginfo (which stacks.c uses for
 * symbols): it follows symlinks beside the library and opens whatever the
 * name is, a FIFO included, while the library's directory may belong to the
 * traced job's user. Here a candidate beside the library is opened only as
 * a regular file without following links (debug_elf__open), and the build
 * id must match (same_build).
 */
static int debug_candidates(Elf *lib, const char *lib_path, const char *root,
			    char paths[][PATH_MAX], int max)
{
	unsigned char id[BUILD_ID_MAX];
	size_t n = read_build_id(lib, id), i, len;
	char dir[PATH_MAX], *slash;
	const char *link;
	GElf_Word crc;
	int count = 0;

	if (n > 1 && count < max) {
		len = (size_t)snprintf(paths[count], PATH_MAX, "%s/.build-id/%02x/", root, id[0]);
		for (i = 1; i < n && len + 3 < PATH_MAX; i++)
			len += (size_t)snprintf(paths[count] + len, PATH_MAX - len, "%02x", id[i]);
		if (len + 7 < PATH_MAX) {
			strcat(paths[count], ".debug");
			count++;
		}
	}
	link = dwelf_elf_gnu_debuglink(lib, &crc);
	if (!link || strchr(link, '/'))
		return count;
	snprintf(dir, sizeof(dir), "%s", lib_path);
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	else
		snprintf(dir, sizeof(dir), ".");
	if (count < max && snprintf(paths[count], PATH_MAX, "%s/%s", dir, link) < PATH_MAX)
		count++;
	if (count < max && snprintf(paths[count], PATH_MAX, "%s/.debug/%s", dir, link) < PATH_MAX)
		count++;
	if (count < max && dir[0] == '/' &&
	    snprintf(paths[count], PATH_MAX, "%s%s/%s", root, dir, link) < PATH_MAX)
		count++;
	return count;
}

/* A debug file whose build id differs is for another build: its offsets
 * would be wrong, which is worse than none. */
static bool same_build(Elf *lib, Elf *debug)
{
	unsigned char a[BUILD_ID_MAX], b[BUILD_ID_MAX];
	size_t na = read_build_id(lib, a), nb = read_build_id(debug, b);

	return !na || !nb || (na == nb && memcmp(a, b, na) == 0);
}

/* Scan one file with DWARF: 0, or -ENOENT with err set. */
static int read_from(Dwarf *dw, const char *file, struct layout *out, char *err, size_t errlen)
{
	struct scan s;

	scan_units(dw, &s);
	return fill_layout(&s, file, out, err, errlen);
}

int layout_dwarf__read(const char *lib_path, const char *debug_root, struct layout *out,
		       char *err, size_t errlen)
{
	char paths[4][PATH_MAX];
	struct debug_elf lib = { .fd = -1 }, dbg = { .fd = -1 };
	const char *root = debug_root ? debug_root : LAYOUT_DWARF_DEBUG_ROOT;
	int ret, n, i;

	elf_version(EV_CURRENT);
	ret = debug_elf__open(lib_path, &lib, true);
	if (ret) {
		snprintf(err, errlen, "%s: cannot read as ELF: %s", lib_path, strerror(-ret));
		return ret;
	}
	if (lib.dw) {
		ret = read_from(lib.dw, lib_path, out, err, errlen);
		if (ret == 0 || ret == -E2BIG)
			goto cleanup;
	}
	n = debug_candidates(lib.elf, lib_path, root, paths, 4);
	for (i = 0; i < n; i++) {
		/* Under the debug root (root's, where build-id links are
		 * symlinks) links are followed; beside the library, never. */
		bool trusted = strncmp(paths[i], root, strlen(root)) == 0;

		if (strcmp(paths[i], lib_path) == 0 || debug_elf__open(paths[i], &dbg, trusted))
			continue;
		if (dbg.dw && same_build(lib.elf, dbg.elf)) {
			ret = read_from(dbg.dw, paths[i], out, err, errlen);
			if (ret == 0 || ret == -E2BIG)
				goto cleanup;
		}
		debug_elf__close(&dbg);
	}
	if (ret != -ENOENT && ret != -E2BIG) {
		snprintf(err, errlen, "%s: no DWARF in the library or a separate debug file", lib_path);
		ret = -ENODATA;
	}
cleanup:
	debug_elf__close(&dbg);
	debug_elf__close(&lib);
	return ret;
}
