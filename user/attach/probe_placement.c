// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <capstone/capstone.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "attach/probe_placement.h"

#define ENDBR64_LEN 4
#define MAX_FUNCTION_BYTES (256 * 1024)

static bool is_endbr64(const uint8_t *code, size_t len)
{
	static const uint8_t endbr64[ENDBR64_LEN] = { 0xf3, 0x0f, 0x1e, 0xfa };

	return len >= ENDBR64_LEN && memcmp(code, endbr64, ENDBR64_LEN) == 0;
}

/* Instructions the kernel emulates rather than single-steps: push of a
 * general register, one-byte nop, direct jmp. */
static bool is_emulated(const uint8_t *code, size_t len)
{
	if (len >= 1 && ((code[0] >= 0x50 && code[0] <= 0x57) || code[0] == 0x90 ||
			 code[0] == 0xe9 || code[0] == 0xeb))
		return true;
	return len >= 2 && code[0] == 0x41 && code[1] >= 0x50 && code[1] <= 0x57;
}

/* Decode the whole function; false when any direct branch lands on target or
 * the code does not decode to its end (then nothing can be proven). */
static bool nothing_lands_on(const uint8_t *code, size_t len, uint64_t target)
{
	csh handle;
	cs_insn *insn;
	size_t n, i, decoded = 0;
	bool safe = true;

	if (cs_open(CS_ARCH_X86, CS_MODE_64, &handle) != CS_ERR_OK)
		return false;
	cs_option(handle, CS_OPT_DETAIL, CS_OPT_ON);
	n = cs_disasm(handle, code, len, 0, 0, &insn);
	for (i = 0; i < n && safe; i++) {
		const cs_detail *d = insn[i].detail;
		uint8_t g;
		bool branch = false;

		for (g = 0; g < d->groups_count; g++)
			branch |= d->groups[g] == CS_GRP_JUMP || d->groups[g] == CS_GRP_CALL;
		if (branch) {
			uint8_t k;

			for (k = 0; k < d->x86.op_count; k++)
				if (d->x86.operands[k].type == X86_OP_IMM &&
				    (uint64_t)d->x86.operands[k].imm == target)
					safe = false;
		}
		decoded += insn[i].size;
	}
	if (n)
		cs_free(insn, n);
	cs_close(&handle);
	return safe && decoded == len;
}

size_t probe_placement__skip(const uint8_t *code, size_t len)
{
	if (!is_endbr64(code, len) || !is_emulated(code + ENDBR64_LEN, len - ENDBR64_LEN))
		return 0;
	return nothing_lands_on(code, len, ENDBR64_LEN) ? ENDBR64_LEN : 0;
}

static void place(int fd, struct probe_target *t)
{
	size_t len = t->size < MAX_FUNCTION_BYTES ? (size_t)t->size : MAX_FUNCTION_BYTES;
	uint8_t *code;
	ssize_t n;

	if (t->size == 0 || t->size > MAX_FUNCTION_BYTES || !(code = malloc(len)))
		return;
	n = pread(fd, code, len, (off_t)t->file_offset);
	if (n == (ssize_t)len) {
		t->skipped = probe_placement__skip(code, len);
		t->file_offset += t->skipped;
		t->vaddr += t->skipped;
	}
	free(code);
}

void probe_placement__apply(const char *lib_path, struct probe_plan *plan)
{
	int fd = open(lib_path, O_RDONLY | O_CLOEXEC);
	size_t id, i;

	if (fd < 0)
		return;
	for (id = 0; id < PROBE_MAX; id++)
		for (i = 0; i < plan->n_targets[id]; i++)
			place(fd, &plan->targets[id][i]);
	close(fd);
}
