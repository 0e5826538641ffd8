// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer harness: the readers of the runtime library's ELF file, which a
 * local user can craft (--all probes whatever maps the runtime; -p reads the
 * target's copy): the DWARF layout reader (user/layout_dwarf.c), the
 * machine-code evidence reader (user/layout_evidence.c) and the symbol
 * resolver (user/symbols.c). The input is written to a file in a private
 * directory, which is also the debug root, so that debug links and build ids
 * resolve only there, never to the host's /usr/lib/debug.
 *
 * An input holding the separator "\0TTLEAK-DEBUG\0" is two files: what comes
 * before it is the library, what follows its separate debug file, written
 * beside it as libtt_metal.so.debug (the name the debuglink seed carries), so
 * that the fuzzer mutates both the link and the file it leads to.
 */
#define _GNU_SOURCE /* memmem */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "elf/layout.h"
#include "elf/layout_dwarf.h"
#include "elf/layout_evidence.h"
#include "elf/symbols.h"

static const char separator[] = "\0TTLEAK-DEBUG\0";
static char dir[64];
static char lib[96];
static char debug[112];

static void cleanup(void)
{
	unlink(lib);
	unlink(debug);
	rmdir(dir);
}

static int setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/ttleak-fuzz-elf-XXXXXX");
	if (!mkdtemp(dir))
		return -errno;
	snprintf(lib, sizeof(lib), "%s/libtt_metal.so", dir);
	snprintf(debug, sizeof(debug), "%s/libtt_metal.so.debug", dir);
	atexit(cleanup);
	return 0;
}

static int write_file(const char *path, const uint8_t *data, size_t size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	size_t done = 0;

	if (fd < 0)
		return -errno;
	while (done < size) {
		ssize_t n = write(fd, data + done, size - done);

		if (n < 0) {
			close(fd);
			return -errno;
		}
		done += (size_t)n;
	}
	close(fd);
	return 0;
}

static int write_input(const uint8_t *data, size_t size)
{
	const uint8_t *sep = memmem(data, size, separator, sizeof(separator) - 1);
	size_t lib_size = sep ? (size_t)(sep - data) : size;

	if (!sep) {
		unlink(debug);
		return write_file(lib, data, size);
	}
	if (write_file(lib, data, lib_size))
		return -1;
	lib_size += sizeof(separator) - 1;
	return write_file(debug, data + lib_size, size - lib_size);
}

/* Names of every probe kind's function, a mix of the generations' names. */
static const char *const alloc_names[] = { "tt::tt_metal::GraphTracker::track_allocate" };
static const char *const free_names[] = { "tt::tt_metal::GraphTracker::track_deallocate" };
static const char *const cb_names[] = {
	"tt::tt_metal::detail::ProgramImpl::allocate_circular_buffers",
	"tt::tt_metal::Program::allocate_circular_buffers",
};
static const char *const dtor_names[] = {
	"tt::tt_metal::detail::ProgramImpl::~ProgramImpl", "tt::tt_metal::Program::~Program",
};
static const char *const close_names[] = { "tt::tt_metal::Device::close", "malloc" };
static const struct sym_want wants[] = {
	{ alloc_names, 1 }, { free_names, 1 }, { cb_names, 2 }, { dtor_names, 2 },
	{ close_names, 2 },
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready = -1;
	struct layout_evidence ev;
	struct sym_result res;
	struct layout l;
	char err[512];
	size_t i;

	if (ready < 0)
		ready = setup();
	if (ready || write_input(data, size))
		return 0;

	memset(&l, 0, sizeof(l));
	err[0] = '\0';
	layout_dwarf__read(lib, dir, &l, err, sizeof(err));
	if (!memchr(err, '\0', sizeof(err)) || !memchr(l.name, '\0', sizeof(l.name)))
		__builtin_trap();

	memset(&ev, 0, sizeof(ev));
	err[0] = '\0';
	layout_evidence__read(lib, &ev, err, sizeof(err));
	if (!memchr(err, '\0', sizeof(err)))
		__builtin_trap();
	for (i = 0; i < LE_N_FIELDS; i++)
		if (!memchr(ev.fields[i].evidence, '\0', sizeof(ev.fields[i].evidence)))
			__builtin_trap();
	layout_evidence__apply(&ev, &l);

	memset(&res, 0, sizeof(res));
	symbols__resolve(lib, wants, sizeof(wants) / sizeof(wants[0]), &res);
	for (i = 0; i < res.n; i++)
		if (res.matches[i].want >= sizeof(wants) / sizeof(wants[0]) ||
		    !memchr(res.matches[i].demangled, '\0', sizeof(res.matches[i].demangled)))
			__builtin_trap();
	if (!memchr(res.build_id, '\0', sizeof(res.build_id)))
		__builtin_trap();
	sym_result__free(&res);
	return 0;
}
