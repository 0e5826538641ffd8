// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <capstone/capstone.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include "ttleak_args.h"
#include "attach/probe_site.h"

#define MAX_WALK 32   /* instructions followed from the entry */
#define MAX_SLOTS 32  /* 8-byte stack slots below the entry's rsp that are followed */
#define NONE (-1)

/* x86 encoding of the SysV argument registers: rdi, rsi, rdx, rcx, r8, r9. */
static const uint8_t abi_reg[TTLEAK_ARGS_MAX] = { 7, 6, 2, 1, 8, 9 };
static const char *const reg_name[16] = { "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
					  "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15" };

/* What the instructions from the entry did to the arguments. */
struct walk {
	int8_t reg[16];          /* argument each register holds, NONE */
	int8_t slot[MAX_SLOTS];  /* argument at entry rsp - 8 * (k + 1), NONE */
	int32_t sp;              /* rsp minus the entry's rsp, bytes */
};

/* Every name capstone has for a part of a general register -> its number. */
static int gpr(x86_reg r)
{
	static const x86_reg names[16][5] = {
		{ X86_REG_RAX, X86_REG_EAX, X86_REG_AX, X86_REG_AL, X86_REG_AH },
		{ X86_REG_RCX, X86_REG_ECX, X86_REG_CX, X86_REG_CL, X86_REG_CH },
		{ X86_REG_RDX, X86_REG_EDX, X86_REG_DX, X86_REG_DL, X86_REG_DH },
		{ X86_REG_RBX, X86_REG_EBX, X86_REG_BX, X86_REG_BL, X86_REG_BH },
		{ X86_REG_RSP, X86_REG_ESP, X86_REG_SP, X86_REG_SPL, X86_REG_SPL },
		{ X86_REG_RBP, X86_REG_EBP, X86_REG_BP, X86_REG_BPL, X86_REG_BPL },
		{ X86_REG_RSI, X86_REG_ESI, X86_REG_SI, X86_REG_SIL, X86_REG_SIL },
		{ X86_REG_RDI, X86_REG_EDI, X86_REG_DI, X86_REG_DIL, X86_REG_DIL },
		{ X86_REG_R8, X86_REG_R8D, X86_REG_R8W, X86_REG_R8B, X86_REG_R8B },
		{ X86_REG_R9, X86_REG_R9D, X86_REG_R9W, X86_REG_R9B, X86_REG_R9B },
		{ X86_REG_R10, X86_REG_R10D, X86_REG_R10W, X86_REG_R10B, X86_REG_R10B },
		{ X86_REG_R11, X86_REG_R11D, X86_REG_R11W, X86_REG_R11B, X86_REG_R11B },
		{ X86_REG_R12, X86_REG_R12D, X86_REG_R12W, X86_REG_R12B, X86_REG_R12B },
		{ X86_REG_R13, X86_REG_R13D, X86_REG_R13W, X86_REG_R13B, X86_REG_R13B },
		{ X86_REG_R14, X86_REG_R14D, X86_REG_R14W, X86_REG_R14B, X86_REG_R14B },
		{ X86_REG_R15, X86_REG_R15D, X86_REG_R15W, X86_REG_R15B, X86_REG_R15B },
	};
	int n, k;

	for (n = 0; n < 16; n++)
		for (k = 0; k < 5; k++)
			if (names[n][k] == r)
				return n;
	return NONE;
}

/*
 * Instructions the kernel emulates instead of single-stepping (arch/x86/
 * kernel/uprobes.c; make bench measures each): push of a register, one-byte
 * nop, direct jmp, direct call, jcc. Judged on the bytes, as the kernel does:
 * a prefix (other than REX.B on push) makes it step.
 */
static bool is_emulated(const uint8_t *c, size_t len)
{
	if (len >= 1 && ((c[0] >= 0x50 && c[0] <= 0x57) || c[0] == 0x90 || c[0] == 0xe8 ||
			 c[0] == 0xe9 || c[0] == 0xeb || (c[0] >= 0x70 && c[0] <= 0x7f)))
		return true;
	if (len >= 2 && c[0] == 0x41 && c[1] >= 0x50 && c[1] <= 0x57)
		return true;
	return len >= 2 && c[0] == 0x0f && c[1] >= 0x80 && c[1] <= 0x8f;
}

static bool in_group(const cs_insn *insn, uint8_t group)
{
	uint8_t g;

	for (g = 0; g < insn->detail->groups_count; g++)
		if (insn->detail->groups[g] == group)
			return true;
	return false;
}

/* Whether an indirect jmp may land anywhere (a jump table). In a function
 * built with -fcf-protection (it starts with endbr64) a jmp without the
 * notrack prefix may only land on an endbr64: lands_before() checks none is
 * before the site. */
static bool jumps_anywhere(const cs_insn *insn, bool cet)
{
	const cs_x86 *x = &insn->detail->x86;

	if (x->op_count == 1 && x->operands[0].type == X86_OP_MEM &&
	    x->operands[0].mem.base == X86_REG_RIP)
		return false; /* through the GOT: a tail call out */
	return !cet || x->prefix[1] == X86_PREFIX_DS;
}

/* Whether something may jump into (0, upto]: a direct branch of the
 * function, an indirect one whose targets are unknown, or (-fcf-protection)
 * an endbr64 there that a tracked indirect jmp may land on. */
static bool lands_before(const cs_insn *insn, size_t n, uint64_t base, uint64_t upto)
{
	bool cet = n && insn[0].id == X86_INS_ENDBR64;
	size_t i;

	for (i = 0; i < n; i++) {
		const cs_x86 *x = &insn[i].detail->x86;
		bool jump = in_group(&insn[i], CS_GRP_JUMP);

		if (insn[i].id == X86_INS_ENDBR64 && insn[i].address > base &&
		    insn[i].address <= base + upto)
			return true;
		if (!jump && !in_group(&insn[i], CS_GRP_CALL))
			continue;
		if (x->op_count == 1 && x->operands[0].type == X86_OP_IMM) {
			uint64_t t = (uint64_t)x->operands[0].imm;

			if (t > base && t <= base + upto)
				return true;
		} else if (jump && jumps_anywhere(&insn[i], cet)) {
			return true;
		}
	}
	return false;
}

/* The byte saying where argument a is now, or -1 when it is gone. Its own
 * register first (byte 0), then another register (no memory read in BPF),
 * then a stack slot at or above rsp. */
static int locate(const struct walk *w, int a)
{
	int r, k;

	if (w->reg[abi_reg[a]] == a)
		return 0;
	for (r = 0; r < 16; r++)
		if (w->reg[r] == a && r != 4)
			return TTLEAK_ARG_REG | r;
	for (k = 0; k < MAX_SLOTS; k++) {
		int32_t off = -8 * (k + 1) - w->sp;

		if (w->slot[k] == a && off >= 0 && off % 8 == 0 && off / 8 <= TTLEAK_ARG_STACK_MASK)
			return TTLEAK_ARG_STACK | (off / 8);
	}
	return NONE;
}

/* Where the return address the call pushed is, relative to rsp here. */
static uint8_t ret_slot(const struct walk *w)
{
	return w->sp <= 0 && -w->sp % 8 == 0 && -w->sp / 8 < TTLEAK_RET_SLOT_UNKNOWN ?
	       (uint8_t)(-w->sp / 8) : TTLEAK_RET_SLOT_UNKNOWN;
}

/* The cookie for the arguments in args, or false when one is gone. */
static bool locate_all(const struct walk *w, uint8_t args, uint64_t *cookie)
{
	int a;

	*cookie = 0;
	for (a = 0; a < TTLEAK_ARGS_MAX; a++) {
		int where;

		if (!(args & (1u << a)))
			continue;
		where = locate(w, a);
		if (where == NONE)
			return false;
		*cookie |= (uint64_t)where << (8 * a);
	}
	*cookie |= (uint64_t)ret_slot(w) << (8 * TTLEAK_RET_SLOT_BYTE);
	return true;
}

/* Slot index of the 8 bytes at entry rsp + rel, or NONE. */
static int slot_of(int32_t rel)
{
	int k = -rel / 8 - 1;

	return rel < 0 && rel % 8 == 0 && k < MAX_SLOTS ? k : NONE;
}

static bool is_reg64(const cs_x86_op *op)
{
	return op->type == X86_OP_REG && op->size == 8 && gpr(op->reg) != NONE;
}

/* push, pop, rsp += imm, register copies, stores of a register to the stack:
 * the moves that keep an argument. True when handled here. */
static bool follow_move(struct walk *w, const cs_insn *insn)
{
	const cs_x86 *x = &insn->detail->x86;
	const cs_x86_op *o0 = &x->operands[0], *o1 = &x->operands[1];
	int k;

	switch (insn->id) {
	case X86_INS_PUSH:
		w->sp -= 8;
		if ((k = slot_of(w->sp)) != NONE)
			w->slot[k] = is_reg64(o0) ? w->reg[gpr(o0->reg)] : NONE;
		return true;
	case X86_INS_POP:
		if (!is_reg64(o0) || gpr(o0->reg) == 4)
			return false;
		k = slot_of(w->sp);
		w->reg[gpr(o0->reg)] = k == NONE ? NONE : w->slot[k];
		w->sp += 8;
		return true;
	case X86_INS_SUB:
	case X86_INS_ADD:
		if (x->op_count != 2 || o0->type != X86_OP_REG || o0->reg != X86_REG_RSP ||
		    o1->type != X86_OP_IMM)
			return false;
		w->sp += (int32_t)(insn->id == X86_INS_SUB ? -o1->imm : o1->imm);
		return true;
	case X86_INS_MOV:
		if (x->op_count != 2 || !is_reg64(o1))
			return false;
		if (is_reg64(o0) && gpr(o0->reg) != 4) {
			w->reg[gpr(o0->reg)] = w->reg[gpr(o1->reg)];
			return true;
		}
		if (o0->type == X86_OP_MEM && o0->mem.base == X86_REG_RSP &&
		    o0->mem.index == X86_REG_INVALID && (k = slot_of(w->sp + (int32_t)o0->mem.disp)) != NONE) {
			w->slot[k] = w->reg[gpr(o1->reg)];
			return true;
		}
		return false;
	default:
		return false;
	}
}

/* Anything else: the registers it writes lose their argument, a store to
 * memory may overwrite any slot; false when rsp moves in a way not followed. */
static bool follow_other(csh handle, struct walk *w, const cs_insn *insn)
{
	cs_regs rd, wr;
	uint8_t n_rd, n_wr, i;

	if (cs_regs_access(handle, insn, rd, &n_rd, wr, &n_wr) != CS_ERR_OK)
		return false;
	for (i = 0; i < n_wr; i++) {
		int r = gpr(wr[i]);

		if (r == 4)
			return false;
		if (r != NONE)
			w->reg[r] = NONE;
	}
	for (i = 0; i < insn->detail->x86.op_count; i++)
		if (insn->detail->x86.operands[i].type == X86_OP_MEM &&
		    (insn->detail->x86.operands[i].access & CS_AC_WRITE))
			memset(w->slot, NONE, sizeof(w->slot));
	return true;
}

static bool ends_straight_line(const cs_insn *insn)
{
	return in_group(insn, CS_GRP_JUMP) || in_group(insn, CS_GRP_CALL) ||
	       in_group(insn, CS_GRP_RET) || in_group(insn, CS_GRP_INT) || insn->id == X86_INS_HLT ||
	       insn->id == X86_INS_UD2 || insn->id == X86_INS_SYSCALL;
}

static void walk_init(struct walk *w)
{
	int a;

	memset(w->reg, NONE, sizeof(w->reg));
	memset(w->slot, NONE, sizeof(w->slot));
	w->sp = 0;
	for (a = 0; a < TTLEAK_ARGS_MAX; a++)
		w->reg[abi_reg[a]] = (int8_t)a;
}

/* Follow the instructions from the entry; the index of the site, or -1. */
static int walk(csh handle, const cs_insn *insn, size_t n, uint8_t args, uint64_t *cookie)
{
	struct walk w;
	size_t i;

	walk_init(&w);
	for (i = 0; i < n && i < MAX_WALK; i++) {
		const uint8_t *bytes = insn[i].bytes;

		if (is_emulated(bytes, insn[i].size) && locate_all(&w, args, cookie))
			return (int)i;
		if (ends_straight_line(&insn[i]))
			return NONE;
		if (!follow_move(&w, &insn[i]) && !follow_other(handle, &w, &insn[i]))
			return NONE;
		if (!locate_all(&w, args, cookie))
			return NONE; /* an argument is gone for good */
	}
	return NONE;
}

static void entry_site(struct probe_site *site)
{
	memset(site, 0, sizeof(*site));
}

void probe_site__find(const uint8_t *code, size_t len, uint64_t vaddr, uint8_t args,
		      struct probe_site *site)
{
	csh handle;
	cs_insn *insn = NULL;
	size_t n, i, decoded = 0;
	int at;

	entry_site(site);
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &handle) != CS_ERR_OK)
		return;
	cs_option(handle, CS_OPT_DETAIL, CS_OPT_ON);
	n = cs_disasm(handle, code, len, vaddr, 0, &insn);
	for (i = 0; i < n; i++)
		decoded += insn[i].size;
	if (n && decoded == len) {
		at = walk(handle, insn, n, args, &site->cookie);
		if (at > 0 && !lands_before(insn, n, vaddr, insn[at].address - vaddr))
			site->offset = (uint32_t)(insn[at].address - vaddr);
		else
			site->cookie = 0;
		at = at > 0 && site->offset ? at : 0;
		/* bounded: a 64-byte line, as list-probes prints it */
		snprintf(site->insn, sizeof(site->insn), "%.15s%s%.47s", insn[at].mnemonic,
			 insn[at].op_str[0] ? " " : "", insn[at].op_str);
	}
	if (n)
		cs_free(insn, n);
	cs_close(&handle);
}

void probe_site__describe(uint64_t cookie, uint8_t args, char *buf, size_t size)
{
	size_t used = 0;
	int a;

	buf[0] = '\0';
	for (a = 0; a < TTLEAK_ARGS_MAX && used < size; a++) {
		unsigned b = TTLEAK_ARG_BYTE(cookie, a);
		const char *sep = used ? " " : "";
		int w;

		if (!(args & (1u << a)))
			continue;
		if (b & TTLEAK_ARG_STACK)
			w = snprintf(buf + used, size - used, "%s%s=%u(%%rsp)", sep,
				     reg_name[abi_reg[a]], 8 * (b & TTLEAK_ARG_STACK_MASK));
		else
			w = snprintf(buf + used, size - used, "%s%s=%%%s", sep, reg_name[abi_reg[a]],
				     reg_name[b ? (b & TTLEAK_ARG_VALUE_MASK) & 15 : abi_reg[a]]);
		if (w < 0)
			break;
		used += (size_t)w;
	}
}
