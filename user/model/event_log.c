// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* event_log: the --record / --replay file (see event_log.h for the layout). */
#define _GNU_SOURCE /* fread_unlocked, fwrite_unlocked: one thread owns each stream */
#include "model/event_log.h"
#include "report/output_file.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HEADER_MAGIC "TTLEAKEV"
#define FOOTER_MAGIC "TTLEAKND"
#define MAGIC_SIZE 8
#define HEADER_SIZE 40
#define FOOTER_SIZE (MAGIC_SIZE + 8 + 8 * TTLEAK_DROP_REASON_MAX + 4)
#define META_SIZE_AT (FOOTER_SIZE - 4)
#define RECORD_SIZE sizeof(struct ttleak_event)
#define BLOCK_SIZE (1u << 20)
#define MAX(a, b) ((a) > (b) ? (a) : (b))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define RECORD_OR_FOOTER MAX(RECORD_SIZE, FOOTER_SIZE)

/* Fields are stored as the host lays them out; the format is little-endian. */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "event logs are little-endian");
_Static_assert(RECORD_SIZE >= MAGIC_SIZE, "a record must be told from the footer by its magic");

struct event_log_writer {
	struct output_file *out; /* renamed into place at close (output_file.h) */
	FILE *f;              /* the output file's stream, fully buffered */
	int err;              /* first write error; later calls return it */
	uint64_t count;
};

struct event_log_reader {
	FILE *f;
	int state;            /* 1 reading, 0 clean end, < 0 error */
	bool eof;
	uint64_t count;
	size_t len;           /* bytes read ahead in buf */
	unsigned char buf[RECORD_OR_FOOTER]; /* the next record, or the footer */
	char *path;
	char msg[512];        /* the error, repeated by later calls */
	struct event_log_footer footer;
	unsigned char *meta;  /* footer.meta */
};

static void put32(unsigned char *p, uint32_t v) { memcpy(p, &v, sizeof(v)); }
static void put64(unsigned char *p, uint64_t v) { memcpy(p, &v, sizeof(v)); }
static uint32_t get32(const unsigned char *p) { uint32_t v; memcpy(&v, p, sizeof(v)); return v; }
static uint64_t get64(const unsigned char *p) { uint64_t v; memcpy(&v, p, sizeof(v)); return v; }

/* ---- writer ------------------------------------------------------------ */

static int writer_put(struct event_log_writer *w, const void *p, size_t n)
{
	if (!w->err && fwrite_unlocked(p, 1, n, w->f) != n)
		w->err = errno ? -errno : -EIO;
	return w->err;
}

static void encode_header(unsigned char *out, const struct event_log_header *h)
{
	memcpy(out, HEADER_MAGIC, MAGIC_SIZE);
	put32(out + 8, TTLEAK_EVENT_VERSION);
	put32(out + 12, RECORD_SIZE);
	put32(out + 16, h->target_pid);
	put32(out + 20, h->flags);
	put64(out + 24, h->probe_mask);
	put64(out + 32, h->start_ns);
}

struct event_log_writer *event_log_writer__open(const char *path, const struct event_log_header *h)
{
	unsigned char hdr[HEADER_SIZE];
	struct event_log_writer *w;
	char msg[512];
	int err = -ENOMEM;

	if (!path || !h) {
		errno = EINVAL;
		return NULL;
	}
	w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	err = output_file__claim(path, &w->out, msg, sizeof(msg));
	if (err)
		goto cleanup;
	w->f = output_file__stream(w->out);
	if (!w->f) {
		err = -errno;
		output_file__abandon(w->out);
		goto cleanup;
	}
	/* Events come in bursts of thousands: write in large blocks. */
	setvbuf(w->f, NULL, _IOFBF, BLOCK_SIZE);
	encode_header(hdr, h);
	writer_put(w, hdr, sizeof(hdr));
	return w;
cleanup:
	free(w);
	errno = -err;
	return NULL;
}

int event_log_writer__append(struct event_log_writer *w, const struct ttleak_event *ev)
{
	if (!w || !ev)
		return -EINVAL;
	if (writer_put(w, ev, RECORD_SIZE))
		return w->err;
	w->count++;
	return 0;
}

int event_log_writer__close(struct event_log_writer *w, const struct event_log_footer *f)
{
	unsigned char foot[FOOTER_SIZE];
	char msg[512];
	int err;

	if (!w)
		return -EINVAL;
	if (f && f->meta_size > EVENT_LOG_META_MAX) {
		output_file__abandon(w->out);
		free(w);
		return -EFBIG;
	}
	memset(foot, 0, sizeof(foot));
	memcpy(foot, FOOTER_MAGIC, MAGIC_SIZE);
	put64(foot + 8, w->count);
	for (int i = 0; f && i < TTLEAK_DROP_REASON_MAX; i++)
		put64(foot + 16 + 8 * i, f->drops[i]);
	put32(foot + META_SIZE_AT, f && f->meta ? f->meta_size : 0);
	err = writer_put(w, foot, sizeof(foot));
	if (!err && f && f->meta && f->meta_size)
		err = writer_put(w, f->meta, f->meta_size);
	if (!err && fflush(w->f))
		err = -errno;
	if (err)
		output_file__abandon(w->out);
	else
		err = output_file__commit(w->out, msg, sizeof(msg));
	free(w);
	return err;
}

/* ---- reader ------------------------------------------------------------ */

__attribute__((format(printf, 5, 6)))
static int fail(struct event_log_reader *r, int code, char *err, size_t errlen, const char *fmt, ...)
{
	int n = snprintf(r->msg, sizeof(r->msg), "%s: ", r->path);
	va_list ap;

	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < sizeof(r->msg))
		vsnprintf(r->msg + n, sizeof(r->msg) - n, fmt, ap);
	va_end(ap);
	if (err && errlen)
		snprintf(err, errlen, "%s", r->msg);
	r->state = code;
	return code;
}

/*
 * Make `need` bytes (at most sizeof(r->buf)) available at r->buf, reading
 * ahead through stdio. Returns how many are available (fewer than need only
 * at end of file) or -errno.
 */
static long fill(struct event_log_reader *r, size_t need)
{
	while (r->len < need && !r->eof) {
		size_t n = fread_unlocked(r->buf + r->len, 1, need - r->len, r->f);

		if (!n && ferror(r->f))
			return errno ? -errno : -EIO;
		r->eof = n == 0;
		r->len += n;
	}
	return (long)r->len;
}

/* Drop the first n bytes read ahead: they were used. */
static void consume(struct event_log_reader *r, size_t n)
{
	memmove(r->buf, r->buf + n, r->len - n);
	r->len -= n;
}

static int check_header(struct event_log_reader *r, long avail, struct event_log_header *h,
			char *err, size_t errlen)
{
	const unsigned char *p = r->buf;

	if (avail == 0)
		return fail(r, -EINVAL, err, errlen, "empty file, not an event log: "
			    "pass a file written by ttleak-bpf --record");
	if (memcmp(p, HEADER_MAGIC, MIN((size_t)avail, MAGIC_SIZE)))
		return fail(r, -EINVAL, err, errlen, "not a ttleak event log (bad magic): "
			    "pass a file written by ttleak-bpf --record");
	if (avail < HEADER_SIZE)
		return fail(r, -EINVAL, err, errlen, "truncated header (%ld of %d bytes): "
			    "the recording was interrupted; re-record", avail, HEADER_SIZE);
	h->version = get32(p + 8);
	h->record_size = get32(p + 12);
	h->target_pid = get32(p + 16);
	h->flags = get32(p + 20);
	h->probe_mask = get64(p + 24);
	h->start_ns = get64(p + 32);
	if (h->version != TTLEAK_EVENT_VERSION)
		return fail(r, -EINVAL, err, errlen, "event log format version %u, this ttleak-bpf "
			    "reads version %u: replay it with the ttleak-bpf that recorded it",
			    h->version, TTLEAK_EVENT_VERSION);
	if (h->record_size != RECORD_SIZE)
		return fail(r, -EINVAL, err, errlen, "records are %u bytes, this ttleak-bpf expects "
			    "%zu: replay it with the ttleak-bpf build that recorded it",
			    h->record_size, RECORD_SIZE);
	consume(r, HEADER_SIZE);
	return 0;
}

struct event_log_reader *event_log_reader__open(const char *path, struct event_log_header *h,
						char *err, size_t errlen)
{
	struct event_log_reader *r;
	long avail;
	int ret = -ENOMEM;

	if (!path || !h) {
		errno = EINVAL;
		return NULL;
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->state = 1;
	r->path = strdup(path);
	if (!r->path) {
		if (err && errlen)
			snprintf(err, errlen, "%s: out of memory", path);
		goto cleanup;
	}
	r->f = fopen(path, "rbe");
	if (r->f)
		setvbuf(r->f, NULL, _IOFBF, BLOCK_SIZE);
	avail = !r->f ? -errno : fill(r, HEADER_SIZE);
	if (avail < 0) {
		ret = fail(r, (int)avail, err, errlen, "cannot %s: %s",
			   !r->f ? "open" : "read", strerror((int)-avail));
		goto cleanup;
	}
	ret = check_header(r, avail, h, err, errlen);
	if (ret)
		goto cleanup;
	return r;
cleanup:
	event_log_reader__close(r);
	errno = -ret;
	return NULL;
}

/* n bytes into dst: first those read ahead, then from the file. Returns how
 * many were read (fewer at end of file) or -errno. */
static long read_exact(struct event_log_reader *r, unsigned char *dst, size_t n)
{
	size_t ahead = MIN(n, r->len), got;

	memcpy(dst, r->buf, ahead);
	consume(r, ahead);
	got = ahead < n ? fread_unlocked(dst + ahead, 1, n - ahead, r->f) : 0;
	if (ahead + got < n && ferror(r->f))
		return errno ? -errno : -EIO;
	return (long)(ahead + got);
}

static int read_meta(struct event_log_reader *r, uint32_t size, char *err, size_t errlen)
{
	long got;

	if (size > EVENT_LOG_META_MAX)
		return fail(r, -EINVAL, err, errlen, "the end marker gives %u bytes of run metadata, "
			    "more than the %u a log may have: the file is corrupt; re-record",
			    size, EVENT_LOG_META_MAX);
	if (!size)
		return 0;
	r->meta = malloc(size);
	if (!r->meta)
		return fail(r, -ENOMEM, err, errlen, "out of memory for %u bytes of run metadata",
			    size);
	got = read_exact(r, r->meta, size);
	if (got < 0)
		return fail(r, (int)got, err, errlen, "read error in the run metadata: %s",
			    strerror((int)-got));
	if (got < (long)size)
		return fail(r, -EINVAL, err, errlen, "truncated run metadata (%ld of %u bytes): "
			    "the recording was interrupted; re-record", got, size);
	r->footer.meta = r->meta;
	r->footer.meta_size = size;
	return 0;
}

static int read_footer(struct event_log_reader *r, long avail, char *err, size_t errlen)
{
	const unsigned char *p = r->buf;
	uint64_t count;
	uint32_t meta_size;

	if (avail < (long)FOOTER_SIZE)
		return fail(r, -EINVAL, err, errlen, "truncated end marker after %llu events: "
			    "the recording was interrupted; re-record", (unsigned long long)r->count);
	count = get64(p + 8);
	for (int i = 0; i < TTLEAK_DROP_REASON_MAX; i++)
		r->footer.drops[i] = get64(p + 16 + 8 * i);
	meta_size = get32(p + META_SIZE_AT);
	consume(r, FOOTER_SIZE);
	if (count != r->count)
		return fail(r, -EINVAL, err, errlen, "end marker counts %llu events but the file "
			    "holds %llu: the file is corrupt; re-record",
			    (unsigned long long)count, (unsigned long long)r->count);
	if (read_meta(r, meta_size, err, errlen))
		return r->state;
	avail = fill(r, 1);
	if (avail != 0)
		return fail(r, avail < 0 ? (int)avail : -EINVAL, err, errlen,
			    "unexpected data after the end marker: the file is corrupt; re-record");
	r->footer.event_count = count;
	r->state = 0;
	return 0;
}

static bool record_is_valid(const struct ttleak_event *ev)
{
	return ev->kind >= 1 && ev->kind < TTLEAK_EV_KIND_MAX && ev->buffer_type < TTLEAK_BUF_TYPE_MAX;
}

int event_log_reader__next(struct event_log_reader *r, struct ttleak_event *ev, char *err,
			   size_t errlen)
{
	unsigned long long n;
	long avail;

	if (!r || !ev)
		return -EINVAL;
	if (r->state <= 0) {
		if (r->state < 0 && err && errlen)
			snprintf(err, errlen, "%s", r->msg);
		return r->state;
	}
	n = (unsigned long long)r->count;
	avail = fill(r, RECORD_OR_FOOTER);
	if (avail < 0)
		return fail(r, (int)avail, err, errlen, "read error after %llu events: %s",
			    n, strerror((int)-avail));
	/* A footer cut short inside its magic still reads as a truncated footer. */
	if (avail && !memcmp(r->buf, FOOTER_MAGIC, MIN((size_t)avail, MAGIC_SIZE)))
		return read_footer(r, avail, err, errlen);
	if (avail == 0)
		return fail(r, -EINVAL, err, errlen, "truncated after %llu events (no end marker): "
			    "the recording was interrupted; re-record", n);
	if (avail < (long)RECORD_SIZE)
		return fail(r, -EINVAL, err, errlen, "truncated record %llu (%ld of %zu bytes, no end "
			    "marker): the recording was interrupted; re-record", n + 1, avail, RECORD_SIZE);
	memcpy(ev, r->buf, RECORD_SIZE);
	if (!record_is_valid(ev))
		return fail(r, -EINVAL, err, errlen, "corrupt record %llu at offset %llu (kind %u, "
			    "buffer type %u): the file is damaged; re-record", n + 1,
			    HEADER_SIZE + n * RECORD_SIZE, ev->kind, ev->buffer_type);
	consume(r, RECORD_SIZE);
	r->count++;
	return 1;
}

const struct event_log_footer *event_log_reader__footer(const struct event_log_reader *r)
{
	return r && r->state == 0 ? &r->footer : NULL;
}

void event_log_reader__close(struct event_log_reader *r)
{
	if (!r)
		return;
	if (r->f)
		fclose(r->f);
	free(r->meta);
	free(r->path);
	free(r);
}
