// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The attach session: resolve the runtime's functions in the library the
 * process maps, load and attach the BPF programs, feed every event to the
 * tracker (and the event log), and stop on Ctrl-C/SIGTERM, --duration, or
 * the process's exit, which the exit tracepoint reports in order after the
 * process's last event.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "bpf_attach.h"
#include "bpf_loader.h"
#include "event_log.h"
#include "layout.h"
#include "output.h"
#include "probes.h"
#include "target.h"
#include "tracker.h"

#define POLL_MS 100
#define HEARTBEAT_S 5.0

static volatile sig_atomic_t exiting;

static void on_signal(int sig)
{
	exiting = 1;
	signal(sig, SIG_DFL); /* a second Ctrl-C kills */
}

struct session {
	const struct cli_opts *opts;
	struct target target;
	struct probe_plan plan;
	struct layout layout;
	struct tracker *tracker;
	struct event_log_writer *log;
	struct run_info run;
	bool target_exited;
	bool log_failed;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void on_event(const struct ttleak_event *ev, void *ctx)
{
	struct session *s = ctx;

	tracker__consume(s->tracker, ev);
	if (s->log && !s->log_failed && event_log_writer__append(s->log, ev)) {
		fprintf(stderr, "ttleak-bpf: writing %s failed: %s; recording stopped\n",
			s->opts->record_path, strerror(errno));
		s->log_failed = true;
	}
	if (ev->kind == TTLEAK_EV_PROCESS_EXIT && ev->tgid == (uint32_t)s->target.pid)
		s->target_exited = true;
}

static int resolve_probes(struct session *s)
{
	char missing[256];
	int ret = probes__resolve(s->target.host_path, &s->plan);

	if (ret) {
		fprintf(stderr, "ttleak-bpf: %s: %s\n", s->target.host_path,
			ret == -ENOEXEC ? "not an x86-64 ELF library" : strerror(-ret));
		return EXIT_USAGE;
	}
	probes__missing_required(&s->plan, missing, sizeof(missing));
	if (missing[0]) {
		fprintf(stderr, "ttleak-bpf: %s lacks required functions: %s. It is not a tt-metal "
			"runtime build ttleak-bpf supports; see 'ttleak-bpf --list-probes --lib %s'\n",
			s->target.mapped_path, missing, s->target.mapped_path);
		return EXIT_USAGE;
	}
	return 0;
}

static int choose_layout(struct session *s)
{
	const struct layout *builtin = layout__builtin(s->plan.generation);
	char err[512];

	memset(&s->layout, 0, sizeof(s->layout));
	if (builtin)
		s->layout = *builtin;
	if (s->opts->layout_file) {
		if (!builtin)
			s->layout.buffer_impl_offset = s->layout.device_id_offset = -1;
		if (layout__load_file(s->opts->layout_file, &s->layout, err, sizeof(err))) {
			fprintf(stderr, "ttleak-bpf: %s\n", err);
			return EXIT_USAGE;
		}
	} else if (!builtin) {
		fprintf(stderr, "ttleak-bpf: no built-in struct layout for this runtime build "
			"(API generation %s): give --layout FILE (see README, 'Layout files')\n",
			s->plan.generation[0] ? s->plan.generation : "unknown");
		return EXIT_USAGE;
	}
	return 0;
}

static int open_record(struct session *s, uint64_t probe_mask)
{
	struct event_log_header h = {
		.target_pid = (uint32_t)s->target.pid,
		.flags = EVENT_LOG_F_ATTACHED,
		.probe_mask = probe_mask,
	};

	if (!s->opts->record_path)
		return 0;
	s->log = event_log_writer__open(s->opts->record_path, &h);
	if (!s->log) {
		fprintf(stderr, "ttleak-bpf: cannot write event log %s: %s\n", s->opts->record_path,
			strerror(errno));
		return EXIT_USAGE;
	}
	return 0;
}

static int open_pidfd(int pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

static bool pid_gone(int pidfd)
{
	struct pollfd p = { .fd = pidfd, .events = POLLIN };

	return pidfd >= 0 && poll(&p, 1, 0) == 1;
}

static void trace_loop(struct session *s, struct loader *l, int pidfd)
{
	double start = now_s(), next_beat = start + HEARTBEAT_S, t;
	bool tty = isatty(STDERR_FILENO) && !s->opts->quiet;

	s->run.stop_reason = "interrupted";
	while (!exiting) {
		if (loader__poll(l, POLL_MS) < 0 && errno != EINTR)
			break;
		t = now_s();
		if (s->target_exited || pid_gone(pidfd)) {
			s->run.stop_reason = "process exited";
			break;
		}
		if (s->opts->duration_s && t - start >= s->opts->duration_s) {
			s->run.stop_reason = "duration reached";
			break;
		}
		if (tty && t >= next_beat) {
			fprintf(stderr, "\rttleak-bpf: tracing pid %d for %.0f s ...", s->target.pid,
				t - start);
			next_beat = t + HEARTBEAT_S;
		}
	}
	if (tty)
		fprintf(stderr, "\r\033[K");
	s->run.duration_s = now_s() - start;
}

static void fill_run_info(struct session *s)
{
	struct run_info *run = &s->run;

	run->pid = s->target.pid;
	snprintf(run->command, sizeof(run->command), "%s", s->target.command);
	snprintf(run->lib_path, sizeof(run->lib_path), "%s", s->target.mapped_path);
	snprintf(run->generation, sizeof(run->generation), "%s", s->plan.generation);
	snprintf(run->layout_source, sizeof(run->layout_source), "%s", s->layout.source);
	run->attached_mid_run = true;
	run->checks = s->plan.checks;
	run->allow_drops = s->opts->allow_drops;
}

static int trace(struct session *s)
{
	struct loader_opts lo = {
		.pid = s->target.pid, .lib_path = s->target.host_path, .layout = &s->layout,
		.plan = &s->plan, .ringbuf_bytes = s->opts->ringbuf_bytes,
		.on_event = on_event, .ctx = s,
	};
	enum loader_failure failure;
	uint64_t probe_mask;
	struct loader *l;
	char err[512];
	int pidfd, status;

	loader__set_verbose(s->opts->verbose);
	l = loader__open(&lo, err, sizeof(err), &failure);
	if (!l) {
		fprintf(stderr, "ttleak-bpf: %s\n", err);
		return failure == LOADER_FAIL_ENVIRONMENT ? EXIT_USAGE : EXIT_UNCERTIFIED;
	}
	s->run.probes_attached = loader__attached(l, &probe_mask);
	status = open_record(s, probe_mask);
	if (status)
		goto cleanup;
	pidfd = open_pidfd(s->target.pid);
	if (!s->opts->quiet)
		fprintf(stderr, "ttleak-bpf: attached %zu probes to pid %d (%s, API generation %s); "
			"Ctrl-C to stop and report\n", s->run.probes_attached, s->target.pid,
			s->target.mapped_path, s->plan.generation);
	trace_loop(s, l, pidfd);
	if (pidfd >= 0)
		close(pidfd);
	loader__detach(l);
	loader__drops(l, s->run.drops);
	fill_run_info(s);
	status = output__finish(s->opts, &s->run, s->tracker);
cleanup:
	loader__close(l);
	return status;
}

static int close_record(struct session *s)
{
	struct event_log_footer f = { .event_count = 0 };

	if (!s->log)
		return 0;
	memcpy(f.drops, s->run.drops, sizeof(f.drops));
	if (event_log_writer__close(s->log, &f) || s->log_failed) {
		fprintf(stderr, "ttleak-bpf: the event log %s is incomplete\n",
			s->opts->record_path);
		return EXIT_UNCERTIFIED;
	}
	return 0;
}

int bpf_attach__run(const struct cli_opts *opts)
{
	struct tracker_opts topts = { .attached_mid_run = true };
	struct session s = { .opts = opts };
	char err[512];
	int status, rec;

	if (target__resolve(opts->pid, opts->lib, &s.target, err, sizeof(err))) {
		fprintf(stderr, "ttleak-bpf: %s\n", err);
		return EXIT_USAGE;
	}
	status = resolve_probes(&s);
	if (!status)
		status = choose_layout(&s);
	if (status)
		return status;
	s.tracker = tracker__new(&topts);
	if (!s.tracker) {
		fprintf(stderr, "ttleak-bpf: out of memory\n");
		return EXIT_UNCERTIFIED;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	status = trace(&s);
	rec = close_record(&s);
	tracker__free(s.tracker);
	return rec && status != EXIT_USAGE ? rec : status;
}
