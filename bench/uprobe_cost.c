// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * uprobe_cost: the time per call of functions that start with different
 * instructions (insn_targets.S), untraced and then with uprobes on them, for
 * the cost of a uprobe hit by the kind of instruction it sits on.
 *
 *   uprobe_cost [CALLS]    (default 20000 calls per function per block)
 *
 * Protocol of bench_common.h; the JSON names each function and its
 * per-block times of both passes.
 */
#include <stdio.h>
#include <stdlib.h>
#include "bench_common.h"

#define BLOCKS 5

void insn_push(void), insn_nop(void), insn_nop5(void), insn_endbr64(void), insn_mov(void),
	insn_sub(void), insn_lea(void), insn_xor(void), insn_jmp(void), insn_endbr64_push(void),
	insn_jcc_taken(void), insn_jcc_not_taken(void), insn_call(void);

static const struct target {
	const char *name;
	void (*fn)(void);
} targets[] = {
	{ "insn_push", insn_push }, { "insn_nop", insn_nop }, { "insn_nop5", insn_nop5 },
	{ "insn_endbr64", insn_endbr64 }, { "insn_mov", insn_mov }, { "insn_sub", insn_sub },
	{ "insn_lea", insn_lea }, { "insn_xor", insn_xor }, { "insn_jmp", insn_jmp },
	{ "insn_endbr64_push", insn_endbr64_push }, { "insn_jcc_taken", insn_jcc_taken },
	{ "insn_jcc_not_taken", insn_jcc_not_taken }, { "insn_call", insn_call },
};
#define N_TARGETS (sizeof(targets) / sizeof(targets[0]))

static uint64_t block_ns[2][N_TARGETS][BLOCKS];

/* Through a volatile pointer, so that the compiler keeps every call. */
static void time_calls(int pass, unsigned long calls)
{
	size_t t, b;
	unsigned long i;

	for (b = 0; b < BLOCKS; b++)
		for (t = 0; t < N_TARGETS; t++) {
			void (*volatile fn)(void) = targets[t].fn;
			uint64_t t0 = bench_now_ns();

			for (i = 0; i < calls; i++)
				fn();
			block_ns[pass][t][b] = bench_now_ns() - t0;
		}
}

static void print_pass(const char *name, int pass, size_t t)
{
	size_t b;

	printf(",\"%s\":[", name);
	for (b = 0; b < BLOCKS; b++)
		printf("%s%llu", b ? "," : "", (unsigned long long)block_ns[pass][t][b]);
	printf("]");
}

int main(int argc, char **argv)
{
	unsigned long calls = argc > 1 ? strtoul(argv[1], NULL, 10) : 20000;
	size_t t;

	if (!calls) {
		fprintf(stderr, "usage: uprobe_cost [CALLS]\n");
		return 2;
	}
	bench_block_release();
	time_calls(0, calls / 10); /* warm-up, overwritten next */
	time_calls(0, calls);
	bench_wait_release();
	time_calls(1, calls);
	printf("{\"program\":\"uprobe_cost\",\"calls_per_block\":%lu,\"expected_events\":%lu,"
	       "\"functions\":{", calls, calls * BLOCKS * N_TARGETS);
	for (t = 0; t < N_TARGETS; t++) {
		printf("%s\"%s\":{\"calls_per_block\":%lu", t ? "," : "", targets[t].name, calls);
		print_pass("untraced_block_ns", 0, t);
		print_pass("traced_block_ns", 1, t);
		printf("}");
	}
	printf("}}\n");
	return 0;
}
