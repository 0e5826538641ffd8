// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* libFuzzer harness: the --replay event log reader (user/model/event_log.c)
 * and the reader of its metadata section (user/pipeline/run_record_read.c).
 * The input is the file: written to a memfd and opened through /proc/self/fd. */
#define _GNU_SOURCE
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>
#include "model/event_log.h"
#include "pipeline/run_record.h"

static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t k = write(fd, p, n);

		if (k <= 0)
			return -1;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

/* The metadata section, decoded as --replay does; what it accepts is whole. */
static void read_meta(const struct event_log_footer *f)
{
	struct run_record rec;
	char err[512];
	size_t i;

	if (run_record__decode(f->meta, f->meta_size, &rec, err, sizeof(err)) == 0) {
		if (rec.run.n_labels != rec.labels.n)
			__builtin_trap();
		for (i = 0; i < rec.n_stacks; i++)
			if (rec.stacks[i].n > RUN_RECORD_MAX_FRAMES)
				__builtin_trap();
	}
	run_record__free(&rec);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct event_log_header h;
	struct event_log_reader *r;
	struct ttleak_event ev;
	char path[64], err[512];
	int fd = memfd_create("fuzz_event_log", MFD_CLOEXEC), ret;

	if (fd < 0 || write_all(fd, data, size)) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	r = event_log_reader__open(path, &h, err, sizeof(err));
	close(fd);
	if (!r)
		return 0;
	while ((ret = event_log_reader__next(r, &ev, err, sizeof(err))) == 1)
		;
	/* After the end or an error, the same answer again. */
	if (event_log_reader__next(r, &ev, err, sizeof(err)) != ret)
		__builtin_trap();
	if ((ret == 0) != (event_log_reader__footer(r) != NULL))
		__builtin_trap();
	if (ret == 0)
		read_meta(event_log_reader__footer(r));
	event_log_reader__close(r);
	return 0;
}
