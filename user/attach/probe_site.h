/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Where in a function its uprobe can go, and where the arguments are there.
 *
 * The kernel emulates a breakpoint on a few instructions (push of a register,
 * one-byte nop, direct jmp, and, measured in make bench, jcc and direct call):
 * about 0.8 us per hit here. Every other instruction it single-steps (mov,
 * cmp, test, lea, sub, endbr64): about 4.2 us. Release builds start many
 * probed functions with a load and a compare (GraphTracker::track_* return at
 * once when no listener is installed) or a register move.
 *
 * probe_site__find() decodes the function from its entry with capstone and
 * picks the first emulated instruction that every call reaches: straight-line
 * from the entry, before any branch leaves, with no direct branch of the
 * function landing on it or on anything before it (the probe would fire more
 * than once per call). It follows what the instructions before it do to the
 * arguments the BPF program reads (register copies, pushes, stores to the
 * stack, rsp moves) and gives the site only if every one of them can still
 * be read there, in a register or a stack slot. Otherwise the entry stays.
 */
#ifndef TTLEAK_PROBE_SITE_H
#define TTLEAK_PROBE_SITE_H

#include <stddef.h>
#include <stdint.h>

struct probe_site {
	uint32_t offset;   /* bytes after the entry; 0: the entry */
	uint64_t cookie;   /* where each argument is there (include/ttleak_args.h) */
	char insn[64];     /* the instruction at the site, as capstone prints it */
};

/*
 * code: the whole function (len bytes, from its symbol's size), linked at
 * vaddr (for the printed instruction). args: bit i set when argument i is
 * read (0: rdi ... 5: r9). Always fills *site; the entry when nothing better
 * can be proven (including code that does not decode to its end).
 */
void probe_site__find(const uint8_t *code, size_t len, uint64_t vaddr, uint8_t args,
		      struct probe_site *site);

/* "rdi=%rbx rsi=8(%rsp)": where each argument in args is read. */
void probe_site__describe(uint64_t cookie, uint8_t args, char *buf, size_t size);

#endif /* TTLEAK_PROBE_SITE_H */
