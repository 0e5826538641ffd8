/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * symbols: resolve C++ functions of an ELF file (libtt_metal.so) by their
 * demangled names, for uprobes, in one pass over its symbol tables.
 *
 * What is read: .symtab, and .dynsym where .symtab may not hold all of it
 * (elf_symtab__dynsym_needed(); a stripped library has only .dynsym); a
 * .symtab symbol read alone is exported when elf_symtab__exported() says.
 * Of those, defined STT_FUNC and STT_GNU_IFUNC symbols with a nonzero
 * value. Skipped:
 *   - compiler clones, whose names carry a '.' suffix (foo.cold, foo.isra.0,
 *     foo.constprop.0): they are pieces or re-signatured copies of a
 *     function, so a probe there would miss calls or read wrong arguments;
 *   - deleting destructors (mangled D0): they call the complete destructor
 *     (D1), so probing both would report one destruction twice.
 *
 * Matching. A wanted function is a list of acceptable qualified names, e.g.
 * {"tt::tt_metal::detail::ProgramImpl::allocate_circular_buffers",
 *  "tt::tt_metal::Program::allocate_circular_buffers"}. A symbol matches when
 * its demangled qualified name (the text before the parameter list), after
 * normalization, is exactly one of them. Normalization (applied to both
 * sides) removes the inline namespace component "v0::" (late-2024 builds
 * have tt::tt_metal::v0::Program) and ABI tags such as "[abi:cxx11]".
 * Functions are told apart by name only: all overloads match, and the caller
 * picks by sym_match.params. Template functions, whose demangled names carry
 * a return type, and operators are not supported.
 *
 * Prefilter. Demangling every symbol of a library with hundreds of thousands
 * of them would dominate the run, so a symbol is demangled only if its
 * mangled name contains "<len><id>" for the last component <id> of some
 * wanted name (the class name for a destructor "X::~X"), which is how the
 * Itanium ABI spells every identifier. Names without "::" also match an
 * unmangled (C) symbol of exactly that name.
 *
 * Dedupe. Per wanted function, one match per address: the complete and base
 * object destructors (D1, D2) are usually one body at one address, and an
 * exported function appears in both .symtab and .dynsym when both are read.
 */
#ifndef TTLEAK_SYMBOLS_H
#define TTLEAK_SYMBOLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sym_want {
	const char *const *qualified_names; /* alternatives, e.g. one per API generation */
	size_t n_names;
};

struct sym_match {
	size_t want;          /* index into the wants array */
	size_t name_index;    /* which alternative matched */
	uint64_t vaddr;       /* st_value */
	uint64_t file_offset; /* for bpf_program__attach_uprobe_opts(): st_value - sh_addr + sh_offset */
	uint64_t size;        /* st_size */
	bool in_dynsym;       /* exported (survives strip) */
	char params[256];     /* normalized, from '(' on: "(tt::tt_metal::IDevice const*)", "() const" */
	char demangled[512];  /* full demangled name, v0:: and ABI tags kept; truncated if longer */
	char symbol[512];     /* mangled name; truncated if longer */
};

struct sym_result {
	struct sym_match *matches; /* sorted by (want, vaddr) */
	size_t n;
	uint64_t symbols_scanned;  /* entries of the symbol tables read */
	uint64_t demangled;        /* prefilter candidates demangled */
	bool has_symtab;           /* not stripped */
	bool has_debuginfo;        /* .debug_info present (DWARF, e.g. RelWithDebInfo) */
	char build_id[41];         /* hex NT_GNU_BUILD_ID, "" if none (longer ids are cut) */
};

/*
 * Resolve wants[0..n_wants) in the ELF file at elf_path into *out, which the
 * caller releases with sym_result__free() (also after an error).
 * A wanted function that does not resolve simply has no match.
 * Returns 0, or:
 *   -ENOENT   the file does not exist (and other open() errors, as -errno)
 *   -ENOEXEC  not an ELF file, or not a 64-bit x86-64 ELF file (a library
 *             built for another machine), or an ELF file libelf cannot read
 *   -EINVAL   a wanted name is empty or its last component is not an
 *             identifier (or ~identifier)
 *   -ENOMEM
 */
int symbols__resolve(const char *elf_path, const struct sym_want *wants, size_t n_wants,
		     struct sym_result *out);

void sym_result__free(struct sym_result *r);

/*
 * Whether path is an ELF shared library: 1 for an ET_DYN x86-64 ELF file
 * that is not a position-independent executable (DF_1_PIE), 0 for any other
 * x86-64 ELF file; -ENOEXEC not an x86-64 ELF file; -errno when it cannot be
 * opened (-ENOENT, -EACCES).
 */
int symbols__is_shared_object(const char *path);

#endif /* TTLEAK_SYMBOLS_H */
