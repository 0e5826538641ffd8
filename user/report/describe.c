// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include "report/describe.h"

const char *describe__device_kind(enum tracker_device_kind kind)
{
	switch (kind) {
	case TRACKER_DEVICE_CHIP: return "chip";
	case TRACKER_DEVICE_MESH: return "mesh";
	default: return "unknown";
	}
}

void describe__mesh_chips(const struct tracker_device_id *id, char *buf, size_t size)
{
	size_t len = 0;
	uint32_t i;

	buf[0] = '\0';
	for (i = 0; i < id->n_chips && len + 1 < size; i++) {
		int n = snprintf(buf + len, size - len, "%s%d", i ? "," : "", id->chips[i]);

		if (n < 0)
			break;
		len += (size_t)n;
	}
}

void describe__device(const struct tracker_device_id *id, char *buf, size_t size)
{
	char chips[256];

	switch (id->kind) {
	case TRACKER_DEVICE_CHIP:
		snprintf(buf, size, "chip %d", id->chip_id);
		break;
	case TRACKER_DEVICE_MESH:
		describe__mesh_chips(id, chips, sizeof(chips));
		/* A mesh's chips are seen only when a program's circular buffers
		 * fan out to them; say so rather than guess. */
		snprintf(buf, size, "mesh %d (chips %s)", id->mesh_id, chips[0] ? chips : "not seen");
		break;
	default:
		snprintf(buf, size, "device 0x%" PRIx64 " (class or id unknown)", id->ptr);
		break;
	}
}

/* sign: the text a change starts with ("-", "+" or ""). */
static void put_bytes(char *buf, size_t size, uint64_t mag, const char *sign)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB" };
	double v = mag;
	size_t u = 0;

	if (mag < 1024) {
		snprintf(buf, size, "%s%" PRIu64 " B", sign, mag);
		return;
	}
	for (v /= 1024; v >= 1024 && u + 1 < sizeof(units) / sizeof(units[0]); u++)
		v /= 1024;
	snprintf(buf, size, "%s%.1f %s", sign, v, units[u]);
}

void describe__bytes(uint64_t bytes, char *buf, size_t size)
{
	put_bytes(buf, size, bytes, "");
}

void describe__bytes_change(int64_t change, char *buf, size_t size)
{
	put_bytes(buf, size, change < 0 ? -(uint64_t)change : (uint64_t)change,
		  change < 0 ? "-" : "+");
}

const char *describe__finding_title(const struct finding_group *g)
{
	switch (g->kind) {
	case FINDING_CB_TRACKING: return "CB tracking imbalance";
	case FINDING_RECLAIMED_AT_CLOSE: return "Reclaimed at device close";
	case FINDING_NEVER_FREED: return "Never freed before exit";
	case FINDING_GROWTH: return "Growth across device closes";
	default:
		switch (g->anomaly) {
		case ANOMALY_DOUBLE_FREE: return "Anomaly: double free";
		case ANOMALY_OVERLAP: return "Anomaly: allocation over a live buffer";
		default: return "Anomaly: free of a buffer never seen allocated";
		}
	}
}

const char *describe__finding_advice(const struct finding_group *g)
{
	switch (g->kind) {
	case FINDING_CB_TRACKING:
		return "Programs were destroyed but GraphTracker::track_deallocate_cb was not "
		       "called for this device afterwards, so a GraphTracker listener (graph "
		       "capture, an allocation server) still counts their CBs as allocated. The "
		       "CB space itself is free again: it belongs to the program. Look at "
		       "~ProgramImpl -> deallocate_circular_buffers().";
	case FINDING_RECLAIMED_AT_CLOSE:
		return "These buffers were still allocated when the device closed and were "
		       "reclaimed in bulk by the allocator reset, never freed one by one. Find "
		       "what holds them past their use: a program cache, a callback, a global. "
		       "Top-down DRAM addresses just under a bank's end (0x3FFFF000 for a "
		       "4 KiB-per-bank buffer) are where program kernel binaries are placed.";
	case FINDING_NEVER_FREED:
		return "These buffers were still allocated when the process exited: neither freed "
		       "nor reclaimed by a device close. Close devices before exit and find who "
		       "still references the buffers.";
	case FINDING_GROWTH:
		return "What a GraphTracker listener counts as active on this device (buffers "
		       "never freed one by one, plus CBs not reported deallocated) rose at every "
		       "device close: each open/close cycle leaves more behind.";
	default:
		switch (g->anomaly) {
		case ANOMALY_DOUBLE_FREE:
			return "The allocator freed the same address twice without an allocation "
			       "in between.";
		case ANOMALY_OVERLAP:
			return "The allocator handed out an address the tracer still held as live: "
			       "a free was missed (an event lost, or a free path not probed).";
		default:
			return "The tracer saw the free but never the allocation, although it traced "
			       "the process from the start: an allocation path is not probed.";
		}
	}
}

const char *describe__process_command(const struct run_info *run, uint32_t tgid)
{
	const struct process_label *l = NULL;
	size_t i;

	for (i = 0; i < run->n_labels && !l; i++)
		if (run->labels[i].tgid == tgid)
			l = &run->labels[i];
	if (l && l->command[0])
		return l->command;
	/* A process can be gone before its label is read; the root one is known. */
	if ((int)tgid == run->pid && run->command[0])
		return run->command;
	/* Gone before its command line was read: its exit event named it. */
	return l ? l->comm : "";
}

size_t describe__utf8_length(const unsigned char *p)
{
	size_t n = p[0] >= 0xf0 ? 4 : p[0] >= 0xe0 ? 3 : 2, i;
	uint32_t c;

	if (p[0] < 0x80)
		return 1;
	if (p[0] < 0xc2 || p[0] > 0xf4)
		return 0;
	c = p[0] & (0x7f >> n);
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (p[i] & 0x3f);
	}
	if ((n == 3 && c < 0x800) || (n == 4 && (c < 0x10000 || c > 0x10ffff)) ||
	    (c >= 0xd800 && c <= 0xdfff))
		return 0;
	return n;
}

/* C1 controls (U+0080..U+009F: a terminal may read U+009B as CSI) and the
 * bidirectional overrides that reorder what follows them on screen. */
static bool is_format_control(const unsigned char *p, size_t n)
{
	uint32_t c = n == 2 ? (uint32_t)(p[0] & 0x1f) << 6 | (p[1] & 0x3f) :
		     n == 3 ? (uint32_t)(p[0] & 0x0f) << 12 | (uint32_t)(p[1] & 0x3f) << 6 |
			      (p[2] & 0x3f) : 0;

	return (c >= 0x80 && c <= 0x9f) || (c >= 0x202a && c <= 0x202e) ||
	       (c >= 0x2066 && c <= 0x2069);
}

void describe__put_untrusted(FILE *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t n, i;

	while (*p) {
		n = describe__utf8_length(p);
		if (n == 1 && *p >= 0x20 && *p != 0x7f) {
			fputc(*p, out);
		} else if (n > 1 && !is_format_control(p, n)) {
			fwrite(p, 1, n, out);
		} else {
			n = n ? n : 1; /* invalid UTF-8: one byte at a time */
			for (i = 0; i < n; i++)
				fprintf(out, "\\x%02x", p[i]);
		}
		p += n;
	}
}

void describe__wait_status(int status, char *buf, size_t size)
{
	if (WIFEXITED(status))
		snprintf(buf, size, "exited with status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, size, "killed by signal %d (%s)", WTERMSIG(status),
			 strsignal(WTERMSIG(status)));
	else
		snprintf(buf, size, "ended with wait status 0x%x", status);
}
