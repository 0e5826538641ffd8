// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * insn_survey: what the functions the tracer probes start with, in each
 * library given, disassembled with capstone.
 *
 *   insn_survey LIB...
 *
 * For every probe of the tracer's plan (user/probes.c, the same offsets the
 * tracer attaches at) it prints, as JSON, the instructions of the prologue up
 * to the first branch (at most 8), with the registers each reads and writes,
 * and every offset inside the function that a branch of the function itself
 * jumps to: a probe moved onto such an instruction would fire on those jumps
 * too. bench/harness/placement.py decides from this and from the measured
 * cost of each instruction kind where a probe could safely go.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <capstone/capstone.h>
#include "attach/probes.h"

#define MAX_PROLOGUE 8
#define MAX_FUNC_BYTES (1 << 20)

/* The file offset's virtual address and the size of the function there. */
static uint64_t function_size(Elf *elf, uint64_t file_offset)
{
	uint64_t vaddr = 0, size = 0;
	Elf_Scn *scn = NULL;
	size_t i, n;

	if (elf_getphdrnum(elf, &n))
		return 0;
	for (i = 0; i < n; i++) {
		GElf_Phdr ph;

		if (gelf_getphdr(elf, (int)i, &ph) && ph.p_type == PT_LOAD &&
		    file_offset >= ph.p_offset && file_offset < ph.p_offset + ph.p_filesz)
			vaddr = file_offset - ph.p_offset + ph.p_vaddr;
	}
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *data;
		size_t k;

		if (!gelf_getshdr(scn, &sh) || (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM) ||
		    !sh.sh_entsize || !(data = elf_getdata(scn, NULL)))
			continue;
		for (k = 0; k < sh.sh_size / sh.sh_entsize; k++) {
			GElf_Sym sym;

			if (gelf_getsym(data, (int)k, &sym) && GELF_ST_TYPE(sym.st_info) == STT_FUNC &&
			    sym.st_value == vaddr && sym.st_size > size)
				size = sym.st_size;
		}
	}
	return size;
}

static bool is_branch(const cs_insn *insn)
{
	uint8_t i;

	for (i = 0; i < insn->detail->groups_count; i++)
		switch (insn->detail->groups[i]) {
		case CS_GRP_JUMP: case CS_GRP_CALL: case CS_GRP_RET: case CS_GRP_IRET:
		case CS_GRP_INT:
			return true;
		}
	return false;
}

static void print_regs(csh cs, const char *name, const uint16_t *regs, uint8_t n)
{
	uint8_t i;

	printf(",\"%s\":[", name);
	for (i = 0; i < n; i++)
		printf("%s\"%s\"", i ? "," : "", cs_reg_name(cs, regs[i]));
	printf("]");
}

static void print_insn(csh cs, const cs_insn *insn, uint64_t entry)
{
	cs_regs rd, wr;
	uint8_t n_rd = 0, n_wr = 0;
	uint16_t i;

	printf("{\"off\":%llu,\"bytes\":\"", (unsigned long long)(insn->address - entry));
	for (i = 0; i < insn->size; i++)
		printf("%02x", insn->bytes[i]);
	printf("\",\"mnemonic\":\"%s\",\"op_str\":\"%s\",\"branch\":%s", insn->mnemonic, insn->op_str,
	       is_branch(insn) ? "true" : "false");
	if (cs_regs_access(cs, insn, rd, &n_rd, wr, &n_wr) != CS_ERR_OK)
		n_rd = n_wr = 0;
	print_regs(cs, "reads", rd, n_rd);
	print_regs(cs, "writes", wr, n_wr);
	printf("}");
}

/* Offsets inside the function that its own relative branches jump to. */
static void print_targets(csh cs, const uint8_t *code, size_t size, uint64_t entry)
{
	cs_insn *insn = cs_malloc(cs);
	const uint8_t *p = code;
	uint64_t addr = entry, end = entry + size;
	bool first = true;

	printf(",\"branch_targets\":[");
	while (insn && size && cs_disasm_iter(cs, &p, &size, &addr, insn)) {
		const cs_x86 *x = &insn->detail->x86;

		if (!is_branch(insn) || x->op_count != 1 || x->operands[0].type != X86_OP_IMM)
			continue;
		if ((uint64_t)x->operands[0].imm > entry && (uint64_t)x->operands[0].imm < end) {
			printf("%s%llu", first ? "" : ",",
			       (unsigned long long)(x->operands[0].imm - entry));
			first = false;
		}
	}
	printf("]");
	cs_free(insn, 1);
}

static int survey_function(csh cs, int fd, Elf *elf, const struct probe_target *t, const char *label)
{
	/* The function's entry: the tracer may place its probe further on. */
	uint64_t entry = t->file_offset - t->moved;
	uint64_t size = function_size(elf, entry);
	size_t len = size && size < MAX_FUNC_BYTES ? size : 64, n, i;
	uint8_t *code = malloc(len);
	cs_insn *insn = NULL;

	if (!code || pread(fd, code, len, (off_t)entry) != (ssize_t)len) {
		free(code);
		return -EIO;
	}
	printf("{\"probe\":\"%s\",\"bpf_program\":\"%s\",\"function\":\"%s\",\"offset\":%llu,"
	       "\"size\":%llu,\"tracer_moved\":%u,\"tracer_site\":\"%s\",\"prologue\":[", label,
	       t->bpf_program, t->demangled, (unsigned long long)entry, (unsigned long long)size,
	       t->moved, t->site_insn);
	/* Addresses are file offsets: only differences are used. */
	n = cs_disasm(cs, code, len, entry, MAX_PROLOGUE, &insn);
	for (i = 0; i < n; i++) {
		if (i)
			printf(",");
		print_insn(cs, &insn[i], entry);
		if (is_branch(&insn[i]))
			break;
	}
	printf("]");
	print_targets(cs, code, size ? len : 0, entry);
	printf("}");
	cs_free(insn, n);
	free(code);
	return 0;
}

static int survey_library(csh cs, const char *path)
{
	struct probe_plan plan;
	size_t id, i;
	bool first = true;
	Elf *elf;
	int fd, err = probes__resolve(path, &plan);

	if (err) {
		fprintf(stderr, "insn_survey: %s: %s\n", path, strerror(-err));
		return err;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	elf = fd >= 0 ? elf_begin(fd, ELF_C_READ_MMAP, NULL) : NULL;
	if (!elf) {
		fprintf(stderr, "insn_survey: cannot read %s\n", path);
		if (fd >= 0)
			close(fd);
		return -EIO;
	}
	printf("{\"path\":\"%s\",\"functions\":[", path);
	for (id = 0; id < PROBE_MAX && !err; id++) {
		if (!plan.wanted[id])
			continue;
		for (i = 0; i < plan.n_targets[id] && !err; i++) {
			if (!first)
				printf(",");
			first = false;
			err = survey_function(cs, fd, elf, &plan.targets[id][i], probes__def(id)->label);
		}
	}
	printf("]}");
	elf_end(elf);
	close(fd);
	return err;
}

int main(int argc, char **argv)
{
	csh cs;
	int i, err = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: insn_survey LIB...\n");
		return 2;
	}
	elf_version(EV_CURRENT);
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &cs) != CS_ERR_OK) {
		fprintf(stderr, "insn_survey: capstone cannot open x86-64\n");
		return 1;
	}
	cs_option(cs, CS_OPT_DETAIL, CS_OPT_ON);
	printf("{\"libraries\":[");
	for (i = 1; i < argc && !err; i++) {
		if (i > 1)
			printf(",");
		err = survey_library(cs, argv[i]);
	}
	printf("]}\n");
	cs_close(&cs);
	return err ? 1 : 0;
}
