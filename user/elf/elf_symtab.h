/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * One pass over a symbol table section (.symtab or .dynsym) of a 64-bit ELF
 * file, for every reader of the runtime's symbols: the probe resolver
 * (symbols.c) and the layout evidence (layout_evidence.c).
 */
#ifndef TTLEAK_ELF_SYMTAB_H
#define TTLEAK_ELF_SYMTAB_H

#include <stddef.h>
#include <gelf.h>

/* Called for each symbol with a name; a nonzero return stops the pass and
 * is returned. */
typedef int (*elf_symtab_visit)(const GElf_Sym *sym, const char *name, void *ctx);

/*
 * Visit every named symbol of the symbol table section scn (header shdr) of
 * elf, which must be ELFCLASS64. *count (may be NULL) gets how many entries
 * the table has. 0, visit's nonzero return, or -ENOEXEC when the table or its
 * string table cannot be read: a table that cannot be read must not pass for
 * one without the symbols asked for.
 */
int elf_symtab__each(Elf *elf, Elf_Scn *scn, const GElf_Shdr *shdr, elf_symtab_visit visit,
		     void *ctx, size_t *count);

/* A defined symbol with an address (not undefined, absolute or common). */
bool elf_symtab__defined(const GElf_Sym *sym);

/* A file's .symtab or .dynsym; scn is NULL when the file has none. */
struct elf_symtab_section {
	Elf_Scn *scn;
	GElf_Shdr shdr;
};

/* The file's symbol tables, kept as a pass over its sections meets them:
 * call for every section. */
struct elf_symtab_sections {
	struct elf_symtab_section symtab, dynsym;
};

void elf_symtab__note_section(struct elf_symtab_sections *t, Elf_Scn *scn,
			      const GElf_Shdr *shdr);

/*
 * Whether .dynsym must be read as well as .symtab (if any). The linker
 * writes both from one table, so .symtab holds every symbol .dynsym holds,
 * unless a tool cut it down after linking, which leaves it smaller. On a
 * 300 MB runtime each has 310,000 symbols: reading one instead of both is a
 * third of the time to attach.
 */
bool elf_symtab__dynsym_needed(const struct elf_symtab_sections *t);

/* Whether a .symtab symbol of a linked library is also in its .dynsym:
 * defined, global or weak, and visible (hidden ones were made local). */
bool elf_symtab__exported(const GElf_Sym *sym);

#endif /* TTLEAK_ELF_SYMTAB_H */
