/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Functions that differ only in their first instruction, for the cost of a
 * uprobe placed on it (bench/uprobe_cost.c). The kernel either emulates the
 * probed instruction or copies it out of line and single-steps it; which
 * one it does decides the cost. insn_endbr64_push is what -fcf-protection
 * makes of a function that starts with push: probed at +4 it shows what
 * skipping the endbr64 would give.
 */
#define FUNC(name) .globl name; .type name, @function; .p2align 4; name:
#define END(name) .size name, . - name

	.text
FUNC(insn_push)		push %rbx; pop %rbx; ret
END(insn_push)
FUNC(insn_nop)		nop; ret
END(insn_nop)
FUNC(insn_nop5)		nopl 0x0(%rax,%rax,1); ret
END(insn_nop5)
FUNC(insn_endbr64)	endbr64; ret
END(insn_endbr64)
FUNC(insn_mov)		mov %rdi, %rax; ret
END(insn_mov)
FUNC(insn_sub)		sub $8, %rsp; add $8, %rsp; ret
END(insn_sub)
FUNC(insn_lea)		lea 8(%rdi), %rax; ret
END(insn_lea)
FUNC(insn_xor)		xor %eax, %eax; ret
END(insn_xor)
FUNC(insn_jmp)		jmp 1f; 1: ret
END(insn_jmp)
/* jcc, taken and not (cmp sets ZF first; probed at +3, on the jcc), and a
 * direct call: emulated or not, as the kernel decides. */
FUNC(insn_jcc_taken)	cmp %rax, %rax; je 1f; 1: ret
END(insn_jcc_taken)
FUNC(insn_jcc_not_taken)	cmp %rax, %rax; jne 1f; 1: ret
END(insn_jcc_not_taken)
FUNC(insn_call)		call insn_ret; ret
END(insn_call)
FUNC(insn_ret)		ret
END(insn_ret)
FUNC(insn_endbr64_push)	endbr64; push %rbx; pop %rbx; ret
END(insn_endbr64_push)

	.section .note.GNU-stack, "", @progbits
