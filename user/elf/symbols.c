// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* symbols: resolve functions by demangled name in one pass (see symbols.h). */
#include "elf/symbols.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <elfutils/libdwelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* libstdc++ exports it with C linkage (cxxabi.h); -lstdc++ is linked. */
#include "elf/demangle.h"
#include "elf/elf_symtab.h"

/* "<len><identifier>", as the Itanium ABI spells an identifier. */
struct needle {
	char *text;
	size_t len, n_digits;
};

/* One acceptable qualified name of one wanted function. */
struct alt {
	size_t want, index;
	char *norm;        /* normalized qualified name */
	bool plain;        /* no "::": may also be an unmangled C symbol */
};

enum { CLS_DIGIT = 1, CLS_FIRST = 2 };

struct resolver {
	Elf *elf;
	struct alt *alts;
	size_t n_alts;
	struct needle *needles; /* distinct prefilter strings */
	size_t n_needles;
	uint8_t cls[256];  /* CLS_DIGIT, CLS_FIRST (first character of a needle's identifier) */
	char *dem;         /* __cxa_demangle's reusable buffer */
	size_t dem_len;
	char *norm;        /* normalized demangled name */
	size_t norm_cap;
	struct sym_result *out;
	size_t cap;
};

struct elf_file {
	int fd;
	Elf *elf;
};

static int elf_file__open(const char *path, struct elf_file *f)
{
	GElf_Ehdr ehdr;

	f->elf = NULL;
	f->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (f->fd < 0)
		return -errno;
	if (elf_version(EV_CURRENT) == EV_NONE)
		return -ENOEXEC;
	f->elf = elf_begin(f->fd, ELF_C_READ_MMAP, NULL);
	if (!f->elf || elf_kind(f->elf) != ELF_K_ELF)
		return -ENOEXEC;
	if (gelf_getclass(f->elf) != ELFCLASS64 || !gelf_getehdr(f->elf, &ehdr) ||
	    ehdr.e_machine != EM_X86_64)
		return -ENOEXEC;
	return 0;
}

static void elf_file__close(struct elf_file *f)
{
	if (f->elf)
		elf_end(f->elf);
	if (f->fd >= 0)
		close(f->fd);
}

static bool ident_char(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

/*
 * Copy s to d (room for strlen(s) + 1) without ABI tags ("[abi:cxx11]") and
 * without the inline namespace component "v0::", so that one wanted name
 * fits every generation. "v0::" counts only as a whole component: "abv0::"
 * stays.
 */
static void normalize(const char *s, char *d)
{
	const char *start = s, *e;

	while (*s) {
		if (!strncmp(s, "[abi:", 5) && (e = strchr(s, ']'))) {
			s = e + 1;
			continue;
		}
		if (!strncmp(s, "v0::", 4) && (s == start || !ident_char(s[-1]))) {
			s += 4;
			continue;
		}
		*d++ = *s++;
	}
	*d = '\0';
}

/* Offset of the '(' opening the parameter list (the last balanced group), or -1. */
static long params_start(const char *s)
{
	const char *p = strrchr(s, ')');
	int depth = 0;

	for (; p && p >= s; p--) {
		if (*p == ')')
			depth++;
		else if (*p == '(' && --depth == 0)
			return p - s;
	}
	return -1;
}

static int add_needle(struct resolver *r, const char *id, size_t len)
{
	char buf[32 + 256];
	struct needle *tmp, *n;
	int digits;

	if (len > 256)
		return -EINVAL;
	digits = snprintf(buf, sizeof(buf), "%zu", len);
	snprintf(buf + digits, sizeof(buf) - digits, "%.*s", (int)len, id);
	for (size_t i = 0; i < r->n_needles; i++)
		if (!strcmp(r->needles[i].text, buf))
			return 0;
	tmp = realloc(r->needles, (r->n_needles + 1) * sizeof(*tmp));
	if (!tmp)
		return -ENOMEM;
	r->needles = tmp;
	n = &r->needles[r->n_needles];
	n->text = strdup(buf);
	if (!n->text)
		return -ENOMEM;
	n->n_digits = (size_t)digits;
	n->len = (size_t)digits + len;
	r->cls[(unsigned char)id[0]] |= CLS_FIRST;
	r->n_needles++;
	return 0;
}

/*
 * The prefilter string for a qualified name: its last component, as the
 * Itanium ABI writes an identifier (<length><identifier>). For a destructor
 * "X::~X" that is the class name X, which its mangled name spells out too.
 */
static int needle_of(struct resolver *r, const char *norm)
{
	const char *id = norm, *p;
	size_t len;

	for (p = norm; (p = strstr(p, "::")); p += 2)
		id = p + 2;
	if (*id == '~')
		id++;
	len = strlen(id);
	if (!len || isdigit((unsigned char)id[0]))
		return -EINVAL;
	for (size_t i = 0; i < len; i++)
		if (!ident_char(id[i]))
			return -EINVAL;
	return add_needle(r, id, len);
}

static int add_alt(struct resolver *r, size_t want, size_t index, const char *name)
{
	struct alt *a = &r->alts[r->n_alts];

	if (!name || !*name)
		return -EINVAL;
	a->norm = malloc(strlen(name) + 1);
	if (!a->norm)
		return -ENOMEM;
	r->n_alts++;
	normalize(name, a->norm);
	a->want = want;
	a->index = index;
	a->plain = !strstr(a->norm, "::");
	return needle_of(r, a->norm);
}

static int resolver__init(struct resolver *r, const struct sym_want *wants, size_t n_wants)
{
	size_t total = 0;
	int err;

	for (size_t i = 0; i < n_wants; i++)
		total += wants[i].n_names;
	for (char c = '0'; c <= '9'; c++)
		r->cls[(unsigned char)c] = CLS_DIGIT;
	r->alts = calloc(total ? total : 1, sizeof(*r->alts));
	if (!r->alts)
		return -ENOMEM;
	for (size_t i = 0; i < n_wants; i++) {
		if (wants[i].n_names && !wants[i].qualified_names)
			return -EINVAL;
		for (size_t j = 0; j < wants[i].n_names; j++) {
			err = add_alt(r, i, j, wants[i].qualified_names[j]);
			if (err)
				return err;
		}
	}
	return 0;
}

static void resolver__free(struct resolver *r)
{
	for (size_t i = 0; i < r->n_alts; i++)
		free(r->alts[i].norm);
	for (size_t i = 0; i < r->n_needles; i++)
		free(r->needles[i].text);
	free(r->alts);
	free(r->needles);
	free(r->dem);
	free(r->norm);
}

/* st_value is a virtual address; uprobes want the offset in the file. */
static int file_offset_of(Elf *elf, const GElf_Sym *sym, uint64_t *off)
{
	Elf_Scn *scn = elf_getscn(elf, sym->st_shndx);
	GElf_Shdr shdr;

	if (!scn || !gelf_getshdr(scn, &shdr) || shdr.sh_type == SHT_NOBITS)
		return -ENOENT;
	if (sym->st_value < shdr.sh_addr || sym->st_value - shdr.sh_addr >= shdr.sh_size)
		return -ENOENT;
	*off = sym->st_value - shdr.sh_addr + shdr.sh_offset;
	return 0;
}

static struct sym_match *find_match(struct sym_result *res, size_t want, uint64_t vaddr)
{
	for (size_t i = 0; i < res->n; i++)
		if (res->matches[i].want == want && res->matches[i].vaddr == vaddr)
			return &res->matches[i];
	return NULL;
}

static struct sym_match *new_match(struct resolver *r)
{
	struct sym_result *res = r->out;
	struct sym_match *tmp;

	if (res->n == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 16;

		tmp = realloc(res->matches, cap * sizeof(*tmp));
		if (!tmp)
			return NULL;
		res->matches = tmp;
		r->cap = cap;
	}
	tmp = &res->matches[res->n++];
	memset(tmp, 0, sizeof(*tmp));
	return tmp;
}

/* Record that sym (named name) is alternative a; params is NULL for C symbols. */
static int add_match(struct resolver *r, const struct alt *a, const GElf_Sym *sym, bool dyn,
		     const char *name, const char *params)
{
	struct sym_match *m = find_match(r->out, a->want, sym->st_value);
	uint64_t off;

	if (m) {
		m->in_dynsym |= dyn;
		return 0;
	}
	if (file_offset_of(r->elf, sym, &off))
		return 0;
	m = new_match(r);
	if (!m)
		return -ENOMEM;
	m->want = a->want;
	m->name_index = a->index;
	m->vaddr = sym->st_value;
	m->file_offset = off;
	m->size = sym->st_size;
	m->in_dynsym = dyn;
	snprintf(m->params, sizeof(m->params), "%s", params ? params : "");
	snprintf(m->demangled, sizeof(m->demangled), "%s", params ? r->dem : name);
	snprintf(m->symbol, sizeof(m->symbol), "%s", name);
	return 0;
}

/* Whether a needle's identifier starts at p, right after its length digits. */
static bool needle_at(const struct resolver *r, const char *name, const char *p)
{
	size_t avail = (size_t)(p - name);

	for (size_t i = 0; i < r->n_needles; i++) {
		const struct needle *n = &r->needles[i];
		size_t d = n->n_digits;

		/* Inline checks first: most boundaries fail on a character or two. */
		if (n->text[d] != *p || d > avail || p[-1] != n->text[d - 1])
			continue;
		if (!memcmp(p - d, n->text, d) && !strncmp(p, n->text + d, n->len - d))
			return true;
	}
	return false;
}

/*
 * Whether name contains a needle, in one pass (strstr per needle took most
 * of the time on a large library). An identifier never starts with a digit,
 * so a needle's identifier can only start where a digit run ends: look only
 * there, and only for the needles' first characters.
 */
static bool passes_prefilter(const struct resolver *r, const char *name)
{
	uint8_t prev = 0, cls;

	for (const char *p = name; *p; p++, prev = cls) {
		cls = r->cls[(unsigned char)*p];
		if ((prev & CLS_DIGIT) && (cls & CLS_FIRST) && needle_at(r, name, p))
			return true;
	}
	return false;
}

/*
 * Demangle into r->dem and normalize into r->norm; false if not demanglable
 * (or out of memory, which then only costs this candidate).
 */
static bool demangle(struct resolver *r, const char *name)
{
	char *d = demangle__into(name, &r->dem, &r->dem_len);
	size_t need;

	if (!d)
		return false;
	need = strlen(d) + 1;
	if (need > r->norm_cap) {
		char *tmp = realloc(r->norm, need);

		if (!tmp)
			return false;
		r->norm = tmp;
		r->norm_cap = need;
	}
	normalize(d, r->norm);
	r->out->demangled++;
	return true;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && !strcmp(s + n - k, suffix);
}

static int consider_mangled(struct resolver *r, const char *name, const GElf_Sym *sym, bool dyn)
{
	size_t done_want = (size_t)-1;
	long k;
	int err;

	/* Clones (foo.cold, foo.isra.0) and deleting destructors: see symbols.h. */
	if (!passes_prefilter(r, name) || strchr(name, '.') || ends_with(name, "D0Ev") ||
	    !demangle(r, name))
		return 0;
	k = params_start(r->norm);
	if (k <= 0)
		return 0;
	for (size_t i = 0; i < r->n_alts; i++) {
		const struct alt *a = &r->alts[i];

		/* Alternatives of one want are distinct names: at most one matches. */
		if (a->want == done_want || strncmp(r->norm, a->norm, k) || a->norm[k])
			continue;
		err = add_match(r, a, sym, dyn, name, r->norm + k);
		if (err)
			return err;
		done_want = a->want;
	}
	return 0;
}

/* Exact names only, so a clone "foo.part.0" never matches "foo". */
static int consider_plain(struct resolver *r, const char *name, const GElf_Sym *sym, bool dyn)
{
	int err;

	for (size_t i = 0; i < r->n_alts; i++) {
		if (!r->alts[i].plain || strcmp(name, r->alts[i].norm))
			continue;
		err = add_match(r, &r->alts[i], sym, dyn, name, NULL);
		if (err)
			return err;
	}
	return 0;
}

static bool is_probeable(const GElf_Sym *sym)
{
	int type = GELF_ST_TYPE(sym->st_info);

	return (type == STT_FUNC || type == STT_GNU_IFUNC) && elf_symtab__defined(sym);
}

/* Whether the symbols of a table are exported: all of .dynsym's; of .symtab,
 * none when .dynsym is read too, else those elf_symtab__exported() says. */
enum exported_by {
	EXPORTED_NONE,
	EXPORTED_ALL,
	EXPORTED_BY_BINDING,
};

struct symtab_pass {
	struct resolver *r;
	enum exported_by exported;
};

static int consider(const GElf_Sym *sym, const char *name, void *ctx)
{
	struct symtab_pass *p = ctx;
	bool dyn = p->exported == EXPORTED_ALL ||
		   (p->exported == EXPORTED_BY_BINDING && elf_symtab__exported(sym));

	if (!is_probeable(sym))
		return 0;
	return name[0] == '_' && name[1] == 'Z' ? consider_mangled(p->r, name, sym, dyn)
					       : consider_plain(p->r, name, sym, dyn);
}

static int scan_symtab(struct resolver *r, Elf_Scn *scn, const GElf_Shdr *shdr,
		       enum exported_by exported)
{
	struct symtab_pass pass = { .r = r, .exported = exported };
	size_t n;
	int err = elf_symtab__each(r->elf, scn, shdr, consider, &pass, &n);

	r->out->symbols_scanned += n;
	return err;
}

static void read_build_id(Elf *elf, char out[41])
{
	const unsigned char *id;
	const void *bits;
	ssize_t n = dwelf_elf_gnu_build_id(elf, &bits);

	id = bits;
	for (ssize_t i = 0; i < n && i < 20; i++)
		snprintf(out + 2 * i, 3, "%02x", id[i]);
}

/* Properties of the file that decide what the tracer can do with it. */
static void note_section(struct resolver *r, const GElf_Shdr *shdr, size_t shstrndx)
{
	const char *name = elf_strptr(r->elf, shstrndx, shdr->sh_name);

	if (name && (!strcmp(name, ".debug_info") || !strcmp(name, ".zdebug_info")))
		r->out->has_debuginfo = true;
}

static int scan_sections(struct resolver *r)
{
	struct elf_symtab_sections tables = { 0 };
	Elf_Scn *scn = NULL;
	bool both;
	size_t shstrndx;
	int err = 0;

	if (elf_getshdrstrndx(r->elf, &shstrndx))
		return -ENOEXEC;
	read_build_id(r->elf, r->out->build_id);
	while ((scn = elf_nextscn(r->elf, scn))) {
		GElf_Shdr shdr;

		if (!gelf_getshdr(scn, &shdr))
			return -ENOEXEC;
		note_section(r, &shdr, shstrndx);
		elf_symtab__note_section(&tables, scn, &shdr);
	}
	r->out->has_symtab = tables.symtab.scn != NULL;
	both = elf_symtab__dynsym_needed(&tables);
	if (tables.symtab.scn)
		err = scan_symtab(r, tables.symtab.scn, &tables.symtab.shdr,
				  both ? EXPORTED_NONE : EXPORTED_BY_BINDING);
	if (!err && both)
		err = scan_symtab(r, tables.dynsym.scn, &tables.dynsym.shdr, EXPORTED_ALL);
	return err;
}

static int cmp_match(const void *pa, const void *pb)
{
	const struct sym_match *a = pa, *b = pb;

	if (a->want != b->want)
		return a->want < b->want ? -1 : 1;
	if (a->vaddr != b->vaddr)
		return a->vaddr < b->vaddr ? -1 : 1;
	return 0;
}

int symbols__resolve(const char *elf_path, const struct sym_want *wants, size_t n_wants,
		     struct sym_result *out)
{
	struct resolver r = { 0 };
	struct elf_file f = { .fd = -1 };
	int err;

	if (!out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if (!elf_path || (n_wants && !wants))
		return -EINVAL;
	r.out = out;
	err = resolver__init(&r, wants, n_wants);
	if (err)
		goto cleanup;
	err = elf_file__open(elf_path, &f);
	if (err)
		goto cleanup;
	r.elf = f.elf;
	err = scan_sections(&r);
	if (err)
		goto cleanup;
	if (out->n)
		qsort(out->matches, out->n, sizeof(*out->matches), cmp_match);
cleanup:
	elf_file__close(&f);
	resolver__free(&r);
	return err;
}

void sym_result__free(struct sym_result *r)
{
	if (!r)
		return;
	free(r->matches);
	r->matches = NULL;
	r->n = 0;
}

static bool is_pie(Elf *elf)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(elf, scn))) {
		Elf_Data *data;
		GElf_Shdr shdr;
		GElf_Dyn dyn;

		if (!gelf_getshdr(scn, &shdr) || shdr.sh_type != SHT_DYNAMIC || !shdr.sh_entsize)
			continue;
		data = elf_getdata(scn, NULL);
		for (size_t i = 0; data && i < shdr.sh_size / shdr.sh_entsize; i++)
			if (gelf_getdyn(data, (int)i, &dyn) && dyn.d_tag == DT_FLAGS_1)
				return dyn.d_un.d_val & DF_1_PIE;
	}
	return false;
}

int symbols__is_shared_object(const char *path)
{
	struct elf_file f = { .fd = -1 };
	GElf_Ehdr ehdr;
	int ret;

	if (!path)
		return -EINVAL;
	ret = elf_file__open(path, &f);
	if (ret)
		goto cleanup;
	gelf_getehdr(f.elf, &ehdr);  /* cannot fail: elf_file__open() read it */
	ret = ehdr.e_type == ET_DYN && !is_pie(f.elf);
cleanup:
	elf_file__close(&f);
	return ret;
}
