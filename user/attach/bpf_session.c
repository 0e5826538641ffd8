// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The session: find the library, resolve the runtime's functions in it,
 * load and attach the BPF programs, feed every event to the tracker (and the
 * event log), and stop when the traced process exits (its exit event comes
 * in order after its last event), at --duration, or on Ctrl-C/SIGTERM.
 * In run mode a Ctrl-C from the terminal reaches the command directly, and
 * the session waits for the command to end before it reports.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <uthash.h>
#include "attach/bpf_session.h"
#include "attach/privileges.h"
#include "attach/session.h"
#include "report/report_text.h"
#include "attach/stack_mode.h"
#include "model/verdict.h"

#define POLL_MS 100
#define HEARTBEAT_S 5.0

static volatile sig_atomic_t signals_seen;
static volatile pid_t forward_to; /* run mode: the command */

/* A signal sent with kill() is passed on to the command; one from the
 * terminal has reached the command already. A second one kills the tracer. */
static void on_signal(int sig, siginfo_t *info, void *uctx)
{
	(void)uctx;
	signals_seen++;
	if (forward_to > 0 && info->si_code != SI_KERNEL)
		kill(forward_to, sig);
	signal(sig, SIG_DFL);
}

void session__forward_signals_to(pid_t pid)
{
	forward_to = pid;
}

static void install_signal_handlers(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_signal;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

/* --stacks=dwarf: the stack a thread's next allocation event refers to. */
struct pending_stack {
	UT_hash_handle hh;
	uint32_t tid;
	int32_t stack_id;
};

/* A process whose device vtables were announced (announce_process). */
struct announced {
	UT_hash_handle hh;
	uint32_t tgid;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- events ------------------------------------------------------------ */

/* Name a process at its first event, which BPF delivers at once while the
 * process is surely alive: it may be gone by report time. */
static void label_process(struct session *s, uint32_t tgid)
{
	char command[sizeof(s->labels.v->command)];

	target__read_command((int)tgid, command, sizeof(command));
	process_labels__set_command(&s->labels, tgid, command);
}

static void note_exit(struct session *s, uint32_t tgid)
{
	uint32_t *grown;

	if (tgid == (uint32_t)s->target.pid)
		s->root_exited = true;
	if (!s->mode->report_each_exit)
		return;
	grown = realloc(s->exited, (s->n_exited + 1) * sizeof(*grown));
	if (grown) {
		s->exited = grown;
		s->exited[s->n_exited++] = tgid;
	}
}

/* Read a new stack now, while its process still runs: its mappings are
 * needed to place the addresses. */
static void capture_stack(struct session *s, const struct ttleak_event *ev)
{
	uint64_t ips[TTLEAK_MAX_STACK_DEPTH];
	__u32 id = (__u32)ev->stack_id;
	bool read;

	if (stack_store__known(s->stacks, ev->tgid, ev->stack_id))
		return;
	read = bpf_map_lookup_elem(loader__stack_map_fd(s->loader), &id, ips) == 0;
	stack_store__add(s->stacks, ev->tgid, ev->stack_id, read ? ips : NULL,
			 TTLEAK_MAX_STACK_DEPTH);
}

/* Before a process's first probe event: where it loaded the device vtables,
 * from where that probe fired. Until an event says (never, for an address
 * that fits no probe), the process's devices are named by chip id or
 * pointer, as in a recording made without it. */
static void announce_process(struct session *s, const struct ttleak_event *ev)
{
	const struct runtime_vtables *vt = &s->vtables;
	struct announced *a;
	struct ttleak_event info;
	uint64_t bias;

	HASH_FIND(hh, s->announced, &ev->tgid, sizeof(ev->tgid), a);
	if (a)
		return;
	/* --all: the library whose probe fired is the one this process runs. */
	if (s->libs)
		vt = bpf_libraries__vtables(s->libs, ev, &bias);
	else if (process_vtables__bias(&s->plan, ev, &bias))
		vt = NULL;
	if (!vt)
		return;
	a = calloc(1, sizeof(*a));
	if (!a)
		return;
	a->tgid = ev->tgid;
	HASH_ADD(hh, s->announced, tgid, sizeof(a->tgid), a);
	process_vtables__event(ev->tgid, ev->ts_ns, bias, vt, &info);
	pipeline__event(s->pipeline, &info);
}

/* --stacks=dwarf: unwind a stack copy now, while its process surely still
 * maps what it ran, and keep its id for the event that follows it. */
static void on_ustack(const struct ttleak_ustack *u, size_t size, void *ctx)
{
	struct session *s = ctx;
	struct pending_stack *p;
	int32_t id;

	if (!s->stacks || stack_store__add_sample(s->stacks, u, size, &id))
		return;
	HASH_FIND(hh, s->pending, &u->tid, sizeof(u->tid), p);
	if (!p) {
		p = calloc(1, sizeof(*p));
		if (!p)
			return;
		p->tid = u->tid;
		HASH_ADD(hh, s->pending, tid, sizeof(p->tid), p);
	}
	p->stack_id = id;
}

/* The event with the id of the stack copy its thread sent just before. */
static const struct ttleak_event *with_ustack(struct session *s, const struct ttleak_event *ev,
					      struct ttleak_event *copy)
{
	struct pending_stack *p;

	if (!(ev->flags & TTLEAK_F_USTACK))
		return ev;
	*copy = *ev;
	copy->stack_id = -1;
	HASH_FIND(hh, s->pending, &ev->tid, sizeof(ev->tid), p);
	if (p) {
		copy->stack_id = p->stack_id;
		p->stack_id = -1;
	}
	return copy;
}

static void on_event(const struct ttleak_event *raw, void *ctx)
{
	struct session *s = ctx;
	struct ttleak_event copy;
	const struct ttleak_event *ev = with_ustack(s, raw, &copy);

	if (!s->pipeline)
		return; /* set-up failed before tracing began; the loader is closing */
	announce_process(s, ev);
	if (ev->flags & TTLEAK_F_NEW_PROCESS) {
		label_process(s, ev->tgid);
		if (s->stacks)
			stack_store__note_process(s->stacks, ev->tgid);
	}
	if (ev->kind == TTLEAK_EV_PROCESS_EXIT) {
		process_labels__set_comm(&s->labels, ev->tgid, ev->comm);
		note_exit(s, ev->tgid);
	}
	if (ev->stack_id >= 0 && s->stacks && s->stack_mode == TTLEAK_STACKS_FP)
		capture_stack(s, ev);
	pipeline__event(s->pipeline, ev);
}

/* ---- the trace --------------------------------------------------------- */

static void fill_run_info(struct session *s)
{
	struct run_info *run = &s->run;

	run->pid = s->target.pid;
	snprintf(run->command, sizeof(run->command), "%s", s->target.command);
	snprintf(run->lib_path, sizeof(run->lib_path), "%s", s->target.mapped_path);
	snprintf(run->generation, sizeof(run->generation), "%s", s->plan.generation);
	snprintf(run->layout_source, sizeof(run->layout_source), "%s", s->layout.source);
	run->attached_mid_run = s->mode->attached_mid_run;
	run->checks = s->plan.checks;
	if (s->libs) {
		run->checks &= bpf_libraries__checks(s->libs);
		run->libraries = bpf_libraries__report(s->libs, &run->n_libraries);
	}
	run->max_live = s->opts->max_live;
	run->allow_drops = s->opts->allow_drops;
	run->labels = s->labels.v;
	run->n_labels = s->labels.n;
	run->stacks = s->stacks;
	run->stack_mode = s->stack_mode;
	run->stack_bytes = s->opts->stack_bytes;
	/* Printed above only when the final report goes to the same stdout. */
	run->reported = s->opts->output_path ? NULL : s->reported;
	run->n_reported = s->opts->output_path ? 0 : s->n_reported;
}

/* The final report lists these once instead of repeating them. */
static void remember_reported(struct session *s)
{
	uint32_t *grown = realloc(s->reported, (s->n_reported + s->n_exited) * sizeof(*grown));

	if (!grown)
		return; /* they are then printed again at the end: nothing is lost */
	s->reported = grown;
	memcpy(s->reported + s->n_reported, s->exited, s->n_exited * sizeof(*grown));
	s->n_reported += s->n_exited;
}

/* --all: a report for each process that exited since the last turn. */
static void report_exited(struct session *s)
{
	struct tracker_results *r;
	size_t i;

	if (!s->n_exited || s->opts->quiet || cli__json_on_stdout(s->opts))
		goto done;
	fill_run_info(s);
	r = pipeline__results(s->pipeline, s->run.checks);
	for (i = 0; i < s->n_exited; i++) {
		printf("\n== process %u exited ==", s->exited[i]);
		report_text__write_process(stdout, &s->run, r, s->exited[i]);
	}
	fflush(stdout);
	tracker_results__free(r);
	remember_reported(s);
done:
	s->n_exited = 0;
}

/* Why the trace ends now, or NULL to go on. */
static const char *stop_reason(struct session *s, int pidfd, double elapsed)
{
	const char *ended = s->mode->target_ended ? s->mode->target_ended(s, pidfd) : NULL;

	if (ended)
		return ended;
	if (s->opts->duration_s && elapsed >= s->opts->duration_s)
		return "duration reached";
	if (signals_seen && s->mode->signals_stop)
		return "interrupted";
	return NULL;
}

static void trace_loop(struct session *s, int pidfd)
{
	double start = s->started, next_beat = start + HEARTBEAT_S, t = now_s();
	/* The live view (-i) shows the run is alive; else a heartbeat does. */
	bool tty = isatty(STDERR_FILENO) && !s->opts->quiet && !s->opts->interval_s;

	while (!(s->run.stop_reason = stop_reason(s, pidfd, t - start))) {
		if (loader__poll(s->loader, POLL_MS) < 0 && errno != EINTR) {
			s->run.stop_reason = "ring buffer error";
			break;
		}
		report_exited(s);
		t = now_s();
		if (s->libs)
			bpf_libraries__poll(s->libs, s->loader, &s->loader_opts, t);
		if (tty && t >= next_beat) {
			fprintf(stderr, "\rttleak-bpf: tracing for %.0f s ...", t - start);
			next_beat = t + HEARTBEAT_S;
		}
		if (pipeline__due(s->pipeline, t)) {
			loader__consume(s->loader);
			loader__drops(s->loader, s->run.drops);
			fill_run_info(s);
			pipeline__tick(s->pipeline, &s->run, t);
		}
	}
	if (tty)
		fprintf(stderr, "\r\033[K");
	s->run.duration_s = now_s() - start;
}

/* The attach failed or went to another process: say which. */
static int attach_failed(struct session *s, const char *err, enum loader_failure failure)
{
	char gone[512];

	if (s->mode->verify_target && s->mode->verify_target(s, gone, sizeof(gone))) {
		/* The attach failed because the process is gone: say that. */
		fprintf(stderr, "ttleak-bpf: %s\n", gone);
		return EXIT_UNCERTIFIED;
	}
	fprintf(stderr, "ttleak-bpf: %s\n", err);
	return failure == LOADER_FAIL_ENVIRONMENT ? EXIT_USAGE : EXIT_UNCERTIFIED;
}

static int open_loader(struct session *s)
{
	struct loader_opts lo = {
		.filter = s->mode->filter, .pid = s->target.pid,
		.lib_path = s->target.host_path, .layout = &s->layout, .plan = &s->plan,
		.ringbuf_bytes = s->opts->ringbuf_bytes, .on_event = on_event, .ctx = s,
		.stacks = s->stack_mode, .stack_bytes = s->opts->stack_bytes,
		.on_ustack = on_ustack,
	};
	enum loader_failure failure;
	char err[512];

	loader__set_verbose(s->opts->verbose);
	s->loader_opts = lo;
	s->loader = loader__open(&lo, err, sizeof(err), &failure);
	if (!s->loader)
		return attach_failed(s, err, failure);
	if (s->libs)
		bpf_libraries__attach(s->libs, s->loader, &lo);
	return s->mode->after_attach ? s->mode->after_attach(s) : 0;
}

/* The tracker, the exports and the event log, once the probes are in. */
static int open_pipeline(struct session *s)
{
	struct event_log_header record = {
		.target_pid = (uint32_t)s->target.pid,
		.flags = s->mode->attached_mid_run ? EVENT_LOG_F_ATTACHED : 0,
	};
	struct pipeline_opts po = {
		.cli = s->opts, .checks = s->plan.checks, .start_s = s->started,
		.tracker = { .attached_mid_run = s->mode->attached_mid_run,
			     .max_live = s->opts->max_live },
		.record = &record,
	};

	s->run.probes_attached = loader__attached(s->loader, &record.probe_mask);
	return pipeline__open(&po, &s->pipeline);
}

static void say_attached(struct session *s)
{
	char err[512];

	if (privileges__drop_after_attach(s->mode->keeps_attach_rights, err, sizeof(err)) &&
	    !s->opts->quiet)
		fprintf(stderr, "ttleak-bpf: warning: %s; tracing on with them\n", err);
	if (!s->opts->quiet)
		fprintf(stderr, "ttleak-bpf: attached %zu probes (%s, era %s)%s\n",
			s->run.probes_attached, s->target.mapped_path, s->plan.generation,
			s->mode->attached_hint);
	if (!s->opts->quiet && s->stack_mode == TTLEAK_STACKS_DWARF)
		fprintf(stderr, "ttleak-bpf: stacks: dwarf (%u bytes of stack per allocation, "
			"unwound with the code's CFI)\n", s->opts->stack_bytes);
	else if (!s->opts->quiet && s->stack_mode == TTLEAK_STACKS_FP)
		fprintf(stderr, "ttleak-bpf: stacks: fp (frame-pointer walk)\n");
}

static int start(struct session *s, int *pidfd)
{
	char err[512];
	int status = s->mode->prepare ? s->mode->prepare(s) : 0;

	status = status ?: open_loader(s);
	if (status)
		return status;
	/* The probes are in place; are they in the process that was found? */
	if (s->mode->verify_target && s->mode->verify_target(s, err, sizeof(err))) {
		fprintf(stderr, "ttleak-bpf: %s\n", err);
		return EXIT_UNCERTIFIED;
	}
	s->started = now_s();
	status = open_pipeline(s);
	if (status)
		return status;
	loader__arm(s->loader);
	say_attached(s);
	return s->mode->go(s, pidfd);
}

static int finish(struct session *s)
{
	loader__detach(s->loader);
	loader__drops(s->loader, s->run.drops);
	loader__stack_errors(s->loader, s->run.stack_errors);
	loader__probe_counters(s->loader, &s->run.unarmed_events, &s->run.mesh_id_read_faults);
	if (s->stacks)
		stack_store__symbolize(s->stacks);
	if (s->mode->collect)
		s->mode->collect(s);
	fill_run_info(s);
	return pipeline__finish(s->pipeline, &s->run, (uint64_t)(now_s() * 1e9));
}

static void free_announced(struct session *s)
{
	struct announced *a, *tmp;

	HASH_ITER(hh, s->announced, a, tmp) {
		HASH_DEL(s->announced, a);
		free(a);
	}
}

static void free_pending(struct session *s)
{
	struct pending_stack *p, *tmp;

	HASH_ITER(hh, s->pending, p, tmp) {
		HASH_DEL(s->pending, p);
		free(p);
	}
}

static void session_free(struct session *s)
{
	/* Closing the loader delivers what is left in the ring buffer. */
	loader__close(s->loader);
	pipeline__free(s->pipeline);
	if (s->mode->abandon)
		s->mode->abandon(s);
	stack_store__free(s->stacks);
	process_labels__free(&s->labels);
	free(s->exited);
	free(s->reported);
	free_announced(s);
	free_pending(s);
	target__close(&s->target);
	proc_identity__close(&s->identity);
	bpf_libraries__free(s->libs);
}

int bpf_session__run(const struct cli_opts *opts)
{
	struct session s = { .opts = opts, .mode = session_mode__of(opts->mode),
			     .target.fd = -1, .identity.pidfd = -1 };
	int status, pidfd = -1;

	status = s.mode->locate(&s);
	if (status)
		goto out;
	/* --all loads one BPF object for every library: no one build to probe. */
	s.stack_mode = stack_mode__choose(opts->stacks, s.mode->many_libraries ? NULL :
					  s.target.host_path, &s.plan);
	if (opts->stacks && !(s.stacks = stack_store__new())) {
		fprintf(stderr, "ttleak-bpf: out of memory\n");
		status = EXIT_UNCERTIFIED;
		goto out;
	}
	install_signal_handlers();
	status = start(&s, &pidfd);
	if (!status) {
		trace_loop(&s, pidfd);
		status = finish(&s);
	}
out:
	if (pidfd >= 0)
		close(pidfd);
	session_free(&s);
	return status;
}
