// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdbool.h>
#include "elf/elf_symtab.h"

/* How many symbols ahead to prefetch names: .dynstr is not in .dynsym order. */
#define PREFETCH_AHEAD 16

/*
 * The names, read straight from the string table: elf_strptr() checks each
 * string's bounds again, which shows on a library of 100k+ symbols.
 */
static int string_table(Elf *elf, size_t index, const char **strs, size_t *size)
{
	Elf_Data *data = elf_getdata(elf_getscn(elf, index), NULL);

	if (!data || !data->d_buf || !data->d_size || ((const char *)data->d_buf)[data->d_size - 1])
		return -ENOEXEC;
	*strs = data->d_buf;
	*size = data->d_size;
	return 0;
}

/*
 * The file is ELFCLASS64 (its readers check at open), so the translated
 * section data is an array of Elf64_Sym (= GElf_Sym): index it instead of
 * copying each entry with gelf_getsym(), and prefetch names ahead, which the
 * cache misses of a large string table otherwise dominate.
 */
int elf_symtab__each(Elf *elf, Elf_Scn *scn, const GElf_Shdr *shdr, elf_symtab_visit visit,
		     void *ctx, size_t *count)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	const GElf_Sym *syms;
	const char *strs;
	size_t n, strs_size;
	int err;

	if (count)
		*count = 0;
	if (!data || !data->d_buf || !data->d_size)
		return 0;
	if (data->d_type != ELF_T_SYM || string_table(elf, shdr->sh_link, &strs, &strs_size))
		return -ENOEXEC;
	syms = data->d_buf;
	n = data->d_size / sizeof(*syms);
	if (count)
		*count = n;
	for (size_t i = 0; i < n; i++) {
		if (i + PREFETCH_AHEAD < n && syms[i + PREFETCH_AHEAD].st_name < strs_size)
			__builtin_prefetch(strs + syms[i + PREFETCH_AHEAD].st_name);
		if (!syms[i].st_name || syms[i].st_name >= strs_size)
			continue;
		err = visit(&syms[i], strs + syms[i].st_name, ctx);
		if (err)
			return err;
	}
	return 0;
}

bool elf_symtab__defined(const GElf_Sym *sym)
{
	return sym->st_value && sym->st_shndx != SHN_UNDEF && sym->st_shndx < SHN_LORESERVE;
}

void elf_symtab__note_section(struct elf_symtab_sections *t, Elf_Scn *scn,
			      const GElf_Shdr *shdr)
{
	if (shdr->sh_type == SHT_SYMTAB)
		t->symtab = (struct elf_symtab_section){ scn, *shdr };
	else if (shdr->sh_type == SHT_DYNSYM)
		t->dynsym = (struct elf_symtab_section){ scn, *shdr };
}

bool elf_symtab__dynsym_needed(const struct elf_symtab_sections *t)
{
	return t->dynsym.scn &&
	       (!t->symtab.scn || t->symtab.shdr.sh_size < t->dynsym.shdr.sh_size);
}

bool elf_symtab__exported(const GElf_Sym *sym)
{
	int bind = GELF_ST_BIND(sym->st_info), vis = GELF_ST_VISIBILITY(sym->st_other);

	return elf_symtab__defined(sym) && (bind == STB_GLOBAL || bind == STB_WEAK ||
					    bind == STB_GNU_UNIQUE) &&
	       (vis == STV_DEFAULT || vis == STV_PROTECTED);
}
