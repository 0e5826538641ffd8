// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Struct layouts from the runtime's own machine code: see layout_evidence.h. */
#include <capstone/capstone.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "elf/layout_evidence.h"
#include "elf/sort_by_address.h"

/* libstdc++ (the project links it); declared here to stay plain C. */
#include "elf/demangle.h"
#include "elf/elf_symtab.h"

#define NS "tt::tt_metal::"
#define MAX_CHAIN 3       /* [[[this+a]+b]+c] */
#define MAX_FOLLOW 3      /* calls and tail jumps followed */
#define MAX_FRAMES 3
#define MAX_EVENTS 256
#define MAX_PATHS 64
#define MAX_STEPS 4096
#define MAX_VISITS 4      /* per instruction address: bounds loops */
#define VISIT_SLOTS 1024
#define WINDOW 256        /* bytes decoded of a function without a symbol */
#define MAX_RELOCS 512
#define CHAIN_LEN 48      /* "[[[this+a]+b]+c]" */

/* ---------------------------------------------------------------- ELF --- */

struct le_sym {
	uint64_t value, size;
	const char *name;  /* mangled, owned by libelf */
	uint8_t type;      /* STT_* */
};

struct range {
	uint64_t lo, hi;
};

struct le_elf {
	int fd;
	Elf *elf;
	struct le_sym *syms;  /* defined symbols of .symtab and .dynsym, by value */
	size_t n_syms, cap_syms;
	bool has_symtab;
	struct range plt[3];  /* .plt, .plt.sec, .plt.got */
	size_t n_plt;
};

struct le_reloc {
	uint64_t offset;
	uint32_t type;
	int64_t addend;
	uint64_t sym_value;    /* 0 when the symbol is undefined or absent */
	const char *sym_name;  /* "" when none */
};

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Into the room reserve_syms() made for the table being read. */
static int push_sym(struct le_elf *e, const GElf_Sym *s, const char *name)
{
	if (e->n_syms == e->cap_syms)
		return -EOVERFLOW;
	e->syms[e->n_syms++] = (struct le_sym){ s->st_value, s->st_size, name,
						 (uint8_t)GELF_ST_TYPE(s->st_info) };
	return 0;
}

/* Functions and objects (vtables) with an address, by value later. */
static int keep_symbol(const GElf_Sym *s, const char *name, void *ctx)
{
	int type = GELF_ST_TYPE(s->st_info);

	if (!elf_symtab__defined(s) ||
	    (type != STT_FUNC && type != STT_OBJECT && type != STT_GNU_IFUNC))
		return 0;
	return push_sym(ctx, s, name);
}

/* Room for every entry of the table at once: growing by doubling copies
 * tens of megabytes on a large runtime. Sized by the data libelf read, not
 * by the header, which a damaged file may make as large as it likes. */
static int reserve_syms(struct le_elf *e, Elf_Scn *scn)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	size_t cap = e->n_syms + (data ? data->d_size / sizeof(Elf64_Sym) : 0);
	struct le_sym *n;

	if (cap <= e->cap_syms)
		return 0;
	n = realloc(e->syms, cap * sizeof(*n));
	if (!n)
		return -ENOMEM;
	e->syms = n;
	e->cap_syms = cap;
	return 0;
}

static int load_symbols(struct le_elf *e, Elf_Scn *scn, const GElf_Shdr *sh)
{
	int err = reserve_syms(e, scn);

	return err ? err : elf_symtab__each(e->elf, scn, sh, keep_symbol, e, NULL);
}

static void note_plt(struct le_elf *e, const GElf_Shdr *sh, const char *name)
{
	if (e->n_plt < 3 && (!strcmp(name, ".plt") || !strcmp(name, ".plt.sec") ||
			     !strcmp(name, ".plt.got")))
		e->plt[e->n_plt++] = (struct range){ sh->sh_addr, sh->sh_addr + sh->sh_size };
}

/* .symtab alone when it holds all of .dynsym (elf_symtab__dynsym_needed). */
static int load_symbol_tables(struct le_elf *e, const struct elf_symtab_sections *t)
{
	int err = 0;

	if (t->symtab.scn)
		err = load_symbols(e, t->symtab.scn, &t->symtab.shdr);
	if (!err && elf_symtab__dynsym_needed(t))
		err = load_symbols(e, t->dynsym.scn, &t->dynsym.shdr);
	return err;
}

static int scan_sections(struct le_elf *e)
{
	struct elf_symtab_sections tables = { 0 };
	size_t shstrndx;
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	int err;

	if (elf_getshdrstrndx(e->elf, &shstrndx))
		return -ENOEXEC;
	while ((scn = elf_nextscn(e->elf, scn))) {
		const char *name;

		if (!gelf_getshdr(scn, &sh))
			return -ENOEXEC;
		name = elf_strptr(e->elf, shstrndx, sh.sh_name);
		note_plt(e, &sh, name ? name : "");
		elf_symtab__note_section(&tables, scn, &sh);
	}
	e->has_symtab = tables.symtab.scn != NULL;
	err = load_symbol_tables(e, &tables);
	if (err)
		return err;
	return sort_by_address(e->syms, e->n_syms, sizeof(*e->syms),
			       offsetof(struct le_sym, value));
}

static void elf_close(struct le_elf *e)
{
	if (e->elf)
		elf_end(e->elf);
	if (e->fd >= 0)
		close(e->fd);
	free(e->syms);
}

static int elf_open_lib(struct le_elf *e, const char *path, char *err, size_t errlen)
{
	GElf_Ehdr eh;
	int ret;

	memset(e, 0, sizeof(*e));
	e->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (e->fd < 0) {
		ret = -errno;
		set_err(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return ret;
	}
	elf_version(EV_CURRENT);
	e->elf = elf_begin(e->fd, ELF_C_READ_MMAP, NULL);
	if (!e->elf || elf_kind(e->elf) != ELF_K_ELF || !gelf_getehdr(e->elf, &eh) ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_machine != EM_X86_64) {
		set_err(err, errlen, "%s is not an x86-64 ELF file", path);
		return -ENOEXEC;
	}
	ret = scan_sections(e);
	if (ret)
		set_err(err, errlen, "cannot read the sections of %s: %s", path, strerror(-ret));
	return ret;
}

/* Bytes of the file at link-time address vaddr (in an executable segment). */
static ssize_t read_code(const struct le_elf *e, uint64_t vaddr, uint8_t *buf, size_t len)
{
	size_t i, n;
	GElf_Phdr ph;

	if (elf_getphdrnum(e->elf, &n))
		return -1;
	for (i = 0; i < n; i++) {
		uint64_t avail;

		if (!gelf_getphdr(e->elf, (int)i, &ph) || ph.p_type != PT_LOAD ||
		    !(ph.p_flags & PF_X) || vaddr < ph.p_vaddr || vaddr >= ph.p_vaddr + ph.p_filesz)
			continue;
		avail = ph.p_vaddr + ph.p_filesz - vaddr;
		return pread(e->fd, buf, len < avail ? len : (size_t)avail,
			     (off_t)(ph.p_offset + (vaddr - ph.p_vaddr)));
	}
	return -1;
}

static void get_reloc(Elf *elf, const GElf_Shdr *sh, const GElf_Rela *r, struct le_reloc *out)
{
	size_t si = GELF_R_SYM(r->r_info);
	Elf_Scn *sym_scn = elf_getscn(elf, sh->sh_link);
	GElf_Shdr ssh;
	GElf_Sym s;

	*out = (struct le_reloc){ r->r_offset, (uint32_t)GELF_R_TYPE(r->r_info), r->r_addend, 0, "" };
	if (!si || !sym_scn || !gelf_getshdr(sym_scn, &ssh) ||
	    !gelf_getsym(elf_getdata(sym_scn, NULL), (int)si, &s))
		return;
	out->sym_name = elf_strptr(elf, ssh.sh_link, s.st_name);
	if (!out->sym_name)
		out->sym_name = "";
	if (s.st_shndx != SHN_UNDEF)
		out->sym_value = s.st_value;
}

/* RELA relocations that patch [lo, hi), at most max of them. */
static size_t relocs_in(const struct le_elf *e, uint64_t lo, uint64_t hi, struct le_reloc *out,
			size_t max)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	GElf_Rela r;
	size_t n = 0;

	while ((scn = elf_nextscn(e->elf, scn)) && n < max) {
		Elf_Data *d;
		size_t i, cnt;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_RELA || !sh.sh_entsize)
			continue;
		d = elf_getdata(scn, NULL);
		cnt = sh.sh_size / sh.sh_entsize;
		for (i = 0; d && i < cnt && n < max; i++)
			if (gelf_getrela(d, (int)i, &r) && r.r_offset >= lo && r.r_offset < hi)
				get_reloc(e->elf, &sh, &r, &out[n++]);
	}
	return n;
}

/* ------------------------------------------------------------ symbols --- */

static const struct le_sym *func_by_mangled(const struct le_elf *e, const char *name)
{
	size_t i;

	for (i = 0; i < e->n_syms; i++)
		if (e->syms[i].type == STT_FUNC && !strcmp(e->syms[i].name, name))
			return &e->syms[i];
	return NULL;
}

/* The function symbol whose body holds addr, NULL if none. */
static const struct le_sym *func_containing(const struct le_elf *e, uint64_t addr)
{
	size_t lo = 0, hi = e->n_syms, k;

	while (lo < hi) {   /* first symbol with value > addr */
		size_t mid = lo + (hi - lo) / 2;

		if (e->syms[mid].value <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (k = 0; k < 16 && lo > k; k++) {
		const struct le_sym *s = &e->syms[lo - 1 - k];

		if (s->type != STT_OBJECT && addr < s->value + (s->size ? s->size : 1))
			return s;
	}
	return NULL;
}

/* "<len><id>" for the last two identifiers of a name such as
 * "ns::Class::method(args) const" or "vtable for ns::Class": how the Itanium
 * ABI spells them, so a mangled name lacking either cannot match. */
static void name_needles(const char *want, char out[2][64])
{
	const char *end = strchr(want, '(');
	int k;

	if (!end)
		end = want + strlen(want);
	for (k = 0; k < 2; k++) {
		const char *start = end;

		while (start > want && start[-1] != ':' && start[-1] != ' ')
			start--;
		snprintf(out[k], 64, "%d%.*s", (int)(end - start), (int)(end - start), start);
		if (start - want < 2 || start[-1] != ':') {
			out[1][0] = '\0';
			return;
		}
		end = start - 2;
	}
}

struct want {
	const char *name;  /* demangled */
	char needle[2][64];
	const struct le_sym *found;
};

/* Drop the inline namespace of late-2024 builds: "::v0::" -> "::". */
static void normalize(char *s)
{
	char *p;

	while ((p = strstr(s, "::v0::")))
		memmove(p, p + 4, strlen(p + 4) + 1);
}

static void match_sym(const struct le_sym *s, struct want *w, size_t n, char **dem, size_t *len)
{
	bool demangled = false;
	size_t i;

	for (i = 0; i < n; i++) {
		if (w[i].found || !strstr(s->name, w[i].needle[0]) ||
		    (w[i].needle[1][0] && !strstr(s->name, w[i].needle[1])))
			continue;
		if (!demangled) {
			char *d = demangle__into(s->name, dem, len);

			if (!d)
				return;
			normalize(d);
			demangled = true;
		}
		if (!strcmp(*dem, w[i].name))
			w[i].found = s;
	}
}

/* One pass over the symbols for every wanted demangled name, all of which
 * are in tt::tt_metal. Compiler clones (names with a '.') are skipped. */
static void find_wanted(const struct le_elf *e, struct want *w, size_t n)
{
	char *dem = NULL;
	size_t i, len = 0;

	for (i = 0; i < n; i++)
		name_needles(w[i].name, w[i].needle);
	for (i = 0; i < e->n_syms; i++)
		if (!strncmp(e->syms[i].name, "_Z", 2) && strstr(e->syms[i].name, "8tt_metal") &&
		    !strchr(e->syms[i].name, '.'))
			match_sym(&e->syms[i], w, n, &dem, &len);
	free(dem);
}

/* Where a direct branch really goes: through a PLT stub
 * (jmp *slot(%rip), after endbr64/bnd in .plt.sec) or a GOT slot, to the
 * function of the same library that the slot's symbol names. 0: unknown. */
static uint64_t resolve_slot(const struct le_elf *e, uint64_t slot)
{
	struct le_reloc r[4];
	const struct le_sym *s;
	size_t n = relocs_in(e, slot, slot + 8, r, 4);

	if (n != 1)
		return 0;
	if (r[0].type == R_X86_64_RELATIVE)
		return (uint64_t)r[0].addend;
	if (r[0].sym_value)
		return r[0].sym_value + (uint64_t)r[0].addend;
	s = *r[0].sym_name ? func_by_mangled(e, r[0].sym_name) : NULL;
	return s ? s->value : 0;
}

static bool in_plt(const struct le_elf *e, uint64_t addr)
{
	size_t i;

	for (i = 0; i < e->n_plt; i++)
		if (addr >= e->plt[i].lo && addr < e->plt[i].hi)
			return true;
	return false;
}

static uint64_t resolve_target(const struct le_elf *e, uint64_t addr)
{
	uint8_t b[16];
	size_t k = 0;
	int32_t disp;

	if (!in_plt(e, addr))
		return addr;
	if (read_code(e, addr, b, sizeof(b)) != (ssize_t)sizeof(b))
		return 0;
	if (b[0] == 0xf3 && b[1] == 0x0f && b[2] == 0x1e && b[3] == 0xfa)
		k = 4;                       /* endbr64 */
	if (b[k] == 0xf2)
		k++;                         /* bnd */
	if (b[k] != 0xff || b[k + 1] != 0x25)
		return 0;
	memcpy(&disp, &b[k + 2], sizeof(disp));
	return resolve_slot(e, addr + k + 6 + (uint64_t)(int64_t)disp);
}

/* ------------------------------------------------------------ decoder --- */

enum { V_UNK, V_CONST, V_CHAIN };
enum { R_RAX, R_RCX, R_RDX, R_RBX, R_RSP, R_RBP, R_RSI, R_RDI, N_REGS = 16 };

/* What a register holds: unknown, a constant, or the object pointer
 * (n = 0) and values loaded through it: n = 1 [this+off[0]], n = 2
 * [[this+off[0]]+off[1]]; derived: computed from that value. */
struct val {
	uint8_t kind, n, width;
	bool derived;
	int32_t off[MAX_CHAIN];
	int64_t c;
};

enum ev_kind { EV_LOAD, EV_CMP, EV_DIV, EV_CALL, EV_RET };

/* EV_LOAD a: the value loaded; EV_CMP (cmp, test, and, or, ...) a, b: the
 * operands, imm when b is an immediate; EV_DIV a: dividend, b: divisor;
 * EV_CALL a: rdi, b: rsi; EV_RET a: rax (V_UNK for an unresolved tail jump). */
struct event {
	uint8_t kind;
	unsigned insn;     /* X86_INS_* */
	bool has_imm;
	uint32_t imm;
	struct val a, b;
};

struct trace {
	struct event ev[MAX_EVENTS];
	size_t n;
	const char *fail;  /* why decoding was incomplete, NULL if it was not */
};

struct frame {
	uint64_t ret, lo, hi;
};

struct path {
	uint64_t pc, lo, hi;
	struct val r[N_REGS];
	struct frame f[MAX_FRAMES];
	int n_frames, follows;
};

struct visit {
	uint64_t pc;
	unsigned count;
};

struct dec {
	const struct le_elf *e;
	csh cs;
	cs_insn *insn;
	struct trace *t;
	struct path *paths;   /* worklist, MAX_PATHS */
	size_t n_paths, steps;
	struct visit visits[VISIT_SLOTS];
};

static const x86_reg reg_names[N_REGS][4] = {
	{ X86_REG_RAX, X86_REG_EAX, X86_REG_AX, X86_REG_AL },
	{ X86_REG_RCX, X86_REG_ECX, X86_REG_CX, X86_REG_CL },
	{ X86_REG_RDX, X86_REG_EDX, X86_REG_DX, X86_REG_DL },
	{ X86_REG_RBX, X86_REG_EBX, X86_REG_BX, X86_REG_BL },
	{ X86_REG_RSP, X86_REG_ESP, X86_REG_SP, X86_REG_SPL },
	{ X86_REG_RBP, X86_REG_EBP, X86_REG_BP, X86_REG_BPL },
	{ X86_REG_RSI, X86_REG_ESI, X86_REG_SI, X86_REG_SIL },
	{ X86_REG_RDI, X86_REG_EDI, X86_REG_DI, X86_REG_DIL },
	{ X86_REG_R8, X86_REG_R8D, X86_REG_R8W, X86_REG_R8B },
	{ X86_REG_R9, X86_REG_R9D, X86_REG_R9W, X86_REG_R9B },
	{ X86_REG_R10, X86_REG_R10D, X86_REG_R10W, X86_REG_R10B },
	{ X86_REG_R11, X86_REG_R11D, X86_REG_R11W, X86_REG_R11B },
	{ X86_REG_R12, X86_REG_R12D, X86_REG_R12W, X86_REG_R12B },
	{ X86_REG_R13, X86_REG_R13D, X86_REG_R13W, X86_REG_R13B },
	{ X86_REG_R14, X86_REG_R14D, X86_REG_R14W, X86_REG_R14B },
	{ X86_REG_R15, X86_REG_R15D, X86_REG_R15W, X86_REG_R15B },
};

/* General register index of reg (-1 if not one) and its width in bytes. */
static int reg_index(unsigned reg, unsigned *width)
{
	static const unsigned widths[4] = { 8, 4, 2, 1 };
	int i, k;

	for (i = 0; i < N_REGS; i++)
		for (k = 0; k < 4; k++)
			if (reg_names[i][k] == reg) {
				*width = widths[k];
				return i;
			}
	*width = 1;
	if (reg == X86_REG_AH || reg == X86_REG_BH || reg == X86_REG_CH || reg == X86_REG_DH)
		return reg == X86_REG_AH ? R_RAX : reg == X86_REG_BH ? R_RBX :
		       reg == X86_REG_CH ? R_RCX : R_RDX;
	return -1;
}

static const struct val unknown = { .kind = V_UNK };

static void emit(struct dec *d, uint8_t kind, unsigned insn, const struct val *a,
		 const struct val *b)
{
	struct event *ev;

	if (d->t->n == MAX_EVENTS) {
		d->t->fail = "too many events";
		return;
	}
	ev = &d->t->ev[d->t->n++];
	*ev = (struct event){ .kind = kind, .insn = insn, .a = *a, .b = b ? *b : unknown };
	if (b && b->kind == V_CONST) {
		ev->has_imm = true;
		ev->imm = (uint32_t)b->c;
	}
}

static bool is_pointer(const struct val *v)
{
	return v->kind == V_CHAIN && !v->derived && v->n < MAX_CHAIN &&
	       (v->n == 0 || v->width == 8);
}

/* A memory operand read: a load through a tracked pointer is a field. */
static struct val eval_mem(struct dec *d, struct path *p, const x86_op_mem *m, unsigned size)
{
	unsigned w;
	int b = reg_index(m->base, &w);
	struct val v;

	if (b < 0 || w != 8 || m->index != X86_REG_INVALID || m->segment != X86_REG_INVALID ||
	    !is_pointer(&p->r[b]))
		return unknown;
	v = p->r[b];
	v.off[v.n++] = (int32_t)m->disp;
	v.width = (uint8_t)size;
	emit(d, EV_LOAD, d->insn->id, &v, NULL);
	return v;
}

static struct val eval_op(struct dec *d, struct path *p, const cs_x86_op *op)
{
	struct val v = unknown;
	unsigned w;
	int i;

	switch (op->type) {
	case X86_OP_REG:
		i = reg_index(op->reg, &w);
		return i < 0 ? unknown : p->r[i];
	case X86_OP_IMM:
		v.kind = V_CONST;
		v.c = op->imm;
		return v;
	case X86_OP_MEM:
		return eval_mem(d, p, &op->mem, op->size);
	default:
		return unknown;
	}
}

/* Writes of 32 or 64 bits replace the register; narrower ones merge with
 * its old bits, which is not tracked. */
static void set_reg(struct path *p, unsigned reg, const struct val *v)
{
	unsigned w;
	int i = reg_index(reg, &w);

	if (i >= 0)
		p->r[i] = w >= 4 ? *v : unknown;
}

static void clobber_written(struct dec *d, struct path *p)
{
	cs_regs rd, wr;
	uint8_t nr = 0, nw = 0, k;

	if (cs_regs_access(d->cs, d->insn, rd, &nr, wr, &nw) != CS_ERR_OK)
		return;
	for (k = 0; k < nw; k++)
		set_reg(p, wr[k], &unknown);
}

static const cs_x86 *x86(const struct dec *d)
{
	return &d->insn->detail->x86;
}

static void h_mov(struct dec *d, struct path *p)
{
	const cs_x86 *x = x86(d);
	struct val v;

	if (x->op_count != 2) {
		clobber_written(d, p);
		return;
	}
	v = eval_op(d, p, &x->operands[1]);
	if (x->operands[0].type == X86_OP_REG)
		set_reg(p, x->operands[0].reg, &v);
}

/* lea r, [base]: a copy; with a displacement or index: not a field. */
static void h_lea(struct dec *d, struct path *p)
{
	const cs_x86 *x = x86(d);
	const x86_op_mem *m = &x->operands[1].mem;
	struct val v = unknown;
	unsigned w;
	int b = reg_index(m->base, &w);

	if (b >= 0 && w == 8 && !m->disp && m->index == X86_REG_INVALID)
		v = p->r[b];
	set_reg(p, x->operands[0].reg, &v);
}

static bool same_reg(const cs_x86 *x)
{
	return x->op_count == 2 && x->operands[0].type == X86_OP_REG &&
	       x->operands[1].type == X86_OP_REG && x->operands[0].reg == x->operands[1].reg;
}

/* cmp, test, and arithmetic: record both operands; the result of an ALU
 * instruction on a field is derived from it. xor/sub r, r is 0. */
static void h_alu(struct dec *d, struct path *p, bool writes)
{
	const cs_x86 *x = x86(d);
	struct val a, b, zero = { .kind = V_CONST, .c = 0 };

	if (x->op_count != 2) {
		clobber_written(d, p);
		return;
	}
	if (same_reg(x) && (d->insn->id == X86_INS_XOR || d->insn->id == X86_INS_SUB)) {
		set_reg(p, x->operands[0].reg, &zero);
		return;
	}
	a = eval_op(d, p, &x->operands[0]);
	b = same_reg(x) ? zero : eval_op(d, p, &x->operands[1]);  /* test r, r: r vs 0 */
	emit(d, EV_CMP, d->insn->id, &a, &b);
	if (!writes)
		return;
	if (a.kind == V_CHAIN)
		a.derived = true;
	else
		a = unknown;
	if (x->operands[0].type == X86_OP_REG)
		set_reg(p, x->operands[0].reg, &a);
}

static void h_div(struct dec *d, struct path *p)
{
	const cs_x86 *x = x86(d);
	struct val b;

	if (x->op_count != 1) {
		clobber_written(d, p);
		return;
	}
	b = eval_op(d, p, &x->operands[0]);
	emit(d, EV_DIV, d->insn->id, &p->r[R_RAX], &b);
	p->r[R_RAX] = p->r[R_RDX] = unknown;
}

static void clobber_call(struct path *p)
{
	static const int saved[] = { R_RAX, R_RCX, R_RDX, R_RSI, R_RDI, 8, 9, 10, 11 };
	size_t i;

	for (i = 0; i < sizeof(saved) / sizeof(saved[0]); i++)
		p->r[saved[i]] = unknown;
}

static void enter(const struct le_elf *e, struct path *p, uint64_t target)
{
	const struct le_sym *s = func_containing(e, target);

	p->pc = target;
	p->lo = s && s->size ? s->value : target;
	p->hi = s && s->size ? s->value + s->size : target + WINDOW;
	p->follows++;
}

/* The function a call or jmp goes to: a direct target, or a GOT slot
 * (call/jmp *slot(%rip)); 0 when it cannot be known. */
static uint64_t branch_target(const struct dec *d)
{
	const cs_x86_op *op = &x86(d)->operands[0];
	const cs_insn *in = d->insn;

	if (op->type == X86_OP_IMM)
		return resolve_target(d->e, (uint64_t)op->imm);
	if (op->type == X86_OP_MEM && op->mem.base == X86_REG_RIP &&
	    op->mem.index == X86_REG_INVALID)
		return resolve_slot(d->e, in->address + in->size + (uint64_t)op->mem.disp);
	return 0;
}

static bool can_follow(const struct dec *d, const struct path *p, uint64_t target)
{
	const struct val *rdi = &p->r[R_RDI];

	return target && p->follows <= MAX_FOLLOW && rdi->kind == V_CHAIN && !rdi->derived &&
	       rdi->n < MAX_CHAIN && d->steps < MAX_STEPS / 2;
}

/* Returns false when the path ends. */
static bool h_call(struct dec *d, struct path *p, bool tail)
{
	uint64_t target = branch_target(d), next = d->insn->address + d->insn->size;

	emit(d, EV_CALL, d->insn->id, &p->r[R_RDI], &p->r[R_RSI]);
	if (can_follow(d, p, target) && (tail || p->n_frames < MAX_FRAMES)) {
		if (!tail)
			p->f[p->n_frames++] = (struct frame){ next, p->lo, p->hi };
		enter(d->e, p, target);
		return true;
	}
	if (tail) {
		emit(d, EV_RET, d->insn->id, &unknown, NULL);  /* the result is not known */
		return false;
	}
	clobber_call(p);
	p->pc = next;
	return true;
}

static bool h_ret(struct dec *d, struct path *p)
{
	if (p->n_frames) {
		const struct frame *f = &p->f[--p->n_frames];

		p->pc = f->ret;
		p->lo = f->lo;
		p->hi = f->hi;
		return true;
	}
	emit(d, EV_RET, d->insn->id, &p->r[R_RAX], NULL);
	return false;
}

static void fork_path(struct dec *d, const struct path *p, uint64_t target)
{
	if (d->n_paths == MAX_PATHS) {
		d->t->fail = "too many paths";
		return;
	}
	d->paths[d->n_paths] = *p;
	d->paths[d->n_paths++].pc = target;
}

/* jmp inside the function: go on there; outside: a tail call. Conditional
 * branches out of the function (cold and throw paths) are not followed. */
static bool h_jump(struct dec *d, struct path *p, bool conditional)
{
	const cs_x86_op *op = &x86(d)->operands[0];
	uint64_t t = op->type == X86_OP_IMM ? (uint64_t)op->imm : 0;
	bool inside = t && t >= p->lo && t < p->hi;

	if (conditional) {
		if (inside)
			fork_path(d, p, t);
		p->pc = d->insn->address + d->insn->size;
		return true;
	}
	if (inside) {
		p->pc = t;
		return true;
	}
	if (op->type == X86_OP_REG || (op->type == X86_OP_MEM && op->mem.base != X86_REG_RIP)) {
		d->t->fail = "an indirect jump";
		return false;
	}
	return h_call(d, p, true);
}

static bool is_jump(const cs_insn *in)
{
	uint8_t g;

	for (g = 0; g < in->detail->groups_count; g++)
		if (in->detail->groups[g] == CS_GRP_JUMP)
			return true;
	return false;
}

/* Execute d->insn on p; false when the path ends. */
static bool execute(struct dec *d, struct path *p)
{
	p->pc = d->insn->address + d->insn->size;
	switch (d->insn->id) {
	case X86_INS_MOV: case X86_INS_MOVZX: case X86_INS_MOVSX: case X86_INS_MOVSXD:
	case X86_INS_MOVABS:
		h_mov(d, p);
		return true;
	case X86_INS_LEA:
		h_lea(d, p);
		return true;
	case X86_INS_CMP: case X86_INS_TEST:
		h_alu(d, p, false);
		return true;
	case X86_INS_AND: case X86_INS_OR: case X86_INS_XOR: case X86_INS_ADD: case X86_INS_SUB:
	case X86_INS_SHR: case X86_INS_SHL: case X86_INS_SAR:
		h_alu(d, p, true);
		return true;
	case X86_INS_DIV: case X86_INS_IDIV:
		h_div(d, p);
		return true;
	case X86_INS_CALL:
		return h_call(d, p, false);
	case X86_INS_RET:
		return h_ret(d, p);
	case X86_INS_UD2: case X86_INS_INT3: case X86_INS_HLT:
		return false;
	default:
		if (is_jump(d->insn))
			return h_jump(d, p, d->insn->id != X86_INS_JMP);
		clobber_written(d, p);
		return true;
	}
}

/* Count a visit of pc; false once it was seen MAX_VISITS times (a loop). */
static bool visit(struct dec *d, uint64_t pc)
{
	size_t i, h = (size_t)(pc * 0x9E3779B97F4A7C15ull >> 54) % VISIT_SLOTS;

	for (i = 0; i < VISIT_SLOTS; i++) {
		struct visit *v = &d->visits[(h + i) % VISIT_SLOTS];

		if (v->pc == pc || !v->count) {
			v->pc = pc;
			return ++v->count <= MAX_VISITS;
		}
	}
	return false;
}

/* Run one path to its end. */
static void run_path(struct dec *d, struct path *p)
{
	uint8_t buf[16];

	while (d->steps < MAX_STEPS && p->pc >= p->lo && p->pc < p->hi && visit(d, p->pc)) {
		const uint8_t *code = buf;
		size_t len;
		uint64_t pc = p->pc;
		ssize_t n = read_code(d->e, pc, buf, sizeof(buf));

		if (n <= 0) {
			d->t->fail = "code outside the executable segments";
			return;
		}
		len = (size_t)n;
		if (!cs_disasm_iter(d->cs, &code, &len, &pc, d->insn)) {
			d->t->fail = "an instruction capstone cannot decode";
			return;
		}
		d->steps++;
		if (!execute(d, p))
			return;
	}
	if (d->steps >= MAX_STEPS)
		d->t->fail = "the code is too long";
}

static int decode_function(const struct le_elf *e, uint64_t addr, struct trace *t)
{
	struct dec *d = calloc(1, sizeof(*d));
	struct path *p;
	int err = -ENOMEM;

	memset(t, 0, sizeof(*t));
	if (!d || !(d->paths = calloc(MAX_PATHS, sizeof(*d->paths))))
		goto cleanup;
	err = -EINVAL;
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &d->cs) != CS_ERR_OK)
		goto cleanup;
	cs_option(d->cs, CS_OPT_DETAIL, CS_OPT_ON);
	err = -ENOMEM;
	if (!(d->insn = cs_malloc(d->cs)))
		goto close;
	d->e = e;
	d->t = t;
	p = &d->paths[d->n_paths++];
	enter(e, p, addr);
	p->follows = 0;
	p->r[R_RDI].kind = V_CHAIN;   /* this */
	while (d->n_paths) {
		struct path cur = d->paths[--d->n_paths];

		run_path(d, &cur);
	}
	err = 0;
	cs_free(d->insn, 1);
close:
	cs_close(&d->cs);
cleanup:
	if (d)
		free(d->paths);
	free(d);
	return err;
}

/* ------------------------------------------------------------ facts --- */

#define MAX_PTRS 8

/* What one function's code shows. v: the field(s) it reads (num_pages:
 * v[0] the divisor, v[1] the dividend); ptrs: values it uses as pointers. */
struct fact {
	const char *label;
	bool ok;
	struct val v[2];
	struct val ptrs[MAX_PTRS];
	size_t n_ptrs;
	char how[256];
	char why[192];
};

static bool same_chain(const struct val *a, const struct val *b)
{
	return a->kind == V_CHAIN && b->kind == V_CHAIN && a->n == b->n &&
	       !memcmp(a->off, b->off, a->n * sizeof(a->off[0]));
}

static bool is_field(const struct val *v)
{
	return v->kind == V_CHAIN && v->n >= 1;
}

/* "[this+80]", "[[this+16]+64]" */
static void fmt_chain(const struct val *v, char *out, size_t size)
{
	char tmp[CHAIN_LEN];
	uint8_t i;

	snprintf(out, size, "this");
	for (i = 0; i < v->n; i++) {
		snprintf(tmp, sizeof(tmp), "[%s+%d]", out, v->off[i]);
		snprintf(out, size, "%s", tmp);
	}
}

static bool fail(struct fact *f, const char *why)
{
	snprintf(f->why, sizeof(f->why), "%s %s", f->label, why);
	f->ok = false;
	return false;
}

/* Every path returns the same field, loaded unchanged. */
static bool ex_ret(const struct trace *t, struct fact *f)
{
	const struct val *r = NULL;
	char c[CHAIN_LEN];
	size_t i;

	for (i = 0; i < t->n; i++) {
		const struct val *a = &t->ev[i].a;

		if (t->ev[i].kind != EV_RET)
			continue;
		if (!is_field(a) || a->derived)
			return fail(f, "has a path that returns something else than a field");
		if (r && !same_chain(r, a))
			return fail(f, "returns different fields on different paths");
		r = a;
	}
	if (!r)
		return fail(f, "has no path that returns");
	f->v[0] = *r;
	fmt_chain(r, c, sizeof(c));
	snprintf(f->how, sizeof(f->how), "%s loads a %d-bit value from %s and returns it",
		 f->label, r->width * 8, c);
	return f->ok = true;
}

/* Every division divides the same field by the same field. */
static bool ex_div(const struct trace *t, struct fact *f)
{
	const struct event *first = NULL;
	char a[CHAIN_LEN], b[CHAIN_LEN];
	size_t i;

	for (i = 0; i < t->n; i++) {
		const struct event *ev = &t->ev[i];

		if (ev->kind != EV_DIV)
			continue;
		if (!is_field(&ev->a) || !is_field(&ev->b) || ev->a.derived || ev->b.derived)
			return fail(f, "divides something else than a field by a field");
		if (first && (!same_chain(&first->a, &ev->a) || !same_chain(&first->b, &ev->b)))
			return fail(f, "divides different fields on different paths");
		first = ev;
	}
	if (!first)
		return fail(f, "has no division");
	f->v[0] = first->b;
	f->v[1] = first->a;
	fmt_chain(&first->a, a, sizeof(a));
	fmt_chain(&first->b, b, sizeof(b));
	snprintf(f->how, sizeof(f->how), "%s divides %s by %s", f->label, a, b);
	return f->ok = true;
}

/* The one field of the given width that the function compares (cmp, test,
 * and ...); NULL when none or several. */
static const struct val *compared_field(const struct trace *t, unsigned width, bool *several)
{
	const struct val *r = NULL;
	size_t i, k;

	*several = false;
	for (i = 0; i < t->n; i++) {
		const struct event *ev = &t->ev[i];
		const struct val *ops[2] = { &ev->a, &ev->b };

		for (k = 0; ev->kind == EV_CMP && k < 2; k++) {
			if (!is_field(ops[k]) || ops[k]->width != width)
				continue;
			if (r && !same_chain(r, ops[k]))
				*several = true;
			r = ops[k];
		}
	}
	return *several ? NULL : r;
}

/* Whether an instruction in ids compares (a value derived from) field with imm. */
static bool compares_with(const struct trace *t, const struct val *field, const unsigned *ids,
			  size_t n_ids, uint32_t imm)
{
	size_t i, k;

	for (i = 0; i < t->n; i++) {
		const struct event *ev = &t->ev[i];

		if (ev->kind != EV_CMP || !ev->has_imm || ev->imm != imm ||
		    !same_chain(&ev->a, field))
			continue;
		for (k = 0; k < n_ids; k++)
			if (ev->insn == ids[k])
				return true;
	}
	return false;
}

enum type_test { T_TRACE, T_DRAM, T_L1 };

static const unsigned cmp_ids[] = { X86_INS_CMP };
static const unsigned mask_ids[] = { X86_INS_TEST, X86_INS_AND };
static const unsigned zero_ids[] = { X86_INS_CMP, X86_INS_TEST };

/* Immediates consistent with DRAM = 0, L1 = 1, L1_SMALL = 3, TRACE = 4:
 * is_trace: == 4; is_dram: (t & ~4) == 0, or == 0 and == 4; is_l1:
 * (t & ~2) == 1, or == 1 / == 3. Returns what was seen, NULL if nothing. */
static const char *type_consistent(const struct trace *t, const struct val *v, enum type_test k)
{
	switch (k) {
	case T_TRACE:
		return compares_with(t, v, cmp_ids, 1, 4) ? "with 4 (TRACE)" : NULL;
	case T_DRAM:
		if (compares_with(t, v, mask_ids, 2, ~4u))
			return "masked with ~4: DRAM (0) or TRACE (4)";
		return compares_with(t, v, cmp_ids, 1, 4) && compares_with(t, v, zero_ids, 2, 0) ?
		       "with 0 (DRAM) and 4 (TRACE)" : NULL;
	case T_L1:
		if (compares_with(t, v, mask_ids, 2, ~2u) && compares_with(t, v, cmp_ids, 1, 1))
			return "masked with ~2, with 1: L1 (1) or L1_SMALL (3)";
		return compares_with(t, v, cmp_ids, 1, 1) && compares_with(t, v, cmp_ids, 1, 3) ?
		       "with 1 (L1) and 3 (L1_SMALL)" : NULL;
	}
	return NULL;
}

static bool ex_type(const struct trace *t, struct fact *f, enum type_test k)
{
	bool several;
	const struct val *v = compared_field(t, 4, &several);
	const char *seen;
	char c[CHAIN_LEN];

	if (several)
		return fail(f, "compares several 32-bit fields");
	if (!v)
		return fail(f, "compares no 32-bit field");
	seen = type_consistent(t, v, k);
	fmt_chain(v, c, sizeof(c));
	if (!seen)
		return fail(f, "compares a 32-bit field with values that do not fit BufferType");
	f->v[0] = *v;
	f->v[0].derived = false;
	snprintf(f->how, sizeof(f->how), "%s compares the 32-bit value at %s %s", f->label, c, seen);
	return f->ok = true;
}

/* region.offset + region.size <= size(): the one 64-bit field compared. */
static bool ex_region(const struct trace *t, struct fact *f)
{
	bool several;
	const struct val *v = compared_field(t, 8, &several);
	char c[CHAIN_LEN];

	if (several)
		return fail(f, "compares several 64-bit fields");
	if (!v || v->derived)
		return fail(f, "compares no 64-bit field");
	f->v[0] = *v;
	fmt_chain(v, c, sizeof(c));
	snprintf(f->how, sizeof(f->how), "%s compares region.offset + region.size with the 64-bit "
		 "value at %s", f->label, c);
	return f->ok = true;
}

static void add_ptr(struct fact *f, const struct val *v)
{
	size_t i;

	for (i = 0; i < f->n_ptrs; i++)
		if (same_chain(&f->ptrs[i], v))
			return;
	if (f->n_ptrs < MAX_PTRS)
		f->ptrs[f->n_ptrs++] = *v;
}

/* Fields used as pointers: the base of a load, or `this` of a call. */
static bool ex_ptrs(const struct trace *t, struct fact *f)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		const struct event *ev = &t->ev[i];
		struct val v = ev->a;

		if (ev->kind == EV_LOAD && v.n >= 2) {
			v.n--;
			v.width = 8;
			add_ptr(f, &v);
		} else if (ev->kind == EV_CALL && is_field(&v) && !v.derived) {
			add_ptr(f, &v);
		}
	}
	if (!f->n_ptrs)
		return fail(f, "uses no field as a pointer");
	return f->ok = true;
}

/* ------------------------------------------------------- the functions --- */

enum want_id {
	W_ALLOCATOR, W_ADDRESS, W_PAGE_SIZE, W_NUM_PAGES, W_IS_DRAM, W_IS_L1, W_IS_TRACE,
	W_IS_VALID_REGION, W_ALIGNMENT, W_DEVICE_ID, W_MESH_ID, W_DEVICE_VT, W_MESH_VT, N_WANTS
};

static const char *const want_names[N_WANTS] = {
	[W_ALLOCATOR] = NS "Buffer::allocator() const",
	[W_ADDRESS] = NS "Buffer::address() const",
	[W_PAGE_SIZE] = NS "Buffer::page_size() const",
	[W_NUM_PAGES] = NS "Buffer::num_pages() const",
	[W_IS_DRAM] = NS "Buffer::is_dram() const",
	[W_IS_L1] = NS "Buffer::is_l1() const",
	[W_IS_TRACE] = NS "Buffer::is_trace() const",
	[W_IS_VALID_REGION] = NS "Buffer::is_valid_region(" NS "BufferRegion const&) const",
	[W_ALIGNMENT] = NS "Buffer::alignment() const",
	[W_DEVICE_ID] = NS "Device::id() const",
	[W_MESH_ID] = NS "distributed::MeshDevice::id() const",
	[W_DEVICE_VT] = "vtable for " NS "Device",
	[W_MESH_VT] = "vtable for " NS "distributed::MeshDevice",
};

enum ex_kind { X_RET, X_DIV, X_TRACE, X_DRAM, X_L1, X_REGION, X_PTRS };

static const enum ex_kind want_kind[W_DEVICE_VT] = {
	[W_ALLOCATOR] = X_PTRS, [W_ADDRESS] = X_RET, [W_PAGE_SIZE] = X_RET,
	[W_NUM_PAGES] = X_DIV, [W_IS_DRAM] = X_DRAM, [W_IS_L1] = X_L1, [W_IS_TRACE] = X_TRACE,
	[W_IS_VALID_REGION] = X_REGION, [W_ALIGNMENT] = X_PTRS, [W_DEVICE_ID] = X_RET,
	[W_MESH_ID] = X_RET,
};

static const char *label_of(enum want_id w)
{
	return want_names[w] + strlen(NS);
}

static bool extract(const struct trace *t, struct fact *f, enum ex_kind k)
{
	switch (k) {
	case X_RET: return ex_ret(t, f);
	case X_DIV: return ex_div(t, f);
	case X_TRACE: return ex_type(t, f, T_TRACE);
	case X_DRAM: return ex_type(t, f, T_DRAM);
	case X_L1: return ex_type(t, f, T_L1);
	case X_REGION: return ex_region(t, f);
	case X_PTRS: return ex_ptrs(t, f);
	}
	return false;
}

/* Decode the function at addr (0: absent) and extract what kind k needs. */
static void study(const struct le_elf *e, uint64_t addr, struct trace *t, struct fact *f,
		  enum ex_kind k)
{
	char why[128];

	if (!addr) {
		fail(f, "is not in the library's symbol tables");
		return;
	}
	if (decode_function(e, addr, t)) {
		fail(f, "could not be decoded (capstone or memory error)");
		return;
	}
	if (t->fail) {
		snprintf(why, sizeof(why), "could not be decoded completely: %s", t->fail);
		fail(f, why);
		return;
	}
	extract(t, f, k);
}

static void study_wanted(const struct le_elf *e, const struct want *w, struct trace *t,
			 struct fact *facts)
{
	int i;

	for (i = 0; i < W_DEVICE_VT; i++) {
		memset(&facts[i], 0, sizeof(facts[i]));
		facts[i].label = label_of((enum want_id)i);
		study(e, w[i].found ? w[i].found->value : 0, t, &facts[i], want_kind[i]);
	}
}

static void set_field(struct le_field *f, enum le_state st, int32_t off, const char *fmt, ...)
{
	va_list ap;

	f->state = st;
	f->offset = st == LE_FOUND ? off : 0;
	va_start(ap, fmt);
	vsnprintf(f->evidence, sizeof(f->evidence), fmt, ap);
	va_end(ap);
}

/* The chain v without its last load: where the field lives. */
static struct val container(const struct val *v)
{
	struct val c = *v;

	c.n--;
	c.width = 8;
	c.derived = false;
	return c;
}

/* ----------------------------------------------------- Buffer's fields --- */

struct source {
	enum want_id w;
	int idx;  /* into fact.v */
};

static const struct source src_address[] = { { W_ADDRESS, 0 } };
static const struct source src_page_size[] = { { W_PAGE_SIZE, 0 }, { W_NUM_PAGES, 0 } };
static const struct source src_size[] = { { W_NUM_PAGES, 1 }, { W_IS_VALID_REGION, 0 } };
static const struct source src_type[] = { { W_IS_TRACE, 0 }, { W_IS_DRAM, 0 }, { W_IS_L1, 0 } };
static const struct source src_all[] = {
	{ W_ADDRESS, 0 }, { W_PAGE_SIZE, 0 }, { W_NUM_PAGES, 0 }, { W_NUM_PAGES, 1 },
	{ W_IS_VALID_REGION, 0 }, { W_IS_TRACE, 0 }, { W_IS_DRAM, 0 }, { W_IS_L1, 0 },
};
#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

/* Where the fields live: `this` (inline) or [this+P] (pimpl); every
 * accessor that matched must agree. Returns true with *base when proven. */
static bool decide_impl(const struct fact *fs, struct le_field *out, struct val *base)
{
	const struct fact *first = NULL;
	char a[CHAIN_LEN], b[CHAIN_LEN];
	size_t i;

	for (i = 0; i < N_OF(src_all); i++) {
		const struct fact *f = &fs[src_all[i].w];
		struct val c;

		if (!f->ok)
			continue;
		c = container(&f->v[src_all[i].idx]);
		if (first && !same_chain(&c, base)) {
			fmt_chain(base, a, sizeof(a));
			fmt_chain(&c, b, sizeof(b));
			set_field(out, LE_CONTRADICTION, 0, "impl_: %s reads fields of %s but %s of %s",
				  first->label, a, f->label, b);
			return false;
		}
		first = f;
		*base = c;
	}
	if (!first) {
		set_field(out, LE_UNKNOWN, 0, "impl_ unknown: no Buffer accessor matched (%s; %s)",
			  fs[W_ADDRESS].why, fs[W_PAGE_SIZE].why);
		return false;
	}
	fmt_chain(base, a, sizeof(a));
	if (base->n == 0)
		set_field(out, LE_FOUND, -1, "fields inline (no impl_): the accessors (%s, ...) "
			  "read them from this", first->label);
	else if (base->n == 1)
		set_field(out, LE_FOUND, base->off[0], "impl_ = %d: the accessors (%s, ...) read "
			  "every field through the pointer at %s", base->off[0], first->label, a);
	else
		set_field(out, LE_UNKNOWN, 0, "impl_ unknown: the accessors read the fields "
			  "through %s, more than one pointer deep", a);
	return base->n <= 1;
}

static void append(char *buf, size_t size, const char *sep, const char *s)
{
	size_t len = strlen(buf);

	if (len + 1 < size)
		snprintf(buf + len, size - len, "%s%s", len ? sep : "", s);
}

struct cand {
	const struct fact *f;
	int32_t off;
};

/* Offsets of the field in the impl/object at base, from every source that matched. */
static size_t candidates(const struct fact *fs, const struct source *src, size_t n,
			 const struct val *base, struct cand *out, char *why, size_t whylen)
{
	size_t i, k = 0;

	why[0] = '\0';
	for (i = 0; i < n; i++) {
		const struct fact *f = &fs[src[i].w];
		const struct val *v = &f->v[src[i].idx];
		struct val c;

		if (!f->ok) {
			append(why, whylen, "; ", f->why);
			continue;
		}
		c = container(v);
		if (same_chain(&c, base))
			out[k++] = (struct cand){ f, v->off[v->n - 1] };
		else
			append(why, whylen, "; ", "an accessor reads another object");
	}
	return k;
}

static void decide_cands(struct le_field *out, const char *name, const struct cand *c, size_t n,
			 const char *why)
{
	char hows[320] = "";
	size_t i;

	if (!n) {
		set_field(out, LE_UNKNOWN, 0, "%s unknown: %s", name, why);
		return;
	}
	for (i = 1; i < n; i++)
		if (c[i].off != c[0].off) {
			set_field(out, LE_CONTRADICTION, 0, "%s: %s says %d but %s says %d",
				  name, c[0].f->label, c[0].off, c[i].f->label, c[i].off);
			return;
		}
	for (i = 0; i < n; i++)
		append(hows, sizeof(hows), "; ", c[i].f->how);
	set_field(out, LE_FOUND, c[0].off, "%s = %d: %s", name, c[0].off, hows);
}

static void decide_field(const struct fact *fs, const struct source *src, size_t n,
			 const struct val *base, struct le_field *out, const char *name)
{
	struct cand c[4];
	char why[320];
	size_t k = candidates(fs, src, n, base, c, why, sizeof(why));

	decide_cands(out, name, c, k, why);
}

/* allocator_: the one field of the object at base that the function uses as
 * a pointer (allocator_->view(), allocator_->get_alignment()). */
static bool allocator_of(const struct fact *f, const struct val *base, struct fact *out)
{
	const struct val *hit = NULL;
	char c[CHAIN_LEN];
	size_t i;

	*out = *f;
	if (!f->ok)
		return false;
	for (i = 0; i < f->n_ptrs; i++) {
		const struct val *p = &f->ptrs[i];
		struct val cont;

		if (p->n != base->n + 1)
			continue;
		cont = container(p);
		if (!same_chain(&cont, base))
			continue;
		if (hit)
			return fail(out, "uses several fields of the object as pointers");
		hit = p;
	}
	if (!hit)
		return fail(out, "uses no field of the object as a pointer");
	fmt_chain(hit, c, sizeof(c));
	snprintf(out->how, sizeof(out->how), "%s uses the 64-bit value at %s as a pointer",
		 f->label, c);
	out->v[0] = *hit;
	return true;
}

static void decide_allocator(const struct fact *fs, const struct val *base, struct le_field *out)
{
	struct fact a[2];
	struct cand c[2];
	char why[320] = "";
	size_t i, k = 0;

	allocator_of(&fs[W_ALLOCATOR], base, &a[0]);
	allocator_of(&fs[W_ALIGNMENT], base, &a[1]);
	for (i = 0; i < 2; i++) {
		if (a[i].ok)
			c[k++] = (struct cand){ &a[i], a[i].v[0].off[a[i].v[0].n - 1] };
		else
			append(why, sizeof(why), "; ", a[i].why);
	}
	decide_cands(out, "allocator_", c, k, why);
}

static void decide_buffer(const struct fact *fs, struct layout_evidence *out)
{
	struct le_field *f = out->fields;
	struct val base = { .kind = V_CHAIN };
	int i;

	set_field(&f[LE_BUFFER_DEVICE], LE_UNKNOWN, 0, "device_ unknown: Buffer has no "
		  "out-of-line accessor of device_ (check it live against the Device and "
		  "MeshDevice vtables)");
	if (!decide_impl(fs, &f[LE_BUFFER_IMPL], &base)) {
		for (i = LE_BUFFER_SIZE; i <= LE_BUFFER_PAGE_SIZE; i++)
			set_field(&f[i], LE_UNKNOWN, 0, "%s unknown: where Buffer's fields live "
				  "is not proven (%s)", layout_evidence__field_name(i),
				  f[LE_BUFFER_IMPL].evidence);
		return;
	}
	decide_field(fs, src_address, N_OF(src_address), &base, &f[LE_BUFFER_ADDRESS], "address_");
	decide_field(fs, src_page_size, N_OF(src_page_size), &base, &f[LE_BUFFER_PAGE_SIZE],
		     "page_size_");
	decide_field(fs, src_size, N_OF(src_size), &base, &f[LE_BUFFER_SIZE], "size_");
	decide_field(fs, src_type, N_OF(src_type), &base, &f[LE_BUFFER_TYPE], "buffer_type_");
	decide_allocator(fs, &base, &f[LE_BUFFER_ALLOCATOR]);
}

/* ------------------------------------------------ devices and vtables --- */

static void id_field(const struct fact *f, struct le_field *out, const char *via)
{
	const struct val *v = &f->v[0];
	char c[CHAIN_LEN];

	if (!f->ok) {
		set_field(out, LE_UNKNOWN, 0, "Device::id_ unknown: %s", f->why);
		return;
	}
	fmt_chain(v, c, sizeof(c));
	if (v->n != 1 || v->width != 4) {
		set_field(out, LE_UNKNOWN, 0, "Device::id_ unknown: %s returns %s, not a 32-bit "
			  "field of the Device", f->label, c);
		return;
	}
	set_field(out, LE_FOUND, v->off[0], "Device::id_ = %d: %s%s", v->off[0], via, f->how);
}

/* Where a vtable slot points: its R_X86_64_RELATIVE addend or its symbol. */
static uint64_t reloc_target(const struct le_reloc *r)
{
	if (r->type == R_X86_64_RELATIVE)
		return (uint64_t)r->addend;
	return r->sym_value ? r->sym_value + (uint64_t)r->addend : 0;
}

static uint64_t vtable_end(const struct le_sym *vt)
{
	return vt->value + (vt->size ? vt->size : 4096);
}

/* The slot (from the address point) of vt that holds fn; -1 if none. */
static int slot_of(const struct le_elf *e, const struct le_sym *vt, const struct le_sym *fn)
{
	struct le_reloc *r = calloc(MAX_RELOCS, sizeof(*r));
	uint64_t ap = vt->value + 16;
	size_t i, n = r ? relocs_in(e, ap, vtable_end(vt), r, MAX_RELOCS) : 0;
	int slot = -1;

	for (i = 0; i < n && slot < 0; i++)
		if (reloc_target(&r[i]) == fn->value || !strcmp(r[i].sym_name, fn->name))
			slot = (int)((r[i].offset - ap) / 8);
	free(r);
	return slot;
}

static uint64_t slot_entry(const struct le_elf *e, const struct le_sym *vt, int slot)
{
	uint64_t at = vt->value + 16 + 8 * (uint64_t)slot;
	struct le_reloc r[2];

	if (at + 8 > vtable_end(vt) || relocs_in(e, at, at + 8, r, 2) != 1)
		return 0;
	return reloc_target(&r[0]);
}

static void id_by_slot(const struct le_elf *e, const struct want *w, struct trace *t,
		       struct layout_evidence *out)
{
	const struct le_sym *dvt = w[W_DEVICE_VT].found, *mvt = w[W_MESH_VT].found;
	const struct le_sym *mid = w[W_MESH_ID].found;
	struct le_field *f = &out->fields[LE_DEVICE_ID];
	struct fact fact = { .label = "the Device vtable's id() slot" };
	char via[128];
	uint64_t fn;
	int slot;

	if (!dvt || !mvt || !mid) {
		set_field(f, LE_UNKNOWN, 0, "Device::id_ unknown: Device::id() const is not in the "
			  "symbol tables, and %s is missing for the vtable-slot method",
			  !dvt ? "Device's vtable" : !mvt ? "MeshDevice's vtable" : "MeshDevice::id()");
		return;
	}
	slot = slot_of(e, mvt, mid);
	fn = slot >= 0 ? slot_entry(e, dvt, slot) : 0;
	if (!fn) {
		set_field(f, LE_UNKNOWN, 0, "Device::id_ unknown: %s", slot < 0 ?
			  "no slot of MeshDevice's vtable holds MeshDevice::id() const" :
			  "the Device vtable's slot of id() has no relocation");
		return;
	}
	study(e, fn, t, &fact, X_RET);
	out->device_id_method = LE_ID_VTABLE_SLOT;
	out->device_id_slot = slot;
	snprintf(via, sizeof(via), "slot %d of the Device vtable (MeshDevice::id()'s slot) -> "
		 "0x%llx: ", slot, (unsigned long long)fn);
	id_field(&fact, f, via);
}

static void decide_device_id(const struct le_elf *e, const struct want *w, const struct fact *fs,
			     struct trace *t, struct layout_evidence *out)
{
	if (!w[W_DEVICE_ID].found) {
		id_by_slot(e, w, t, out);
		return;
	}
	out->device_id_method = LE_ID_SYMTAB;
	id_field(&fs[W_DEVICE_ID], &out->fields[LE_DEVICE_ID], "");
}

static void decide_mesh(const struct fact *f, struct layout_evidence *out)
{
	struct le_field *ptr = &out->fields[LE_MESH_ID_PTR], *id = &out->fields[LE_MESH_ID];
	const struct val *v = &f->v[0];

	if (!f->ok) {
		set_field(ptr, LE_UNKNOWN, 0, "MeshDevice id unknown: %s", f->why);
		set_field(id, LE_UNKNOWN, 0, "MeshDevice id unknown: %s", f->why);
		return;
	}
	if (v->width != 4 || v->n > 2) {
		set_field(ptr, LE_UNKNOWN, 0, "MeshDevice id unknown: %s does not return a 32-bit "
			  "field at most one pointer away", f->label);
		set_field(id, LE_UNKNOWN, 0, "%s", ptr->evidence);
		return;
	}
	if (v->n == 1)
		set_field(ptr, LE_FOUND, -1, "MeshDevice id inline (no pointer): %s", f->how);
	else
		set_field(ptr, LE_FOUND, v->off[0], "MeshDevice id pointer = %d: %s", v->off[0],
			  f->how);
	set_field(id, LE_FOUND, v->off[v->n - 1], "MeshDevice id = %d: %s", v->off[v->n - 1],
		  f->how);
}

static void fill_vtable(const struct le_sym *s, struct le_vtable *vt)
{
	if (!s)
		return;
	vt->found = true;
	vt->vaddr = s->value;
	vt->address_point = s->value + 16;
	vt->size = s->size;
}

/* --------------------------------------------------------------- API --- */

const char *layout_evidence__field_name(enum le_field_id id)
{
	static const char *const names[LE_N_FIELDS] = {
		"impl_", "device_", "size_", "buffer_type_", "allocator_", "address_",
		"page_size_", "Device::id_", "MeshDevice id pointer", "MeshDevice id",
	};

	return (unsigned)id < LE_N_FIELDS ? names[id] : "?";
}

static void init_result(struct layout_evidence *out)
{
	int i;

	memset(out, 0, sizeof(*out));
	out->device_id_slot = -1;
	for (i = 0; i < LE_N_FIELDS; i++)
		set_field(&out->fields[i], LE_UNKNOWN, 0, "%s unknown: not examined",
			  layout_evidence__field_name(i));
}

static void analyse(const struct le_elf *e, struct trace *t, struct fact *facts,
		    struct layout_evidence *out)
{
	struct want w[N_WANTS];
	int i;

	for (i = 0; i < N_WANTS; i++)
		w[i] = (struct want){ .name = want_names[i] };
	find_wanted(e, w, N_WANTS);
	study_wanted(e, w, t, facts);
	decide_buffer(facts, out);
	decide_device_id(e, w, facts, t, out);
	decide_mesh(&facts[W_MESH_ID], out);
	fill_vtable(w[W_DEVICE_VT].found, &out->device_vtable);
	fill_vtable(w[W_MESH_VT].found, &out->mesh_device_vtable);
}

int layout_evidence__read(const char *lib_path, struct layout_evidence *out, char *err,
			  size_t errlen)
{
	struct trace *t = NULL;
	struct fact *facts = NULL;
	struct le_elf e;
	int ret;

	init_result(out);
	ret = elf_open_lib(&e, lib_path, err, errlen);
	if (ret)
		goto cleanup;
	out->has_symtab = e.has_symtab;
	t = malloc(sizeof(*t));
	facts = calloc(W_DEVICE_VT, sizeof(*facts));
	if (!t || !facts) {
		ret = -ENOMEM;
		set_err(err, errlen, "out of memory reading the layout evidence of %s", lib_path);
		goto cleanup;
	}
	analyse(&e, t, facts, out);
cleanup:
	free(facts);
	free(t);
	elf_close(&e);
	return ret;
}

unsigned layout_evidence__apply(const struct layout_evidence *ev, struct layout *out)
{
	static const struct { enum le_field_id id; size_t off; } map[] = {
		{ LE_BUFFER_DEVICE, offsetof(struct layout, off_device) },
		{ LE_BUFFER_SIZE, offsetof(struct layout, off_size) },
		{ LE_BUFFER_TYPE, offsetof(struct layout, off_type) },
		{ LE_BUFFER_ALLOCATOR, offsetof(struct layout, off_allocator) },
		{ LE_BUFFER_ADDRESS, offsetof(struct layout, off_address) },
		{ LE_BUFFER_PAGE_SIZE, offsetof(struct layout, off_page_size) },
	};
	const struct le_field *f = ev->fields;
	unsigned missing = 0;
	size_t i;

	for (i = 0; i < N_OF(map); i++) {
		if (f[map[i].id].state == LE_FOUND && f[map[i].id].offset >= 0)
			*(uint32_t *)((char *)out + map[i].off) = (uint32_t)f[map[i].id].offset;
		else
			missing |= 1u << map[i].id;
	}
	if (f[LE_BUFFER_IMPL].state == LE_FOUND)
		out->buffer_impl_offset = f[LE_BUFFER_IMPL].offset;
	else
		missing |= 1u << LE_BUFFER_IMPL;
	if (f[LE_DEVICE_ID].state == LE_FOUND)
		out->device_id_offset = f[LE_DEVICE_ID].offset;
	else
		missing |= 1u << LE_DEVICE_ID;
	return missing;
}
