/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Where a probed function's arguments are at its probe site, as the 64-bit
 * cookie of the uprobe (bpf_get_attach_cookie). A probe moved past the first
 * instructions of a function (user/attach/probe_site.h) may find an argument
 * copied into another register or pushed on the stack: one byte per argument
 * of the x86-64 SysV order (0: rdi, 1: rsi, 2: rdx, 3: rcx, 4: r8, 5: r9) says
 * where it is read. A cookie of 0 is the function's entry: every argument in
 * its own register. Shared by the BPF programs and user space: fixed-width
 * types only.
 */
#ifndef TTLEAK_ARGS_H
#define TTLEAK_ARGS_H

#define TTLEAK_ARGS_MAX 6

/* Byte of argument i: 0, in its own ABI register; TTLEAK_ARG_REG | n, in
 * register n (x86 encoding: 0 rax, 1 rcx, 2 rdx, 3 rbx, 4 rsp, 5 rbp, 6 rsi,
 * 7 rdi, 8-15 r8-r15); TTLEAK_ARG_STACK | k, in the 8 bytes at rsp + 8 * k. */
#define TTLEAK_ARG_REG 0x40
#define TTLEAK_ARG_STACK 0x80
#define TTLEAK_ARG_VALUE_MASK 0x3f
#define TTLEAK_ARG_STACK_MASK 0x7f

#define TTLEAK_ARG_BYTE(cookie, i) ((unsigned char)((cookie) >> (8 * (i))))

/* Byte 6: where the return address is at the site, the 8 bytes at rsp + 8 * k
 * (0 at the entry; a push before the site moves it up a slot), or
 * TTLEAK_RET_SLOT_UNKNOWN. --stacks=dwarf names the caller from it when the
 * CFI cannot unwind. */
#define TTLEAK_RET_SLOT_BYTE 6
#define TTLEAK_RET_SLOT_UNKNOWN 0xff
#define TTLEAK_RET_SLOT(cookie) ((unsigned char)((cookie) >> (8 * TTLEAK_RET_SLOT_BYTE)))

#endif /* TTLEAK_ARGS_H */
