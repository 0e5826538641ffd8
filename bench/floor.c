// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * floor: attach counting uprobes (bench/floor.bpf.c) to a process and print
 * the hits when it exits or on SIGINT/SIGTERM.
 *
 *   floor -p PID [--lib PATH]                 where the tracer attaches: the
 *                                             probe plan of user/probes.c
 *   floor -p PID --lib PATH --offset OFF ...  at file offsets
 *   floor -p PID --lib PATH --func SYM[+N] ...  at a symbol (+N bytes)
 *   floor --record ...                        each hit also sends one ring record
 *                                             the size of the tracer's event
 *
 * Prints "floor: attached N probes to pid P" on stderr once they are live and
 * {"probes":[{"where":..,"hits":..},..],"total":..} on stdout at the end.
 */
#include <argp.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "floor.skel.h"
#include "attach/probes.h"
#include "attach/proc_maps.h"

#define MAX_PROBES 64 /* FLOOR_MAX_PROBES in floor.bpf.c */

struct site {
	char where[160];   /* as printed: "0x1234" or "sym+4" */
	char func[128];    /* "": offset is a file offset */
	unsigned long offset;
};

struct opts {
	int pid;
	const char *lib;
	struct site sites[MAX_PROBES];
	size_t n_sites;
	bool record;       /* count_and_record, and drain its ring buffer */
};

static volatile sig_atomic_t exiting;

static void on_signal(int sig)
{
	exiting = 1;
	signal(sig, SIG_DFL);
}

static const struct argp_option options[] = {
	{ "pid", 'p', "PID", 0, "Process to probe (required)", 0 },
	{ "lib", 'l', "PATH", 0, "Library (default: the libtt_metal.so that PID maps)", 0 },
	{ "offset", 'o', "OFF", 0, "Probe at this file offset (repeatable)", 0 },
	{ "func", 'f', "SYM[+N]", 0, "Probe at symbol SYM plus N bytes (repeatable)", 0 },
	{ "record", 'r', NULL, 0, "Also send a ring record per hit (the cost of delivering an event)", 0 },
	{ 0 },
};

static int add_site(struct opts *o, const char *arg, bool is_func)
{
	struct site *s;
	char *end, *plus;

	if (o->n_sites == MAX_PROBES)
		return -E2BIG;
	s = &o->sites[o->n_sites];
	snprintf(s->where, sizeof(s->where), "%s", arg);
	errno = 0;
	if (!is_func) {
		s->offset = strtoul(arg, &end, 0);
		if (errno || end == arg || *end)
			return -EINVAL;
	} else {
		plus = strchr(s->where, '+');
		s->offset = 0;
		if (plus) {
			s->offset = strtoul(plus + 1, &end, 0);
			if (errno || end == plus + 1 || *end)
				return -EINVAL;
		}
		/* The name is the part before '+'; where keeps the whole site. */
		snprintf(s->func, sizeof(s->func), "%.*s",
			 (int)(plus ? (size_t)(plus - s->where) : strlen(arg)), arg);
	}
	o->n_sites++;
	return 0;
}

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct opts *o = state->input;
	char *end;

	switch (key) {
	case 'p':
		errno = 0;
		o->pid = (int)strtol(arg, &end, 10);
		if (errno || end == arg || *end || o->pid <= 0)
			argp_error(state, "invalid PID '%s'", arg);
		break;
	case 'l': o->lib = arg; break;
	case 'r': o->record = true; break;
	case 'o':
	case 'f':
		if (add_site(o, arg, key == 'f'))
			argp_error(state, "invalid or too many probe sites ('%s')", arg);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

/* The tracer's own plan: every wanted probe that resolved, at its offset. */
static int plan_sites(struct opts *o)
{
	struct probe_plan plan;
	size_t id, i;
	int err = probes__resolve(o->lib, &plan);

	if (err) {
		fprintf(stderr, "floor: cannot resolve probes in %s: %s\n", o->lib, strerror(-err));
		return err;
	}
	for (id = 0; id < PROBE_MAX; id++) {
		if (!plan.wanted[id])
			continue;
		for (i = 0; i < plan.n_targets[id] && o->n_sites < MAX_PROBES; i++) {
			struct site *s = &o->sites[o->n_sites++];

			s->offset = plan.targets[id][i].file_offset;
			snprintf(s->where, sizeof(s->where), "%s@0x%lx", probes__def(id)->label,
				 s->offset);
		}
	}
	return 0;
}

static int attach(struct floor_bpf *skel, const struct opts *o, struct bpf_link **links)
{
	size_t i;

	for (i = 0; i < o->n_sites; i++) {
		LIBBPF_OPTS(bpf_uprobe_opts, uo, .bpf_cookie = i, 
			     .func_name = o->sites[i].func[0] ? o->sites[i].func : NULL);

		links[i] = bpf_program__attach_uprobe_opts(o->record ? skel->progs.count_and_record :
							   skel->progs.count_hit, o->pid, o->lib,
							   o->sites[i].offset, &uo);
		if (!links[i]) {
			int err = -errno;

			fprintf(stderr, "floor: cannot attach at %s in %s: %s\n", o->sites[i].where,
				o->lib, strerror(-err));
			return err;
		}
	}
	return 0;
}

static int drop_record(void *ctx, void *data, size_t size)
{
	(void)ctx;
	(void)data;
	(void)size;
	return 0;
}

/* Until pid exits (or a signal); with rb, reading its records every 10 ms,
 * so that it never fills (the records are never woken for). */
static void wait_for_end(int pid, struct ring_buffer *rb)
{
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	struct pollfd p = { .fd = pidfd, .events = POLLIN };

	while (!exiting) {
		if (rb)
			ring_buffer__consume(rb);
		if (pidfd < 0)
			pause();
		else if (poll(&p, 1, rb ? 10 : 100) == 1)
			break;
	}
	if (rb)
		ring_buffer__consume(rb);
	if (pidfd >= 0)
		close(pidfd);
}

static void print_hits(const struct floor_bpf *skel, const struct opts *o)
{
	unsigned long long total = 0;
	size_t i;

	printf("{\"probes\":[");
	for (i = 0; i < o->n_sites; i++) {
		unsigned long long h = skel->bss->hits[i];

		total += h;
		printf("%s{\"where\":\"%s\",\"hits\":%llu}", i ? "," : "", o->sites[i].where, h);
	}
	printf("],\"total\":%llu}\n", total);
}

int main(int argc, char **argv)
{
	static const struct argp argp = { options, parse_opt, NULL,
					   "Count uprobe hits: the floor of uprobe overhead.",
					   NULL, NULL, NULL };
	struct bpf_link *links[MAX_PROBES] = { 0 };
	struct floor_bpf *skel = NULL;
	struct ring_buffer *rb = NULL;
	char host[PATH_MAX];
	struct opts o = { 0 };
	int err = 1;
	size_t i;

	if (argp_parse(&argp, argc, argv, 0, NULL, &o))
		return 2;
	if (!o.pid) {
		fprintf(stderr, "floor: -p PID is required\n");
		return 2;
	}
	if (!o.lib) {
		if (proc_maps__find_library(o.pid, "libtt_metal", host, sizeof(host), NULL, 0)) {
			fprintf(stderr, "floor: pid %d maps no libtt_metal.so; give --lib\n", o.pid);
			return 2;
		}
		o.lib = host;
	}
	if (!o.n_sites && plan_sites(&o))
		return 2;
	skel = floor_bpf__open_and_load();
	if (!skel) {
		fprintf(stderr, "floor: cannot load the BPF program: %s\n", strerror(errno));
		return 1;
	}
	if (o.record) {
		rb = ring_buffer__new(bpf_map__fd(skel->maps.records), drop_record, NULL, NULL);
		if (!rb) {
			fprintf(stderr, "floor: cannot open the ring buffer: %s\n", strerror(errno));
			goto cleanup;
		}
	}
	if (attach(skel, &o, links))
		goto cleanup;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	fprintf(stderr, "floor: attached %zu probes to pid %d\n", o.n_sites, o.pid);
	wait_for_end(o.pid, rb);
	print_hits(skel, &o);
	err = 0;
cleanup:
	for (i = 0; i < o.n_sites; i++)
		bpf_link__destroy(links[i]);
	ring_buffer__free(rb);
	floor_bpf__destroy(skel);
	return err;
}
