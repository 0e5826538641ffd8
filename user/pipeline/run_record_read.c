// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* run_record: the run's metadata read back from an event log, every field
 * checked against where it goes (run_record.h). */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "attach/probes.h"
#include "pipeline/run_record.h"

/* An entry being read: what is left of it, and the first problem. */
struct cursor {
	const unsigned char *p;
	size_t left;
	const char *bad;       /* what was wrong, NULL while all is well */
};

static bool take(struct cursor *c, void *dst, size_t n, const char *what)
{
	if (c->bad)
		return false;
	if (c->left < n) {
		c->bad = what;
		return false;
	}
	memcpy(dst, c->p, n);
	c->p += n;
	c->left -= n;
	return true;
}

static uint8_t get_u8(struct cursor *c) { uint8_t v = 0; take(c, &v, 1, "cut short"); return v; }
static uint16_t get_u16(struct cursor *c) { uint16_t v = 0; take(c, &v, 2, "cut short"); return v; }
static uint32_t get_u32(struct cursor *c) { uint32_t v = 0; take(c, &v, 4, "cut short"); return v; }
static uint64_t get_u64(struct cursor *c) { uint64_t v = 0; take(c, &v, 8, "cut short"); return v; }

static bool get_bool(struct cursor *c)
{
	uint8_t v = get_u8(c);

	if (v > 1 && !c->bad)
		c->bad = "a flag is neither 0 nor 1";
	return v == 1;
}

/* A string into dst (size bytes, NUL included): too long for it, or with a
 * NUL inside, is damage. */
static void get_str(struct cursor *c, char *dst, size_t size)
{
	uint16_t n = get_u16(c);

	dst[0] = '\0';
	if (!c->bad && n >= size)
		c->bad = "a string is longer than its field";
	if (!take(c, dst, n, "a string is cut short"))
		return;
	dst[n] = '\0';
	if (strlen(dst) != n)
		c->bad = "a string holds a NUL byte";
}

/* A string of any length a string can say, malloc'd (NULL on damage). */
static char *get_dup(struct cursor *c)
{
	char *s = malloc(UINT16_MAX + 1);
	char *fit;

	if (!s) {
		c->bad = c->bad ? c->bad : "out of memory";
		return NULL;
	}
	get_str(c, s, UINT16_MAX + 1);
	if (c->bad) {
		free(s);
		return NULL;
	}
	fit = realloc(s, strlen(s) + 1);
	return fit ? fit : s;
}

/* ---- entries ----------------------------------------------------------- */

static void read_run(struct cursor *c, struct run_record *rec)
{
	struct run_info *run = &rec->run;
	uint64_t duration = get_u64(c);
	int i;

	memcpy(&run->duration_s, &duration, sizeof(duration));
	run->probes_attached = get_u64(c);
	run->checks = get_u32(c);
	run->stack_mode = get_u32(c);
	run->stack_bytes = get_u32(c);
	run->command_ran = get_bool(c);
	run->command_status = (int)get_u32(c);
	for (i = 0; i < TTLEAK_STACK_ERROR_MAX; i++)
		run->stack_errors[i] = get_u64(c);
	run->unarmed_events = get_u64(c);
	run->mesh_id_read_faults = get_u64(c);
	get_str(c, run->command, sizeof(run->command));
	get_str(c, run->lib_path, sizeof(run->lib_path));
	get_str(c, run->generation, sizeof(run->generation));
	get_str(c, run->layout_source, sizeof(run->layout_source));
	get_str(c, rec->stop_reason, sizeof(rec->stop_reason));
	run->stop_reason = rec->stop_reason[0] ? rec->stop_reason : NULL;
	if (c->bad)
		return;
	if (!isfinite(run->duration_s))
		c->bad = "the duration is not a number";
	else if (run->checks & ~(uint32_t)CHECK_ALL)
		c->bad = "it names checks this build does not know";
	else if (run->stack_mode > TTLEAK_STACKS_DWARF)
		c->bad = "the stack mode is unknown";
	else if (run->stack_bytes > TTLEAK_STACK_BYTES_MAX)
		c->bad = "the stack copy size is over its maximum";
}

static void read_label(struct cursor *c, struct run_record *rec)
{
	uint32_t tgid = get_u32(c);
	struct process_label l;

	get_str(c, l.command, sizeof(l.command));
	get_str(c, l.comm, sizeof(l.comm));
	if (c->bad)
		return;
	if (process_labels__set_command(&rec->labels, tgid, l.command))
		c->bad = "out of memory";
	else
		memcpy(process_labels__get(&rec->labels, tgid)->comm, l.comm, sizeof(l.comm));
}

static void read_library(struct cursor *c, struct run_record *rec)
{
	struct run_library l, *grown;

	memset(&l, 0, sizeof(l));
	get_str(c, l.path, sizeof(l.path));
	l.owner = get_u32(c);
	l.untrusted = get_bool(c);
	l.traced = get_bool(c);
	get_str(c, l.generation, sizeof(l.generation));
	get_str(c, l.layout_source, sizeof(l.layout_source));
	get_str(c, l.problem, sizeof(l.problem));
	if (c->bad)
		return;
	grown = realloc(rec->libraries, (rec->n_libraries + 1) * sizeof(*grown));
	if (!grown) {
		c->bad = "out of memory";
		return;
	}
	rec->libraries = grown;
	rec->libraries[rec->n_libraries++] = l;
}

static void read_stack_stats(struct cursor *c, struct run_record *rec)
{
	struct stack_stats *st = &rec->stack_stats;

	if (rec->has_stack_stats) {
		c->bad = "it comes twice";
		return;
	}
	rec->has_stack_stats = true;
	st->captured = get_u64(c);
	st->read_failures = get_u64(c);
	st->unmapped = get_u64(c);
	st->unsymbolized = get_u64(c);
	st->truncated = get_u64(c);
	st->process_gone = get_u64(c);
	st->unwind_slice_ended = get_u64(c);
	st->unwind_failed = get_u64(c);
}

enum { HAS_MODULE = 1, HAS_SYMBOL = 2, HAS_SOURCE = 4 };

static void read_frame(struct cursor *c, struct stack_frame *f)
{
	uint8_t has;

	f->ip = get_u64(c);
	f->offset = get_u64(c);
	f->line = (int)get_u32(c);
	has = get_u8(c);
	if (!c->bad && has & ~(HAS_MODULE | HAS_SYMBOL | HAS_SOURCE))
		c->bad = "a frame has unknown parts";
	if (has & HAS_MODULE)
		f->module = get_dup(c);
	if (has & HAS_SYMBOL)
		f->symbol = get_dup(c);
	if (has & HAS_SOURCE)
		f->source = get_dup(c);
	if (!c->bad && f->line < 0)
		c->bad = "a source line is negative";
}

static void free_frames(struct stack_frame *frames, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free((char *)frames[i].module);
		free((char *)frames[i].symbol);
		free((char *)frames[i].source);
	}
	free(frames);
}

static void read_stack(struct cursor *c, struct run_record *rec)
{
	struct recorded_stack st = { .tgid = get_u32(c), .stack_id = (int32_t)get_u32(c) };
	struct recorded_stack *grown;
	uint16_t n = get_u16(c);

	if (!c->bad && (n > RUN_RECORD_MAX_FRAMES || st.stack_id < 0))
		c->bad = n > RUN_RECORD_MAX_FRAMES ? "it has more frames than a stack can"
						   : "its id is negative";
	if (c->bad)
		return;
	st.frames = calloc(n ? n : 1, sizeof(*st.frames));
	for (st.n = 0; st.frames && st.n < n && !c->bad; st.n++)
		read_frame(c, &st.frames[st.n]);
	grown = st.frames && !c->bad ?
		realloc(rec->stacks, (rec->n_stacks + 1) * sizeof(*grown)) : NULL;
	if (!grown) {
		c->bad = c->bad ? c->bad : "out of memory";
		free_frames(st.frames, st.n);
		return;
	}
	rec->stacks = grown;
	rec->stacks[rec->n_stacks++] = st;
}

/* ---- the section ------------------------------------------------------- */

static const char *tag_name(uint16_t tag)
{
	static const char *const names[] = { "?", "run", "process name", "library",
					     "stack counts", "stack" };

	return tag < sizeof(names) / sizeof(names[0]) ? names[tag] : "unknown";
}

static void read_entry(struct cursor *c, uint16_t tag, struct run_record *rec)
{
	switch (tag) {
	case RUN_RECORD_RUN: read_run(c, rec); break;
	case RUN_RECORD_LABEL: read_label(c, rec); break;
	case RUN_RECORD_LIBRARY: read_library(c, rec); break;
	case RUN_RECORD_STACK_STATS: read_stack_stats(c, rec); break;
	case RUN_RECORD_STACK: read_stack(c, rec); break;
	default: c->bad = "its kind is unknown"; break;
	}
	if (!c->bad && c->left)
		c->bad = "it has bytes left over";
}

__attribute__((format(printf, 3, 4)))
static int damaged(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(err, errlen, "damaged run metadata: ");

	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < errlen)
		vsnprintf(err + n, errlen - n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int run_record__decode(const unsigned char *p, size_t size, struct run_record *rec, char *err,
		       size_t errlen)
{
	size_t at = 0, runs = 0;

	memset(rec, 0, sizeof(*rec));
	while (at < size) {
		struct cursor head = { .p = p + at, .left = size - at }, c;
		uint16_t tag = get_u16(&head);
		uint32_t len = get_u32(&head);

		if (head.bad || len > head.left)
			return damaged(err, errlen, "entry at byte %zu is cut short", at);
		c = (struct cursor){ .p = head.p, .left = len };
		runs += tag == RUN_RECORD_RUN;
		if (runs > 1 && tag == RUN_RECORD_RUN)
			c.bad = "it comes twice";
		else
			read_entry(&c, tag, rec);
		if (c.bad)
			return damaged(err, errlen, "%s entry (kind %u) at byte %zu: %s", tag_name(tag),
				       tag, at, c.bad);
		at += 6 + (size_t)len;
	}
	if (size && !runs)
		return damaged(err, errlen, "no run entry");
	rec->run.labels = rec->labels.v;
	rec->run.n_labels = rec->labels.n;
	rec->run.libraries = rec->libraries;
	rec->run.n_libraries = rec->n_libraries;
	return 0;
}

void run_record__free(struct run_record *rec)
{
	size_t i;

	for (i = 0; i < rec->n_stacks; i++)
		free_frames(rec->stacks[i].frames, rec->stacks[i].n);
	free(rec->stacks);
	free(rec->libraries);
	process_labels__free(&rec->labels);
	memset(rec, 0, sizeof(*rec));
}
