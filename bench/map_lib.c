// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * map_lib: a process that maps a library and waits, for the tracer to
 * attach to (attach time). Prints "ready pid=<pid>" once the library is
 * mapped, then sleeps until a signal ends it.
 *
 *   map_lib LIB
 */
#include <dlfcn.h>
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: map_lib LIB\n");
		return 2;
	}
	/* RTLD_LAZY, as a Python extension pulls the runtime in. */
	if (!dlopen(argv[1], RTLD_LAZY | RTLD_LOCAL)) {
		fprintf(stderr, "map_lib: %s\n", dlerror());
		return 1;
	}
	printf("ready pid=%ld\n", (long)getpid());
	fflush(stdout);
	for (;;)
		pause();
}
