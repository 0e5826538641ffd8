/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What every benchmark program shares with bench/run_bench.py: a clock, and
 * the pause that lets a tracer attach between the untraced and the traced
 * pass of one process. Plain C, so the C and the C++ programs both use it.
 *
 * Protocol: the program does its setup and its untraced pass, prints
 * "ready pid=<pid>" on stdout and waits for SIGUSR1; the harness attaches a
 * tracer (or nothing, for the control), sends SIGUSR1, and the program runs
 * its traced pass and prints one JSON object as its last stdout line.
 * Measuring both passes in one process keeps process-to-process variation
 * (address layout, cache state, frequency) out of the difference; the
 * control run shows what remains.
 */
#ifndef TTLEAK_BENCH_COMMON_H
#define TTLEAK_BENCH_COMMON_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static inline uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Call first: SIGUSR1 stays blocked until bench_wait_release() waits for it,
 * so a signal sent early is kept pending instead of killing the process. */
static inline void bench_block_release(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
}

static inline void bench_wait_release(void)
{
	sigset_t set;
	int sig;

	printf("ready pid=%ld\n", (long)getpid());
	fflush(stdout);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	while (sigwait(&set, &sig) != 0 || sig != SIGUSR1)
		;
}

#endif /* TTLEAK_BENCH_COMMON_H */
