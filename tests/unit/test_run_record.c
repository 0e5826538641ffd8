// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit tests for user/pipeline/run_record_*.c: the run's metadata in an event
 * log comes back as written, stacks included, and damage is named. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include "pipeline/run_record.h"

static const struct stack_frame frames[] = {
	{ .ip = 0x7f0000001000, .module = "/opt/tt/libtt_metal.so", .offset = 0x147d7,
	  .symbol = "tt::tt_metal::ProgramImpl::allocate_circular_buffers()" },
	{ .ip = 0x401234, .module = "/usr/bin/python3", .offset = 0x1234, .symbol = "main",
	  .source = "main.c", .line = 58 },
	{ .ip = 0xdead0000 }, /* unmapped: no module, no symbol */
};

static struct run_library library = {
	.path = "/opt/tt/libtt_metal.so", .owner = 1000, .traced = true,
	.generation = "E3-E5", .layout_source = "DWARF", .problem = "",
};

/* A live run as fill_run_info leaves it, with --stacks and --all. */
static void make_run(struct run_info *run, struct process_labels *labels, struct stack_store **s)
{
	memset(run, 0, sizeof(*run));
	run->pid = 4242;
	snprintf(run->command, sizeof(run->command), "python3 test.py");
	snprintf(run->lib_path, sizeof(run->lib_path), "/opt/tt/libtt_metal.so");
	snprintf(run->generation, sizeof(run->generation), "E3-E5");
	snprintf(run->layout_source, sizeof(run->layout_source), "DWARF (.debug_info)");
	run->command_ran = true;
	run->command_status = 3 << 8;
	run->duration_s = 2.25;
	run->probes_attached = 11;
	run->checks = 0x1b;
	run->stop_reason = "process exited";
	run->stack_mode = TTLEAK_STACKS_DWARF;
	run->stack_bytes = 8192;
	run->stack_errors[TTLEAK_STACK_FAULT] = 5;
	run->unarmed_events = 6;
	run->mesh_id_read_faults = 7;
	assert_int_equal(process_labels__set_command(labels, 4242, "python3 test.py"), 0);
	assert_int_equal(process_labels__set_comm(labels, 4243, "ttsim_workload"), 0);
	run->labels = labels->v;
	run->n_labels = labels->n;
	run->libraries = &library;
	run->n_libraries = 1;
	*s = stack_store__new();
	assert_non_null(*s);
	assert_int_equal(stack_store__restore(*s, 4242, 7, frames, 3), 0);
	assert_int_equal(stack_store__restore(*s, 4243, 1, frames + 1, 1), 0);
	stack_store__restore_stats(*s, &(struct stack_stats){ .captured = 2, .truncated = 1,
							      .unwind_failed = 4 });
	run->stacks = *s;
}

static void check_frames(const struct recorded_stack *st, const struct stack_frame *want, size_t n)
{
	size_t i;

	assert_int_equal(st->n, n);
	for (i = 0; i < n; i++) {
		const struct stack_frame *f = &st->frames[i];

		assert_int_equal(f->ip, want[i].ip);
		assert_int_equal(f->offset, want[i].offset);
		assert_int_equal(f->line, want[i].line);
		if (want[i].module)
			assert_string_equal(f->module, want[i].module);
		else
			assert_null(f->module);
		if (want[i].symbol)
			assert_string_equal(f->symbol, want[i].symbol);
		else
			assert_null(f->symbol);
		if (want[i].source)
			assert_string_equal(f->source, want[i].source);
		else
			assert_null(f->source);
	}
}

static void test_round_trip(void **state)
{
	struct process_labels labels = { 0 };
	struct stack_store *s;
	struct run_info run;
	struct run_record rec;
	unsigned char *meta;
	size_t size, i;
	char err[256] = "";

	(void)state;
	make_run(&run, &labels, &s);
	assert_int_equal(run_record__encode(&run, &meta, &size), 0);
	if (run_record__decode(meta, size, &rec, err, sizeof(err)))
		fail_msg("decode: %s", err);
	assert_string_equal(rec.run.command, "python3 test.py");
	assert_string_equal(rec.run.lib_path, "/opt/tt/libtt_metal.so");
	assert_string_equal(rec.run.generation, "E3-E5");
	assert_string_equal(rec.run.layout_source, "DWARF (.debug_info)");
	assert_true(rec.run.command_ran);
	assert_int_equal(WEXITSTATUS(rec.run.command_status), 3);
	assert_true(rec.run.duration_s == 2.25);
	assert_int_equal(rec.run.probes_attached, 11);
	assert_int_equal(rec.run.checks, 0x1b);
	assert_string_equal(rec.run.stop_reason, "process exited");
	assert_int_equal(rec.run.stack_mode, TTLEAK_STACKS_DWARF);
	assert_int_equal(rec.run.stack_bytes, 8192);
	assert_int_equal(rec.run.stack_errors[TTLEAK_STACK_FAULT], 5);
	assert_int_equal(rec.run.unarmed_events, 6);
	assert_int_equal(rec.run.mesh_id_read_faults, 7);
	assert_int_equal(rec.run.n_labels, 2);
	assert_string_equal(rec.run.labels[0].command, "python3 test.py");
	assert_string_equal(rec.run.labels[1].comm, "[ttsim_workload]");
	assert_int_equal(rec.run.n_libraries, 1);
	assert_memory_equal(&rec.run.libraries[0], &library, sizeof(library));
	assert_true(rec.has_stack_stats);
	assert_int_equal(rec.stack_stats.captured, 2);
	assert_int_equal(rec.stack_stats.truncated, 1);
	assert_int_equal(rec.stack_stats.unwind_failed, 4);
	assert_int_equal(rec.n_stacks, 2);
	for (i = 0; i < rec.n_stacks; i++) {
		if (rec.stacks[i].stack_id == 7)
			check_frames(&rec.stacks[i], frames, 3);
		else
			check_frames(&rec.stacks[i], frames + 1, 1);
	}
	run_record__free(&rec);
	free(meta);
	stack_store__free(s);
	process_labels__free(&labels);
}

/* The encoded section of make_run, for the damage tests. */
static unsigned char *encoded(size_t *size)
{
	struct process_labels labels = { 0 };
	struct stack_store *s;
	struct run_info run;
	unsigned char *meta;

	make_run(&run, &labels, &s);
	assert_int_equal(run_record__encode(&run, &meta, size), 0);
	stack_store__free(s);
	process_labels__free(&labels);
	return meta;
}

static void expect_damage(const unsigned char *p, size_t size, const char *needle)
{
	struct run_record rec;
	char err[256] = "";

	assert_int_equal(run_record__decode(p, size, &rec, err, sizeof(err)), -EINVAL);
	if (!strstr(err, needle) || !strstr(err, "damaged run metadata"))
		fail_msg("error '%s' does not say '%s'", err, needle);
	run_record__free(&rec);
}

static void test_every_cut_is_damage(void **state)
{
	size_t size, n;
	unsigned char *meta = encoded(&size);
	struct run_record rec;
	char err[256];

	(void)state;
	/* Cut anywhere: never read past the end, never accepted unless at an
	 * entry's end (a shorter but whole section). */
	for (n = 0; n < size; n++) {
		int ret = run_record__decode(meta, n, &rec, err, sizeof(err));

		assert_true(ret == 0 || ret == -EINVAL);
		run_record__free(&rec);
	}
	expect_damage(meta, 3, "entry at byte 0 is cut short");
	free(meta);
}

static void test_field_damage(void **state)
{
	size_t size;
	unsigned char *meta = encoded(&size), *p;
	uint16_t len;

	(void)state;
	p = malloc(size);
	assert_non_null(p);
	/* The run entry: tag, length, then duration, probes, checks. */
	memcpy(p, meta, size);
	memset(p + 6 + 16, 0xff, 4);
	expect_damage(p, size, "run entry (kind 1) at byte 0: it names checks");
	memcpy(p, meta, size);
	p[0] = 9;
	expect_damage(p, size, "unknown entry (kind 9) at byte 0: its kind is unknown");
	/* The command string's length: one longer than the field holds. */
	memcpy(p, meta, size);
	len = 256;
	memcpy(p + 6 + 8 + 8 + 4 + 4 + 4 + 1 + 4 + 8 * TTLEAK_STACK_ERROR_MAX + 8 + 8, &len, 2);
	expect_damage(p, size, "a string is longer than its field");
	memcpy(p, meta, size);
	p[6 + 8 + 8 + 4 + 4 + 4] = 2; /* command_ran */
	expect_damage(p, size, "a flag is neither 0 nor 1");
	free(p);
	/* Two run entries. */
	p = malloc(2 * size);
	assert_non_null(p);
	memcpy(p, meta, size);
	memcpy(p + size, meta, size);
	expect_damage(p, 2 * size, "it comes twice");
	free(p);
	free(meta);
}

static void test_empty_section(void **state)
{
	struct run_record rec;
	char err[64];

	(void)state;
	assert_int_equal(run_record__decode(NULL, 0, &rec, err, sizeof(err)), 0);
	assert_int_equal(rec.n_stacks, 0);
	run_record__free(&rec);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_every_cut_is_damage),
		cmocka_unit_test(test_field_damage),
		cmocka_unit_test(test_empty_section),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
