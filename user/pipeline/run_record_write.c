// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* run_record: the run's metadata written into an event log (run_record.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "pipeline/run_record.h"

#define STR_MAX UINT16_MAX

struct buf {
	unsigned char *p;
	size_t len, cap;
	int err;               /* the first failure; later puts do nothing */
	size_t entry;          /* where the open entry's length goes */
};

static void put(struct buf *b, const void *v, size_t n)
{
	unsigned char *grown;
	size_t cap = b->cap ? b->cap : 4096;

	if (b->err)
		return;
	while (cap - b->len < n)
		cap *= 2;
	if (cap != b->cap) {
		grown = realloc(b->p, cap);
		if (!grown) {
			b->err = -ENOMEM;
			return;
		}
		b->p = grown;
		b->cap = cap;
	}
	memcpy(b->p + b->len, v, n);
	b->len += n;
}

static void put_u8(struct buf *b, uint8_t v) { put(b, &v, sizeof(v)); }
static void put_u16(struct buf *b, uint16_t v) { put(b, &v, sizeof(v)); }
static void put_u32(struct buf *b, uint32_t v) { put(b, &v, sizeof(v)); }
static void put_u64(struct buf *b, uint64_t v) { put(b, &v, sizeof(v)); }

/* Every string written is NUL-terminated; one too long is cut. */
static void put_str(struct buf *b, const char *s)
{
	size_t n = s ? strlen(s) : 0;

	n = n > STR_MAX ? STR_MAX : n;
	put_u16(b, (uint16_t)n);
	put(b, s, n);
}

static void begin(struct buf *b, enum run_record_tag tag)
{
	put_u16(b, tag);
	b->entry = b->len;
	put_u32(b, 0);
}

static void end(struct buf *b)
{
	uint32_t n = (uint32_t)(b->len - b->entry - 4);

	if (!b->err)
		memcpy(b->p + b->entry, &n, sizeof(n));
}

static void put_run(struct buf *b, const struct run_info *run)
{
	uint64_t duration;
	int i;

	memcpy(&duration, &run->duration_s, sizeof(duration));
	begin(b, RUN_RECORD_RUN);
	put_u64(b, duration);
	put_u64(b, run->probes_attached);
	put_u32(b, run->checks);
	put_u32(b, run->stack_mode);
	put_u32(b, run->stack_bytes);
	put_u8(b, run->command_ran);
	put_u32(b, (uint32_t)run->command_status);
	for (i = 0; i < TTLEAK_STACK_ERROR_MAX; i++)
		put_u64(b, run->stack_errors[i]);
	put_u64(b, run->unarmed_events);
	put_u64(b, run->mesh_id_read_faults);
	put_str(b, run->command);
	put_str(b, run->lib_path);
	put_str(b, run->generation);
	put_str(b, run->layout_source);
	put_str(b, run->stop_reason);
	end(b);
}

static void put_labels(struct buf *b, const struct run_info *run)
{
	size_t i;

	for (i = 0; i < run->n_labels; i++) {
		begin(b, RUN_RECORD_LABEL);
		put_u32(b, run->labels[i].tgid);
		put_str(b, run->labels[i].command);
		put_str(b, run->labels[i].comm);
		end(b);
	}
}

static void put_libraries(struct buf *b, const struct run_info *run)
{
	size_t i;

	for (i = 0; i < run->n_libraries; i++) {
		const struct run_library *l = &run->libraries[i];

		begin(b, RUN_RECORD_LIBRARY);
		put_str(b, l->path);
		put_u32(b, l->owner);
		put_u8(b, l->untrusted);
		put_u8(b, l->traced);
		put_str(b, l->generation);
		put_str(b, l->layout_source);
		put_str(b, l->problem);
		end(b);
	}
}

static void put_stack_stats(struct buf *b, const struct stack_store *s)
{
	struct stack_stats st;

	stack_store__stats(s, &st);
	begin(b, RUN_RECORD_STACK_STATS);
	put_u64(b, st.captured);
	put_u64(b, st.read_failures);
	put_u64(b, st.unmapped);
	put_u64(b, st.unsymbolized);
	put_u64(b, st.truncated);
	put_u64(b, st.process_gone);
	put_u64(b, st.unwind_slice_ended);
	put_u64(b, st.unwind_failed);
	end(b);
}

/* Which of a frame's strings follow it. */
enum { HAS_MODULE = 1, HAS_SYMBOL = 2, HAS_SOURCE = 4 };

static int put_stack(uint32_t tgid, int32_t stack_id, const struct stack_frame *frames, size_t n,
		     void *ctx)
{
	struct buf *b = ctx;
	size_t i;

	begin(b, RUN_RECORD_STACK);
	put_u32(b, tgid);
	put_u32(b, (uint32_t)stack_id);
	put_u16(b, (uint16_t)n);
	for (i = 0; i < n; i++) {
		const struct stack_frame *f = &frames[i];

		put_u64(b, f->ip);
		put_u64(b, f->offset);
		put_u32(b, (uint32_t)f->line);
		put_u8(b, (f->module ? HAS_MODULE : 0) | (f->symbol ? HAS_SYMBOL : 0) |
			  (f->source ? HAS_SOURCE : 0));
		if (f->module)
			put_str(b, f->module);
		if (f->symbol)
			put_str(b, f->symbol);
		if (f->source)
			put_str(b, f->source);
	}
	end(b);
	return b->err;
}

int run_record__encode(const struct run_info *run, unsigned char **out, size_t *size)
{
	struct buf b = { 0 };

	put_run(&b, run);
	put_labels(&b, run);
	put_libraries(&b, run);
	if (run->stacks) {
		put_stack_stats(&b, run->stacks);
		stack_store__each(run->stacks, put_stack, &b);
	}
	if (b.err) {
		free(b.p);
		return b.err;
	}
	*out = b.p;
	*size = b.len;
	return 0;
}
