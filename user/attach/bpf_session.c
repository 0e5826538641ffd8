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
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <uthash.h>
#include "attach/bpf_libraries.h"
#include "attach/bpf_loader.h"
#include "attach/bpf_session.h"
#include "attach/child.h"
#include "model/event_log.h"
#include "report/exports.h"
#include "elf/layout.h"
#include "elf/layout_select.h"
#include "attach/lib_locate.h"
#include "attach/lib_prepare.h"
#include "report/output.h"
#include "attach/privileges.h"
#include "attach/proc_identity.h"
#include "attach/probes.h"
#include "attach/process_vtables.h"
#include "report/report_text.h"
#include "elf/stacks.h"
#include "attach/stack_mode.h"
#include "attach/target.h"
#include "model/tracker.h"
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

struct session {
	const struct cli_opts *opts;
	struct target target;     /* library paths, pid, command */
	struct child child;       /* run mode */
	struct probe_plan plan;
	struct layout layout;
	struct runtime_vtables vtables; /* to tell chips from meshes */
	struct announced *announced;
	struct proc_identity identity; /* -p: the process found, from discovery to attach */
	struct bpf_libraries *libs; /* --all: every library file */
	struct loader_opts loader_opts; /* to attach libraries found later (--all) */
	struct tracker *tracker;
	struct event_log_writer *log;
	struct loader *loader;
	struct stack_store *stacks; /* --stacks */
	enum ttleak_stack_mode stack_mode;
	struct pending_stack *pending; /* --stacks=dwarf, by thread */
	struct exports *exports;  /* -i, --trace, --metrics */
	struct run_info run;
	struct process_label *labels;
	size_t n_labels;
	uint32_t *exited;         /* --all: processes to report at the next turn */
	size_t n_exited;
	uint32_t *reported;       /* --all: processes already reported at exit */
	size_t n_reported;
	bool root_exited;
	bool log_failed;
	double started;           /* when the probes went live */
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- setup per mode ---------------------------------------------------- */

static void join_command(char *const argv[], char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (; *argv && len + 1 < size; argv++)
		len += (size_t)snprintf(buf + len, size - len, "%s%s", len ? " " : "", *argv);
}

/* --all: every library file, each resolved; the primary's facts stand for
 * the run where one library is named (the report's "runtime" line). */
static int locate_all(struct session *s)
{
	const struct traced_lib *t;
	int status = bpf_libraries__open(s->opts, &s->libs);

	if (status)
		return status;
	t = bpf_libraries__primary(s->libs);
	snprintf(s->target.host_path, sizeof(s->target.host_path), "%s", t->open_path);
	snprintf(s->target.mapped_path, sizeof(s->target.mapped_path), "%s", t->path);
	s->plan = t->plan;
	s->layout = t->layout;
	s->vtables = t->vtables;
	return 0;
}

static int locate(struct session *s)
{
	const struct cli_opts *o = s->opts;
	struct lib_choice lib;
	char err[512];
	int ret;

	if (o->mode == MODE_ALL)
		return locate_all(s);
	/* -p: the pidfd first, so what is read next is known to be this process's. */
	if (o->mode == MODE_ATTACH) {
		ret = proc_identity__open(o->pid, &s->identity, err, sizeof(err));
		if (!ret)
			ret = target__resolve(o->pid, o->lib, &s->target, err, sizeof(err));
	} else {
		ret = lib_locate__for_command(o->lib, o->import_module, &lib, err, sizeof(err));
	}
	if (ret) {
		fprintf(stderr, "ttleak-bpf: %s\n", err);
		return EXIT_USAGE;
	}
	if (o->mode != MODE_ATTACH) {
		snprintf(s->target.host_path, sizeof(s->target.host_path), "%s", lib.path);
		snprintf(s->target.mapped_path, sizeof(s->target.mapped_path), "%s", lib.path);
		if (!o->quiet)
			fprintf(stderr, "ttleak-bpf: probing %s (from %s)\n", lib.path, lib.how);
	}
	if (o->mode == MODE_RUN)
		join_command(o->command, s->target.command, sizeof(s->target.command));
	return 0;
}

static int resolve_probes(struct session *s)
{
	return lib_prepare__probes(s->target.host_path, s->target.mapped_path, &s->plan);
}

static int choose_layout(struct session *s)
{
	return lib_prepare__layout(s->target.host_path, s->target.mapped_path,
				   s->opts->layout_file, &s->layout, &s->vtables);
}

/* ---- events ------------------------------------------------------------ */

/* Name a process at its first event, which BPF delivers at once while the
 * process is surely alive: it may be gone by report time. */
static void label_process(struct session *s, uint32_t tgid)
{
	struct process_label *grown;

	grown = realloc(s->labels, (s->n_labels + 1) * sizeof(*grown));
	if (!grown)
		return;
	s->labels = grown;
	s->labels[s->n_labels].tgid = tgid;
	target__read_command((int)tgid, s->labels[s->n_labels].command, sizeof(grown->command));
	s->n_labels++;
}

static void note_exit(struct session *s, uint32_t tgid)
{
	uint32_t *grown;

	if (tgid == (uint32_t)s->target.pid)
		s->root_exited = true;
	if (s->opts->mode != MODE_ALL)
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

/* One event through the model and every consumer of it, in order. */
static void deliver(struct session *s, const struct ttleak_event *ev)
{
	tracker__consume(s->tracker, ev);
	exports__event(s->exports, s->tracker, ev);
	if (s->log && !s->log_failed && event_log_writer__append(s->log, ev)) {
		fprintf(stderr, "ttleak-bpf: writing %s failed: %s; recording stopped\n",
			s->opts->record_path, strerror(errno));
		s->log_failed = true;
	}
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
	deliver(s, &info);
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

	announce_process(s, ev);
	if (ev->flags & TTLEAK_F_NEW_PROCESS) {
		label_process(s, ev->tgid);
		if (s->stacks)
			stack_store__note_process(s->stacks, ev->tgid);
	}
	if (ev->kind == TTLEAK_EV_PROCESS_EXIT)
		note_exit(s, ev->tgid);
	if (ev->stack_id >= 0 && s->stacks && s->stack_mode == TTLEAK_STACKS_FP)
		capture_stack(s, ev);
	deliver(s, ev);
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
	run->attached_mid_run = s->opts->mode != MODE_RUN;
	run->checks = s->plan.checks;
	if (s->libs) {
		run->checks &= bpf_libraries__checks(s->libs);
		run->libraries = bpf_libraries__report(s->libs, &run->n_libraries);
	}
	run->max_live = s->opts->max_live;
	run->allow_drops = s->opts->allow_drops;
	run->labels = s->labels;
	run->n_labels = s->n_labels;
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

	if (!s->n_exited || s->opts->quiet ||
	    (s->opts->json_path && strcmp(s->opts->json_path, "-") == 0))
		goto done;
	fill_run_info(s);
	r = tracker__results(s->tracker);
	verdict__filter(r, s->run.checks);
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

static bool pid_gone(int pidfd)
{
	struct pollfd p = { .fd = pidfd, .events = POLLIN };

	return pidfd >= 0 && poll(&p, 1, 0) == 1;
}

/* Why the trace ends now, or NULL to go on. */
static const char *stop_reason(struct session *s, int pidfd, double elapsed)
{
	if (s->opts->mode == MODE_RUN && child__exited(&s->child))
		return "command ended";
	if (s->opts->mode == MODE_ATTACH && (s->root_exited || pid_gone(pidfd)))
		return "process exited";
	if (s->opts->duration_s && elapsed >= s->opts->duration_s)
		return "duration reached";
	if (signals_seen && s->opts->mode != MODE_RUN)
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
		if (exports__due(s->exports, t)) {
			loader__consume(s->loader);
			loader__drops(s->loader, s->run.drops);
			fill_run_info(s);
			exports__tick(s->exports, s->tracker, &s->run, t);
		}
	}
	if (tty)
		fprintf(stderr, "\r\033[K");
	s->run.duration_s = now_s() - start;
}

static int open_record(struct session *s, uint64_t probe_mask)
{
	struct event_log_header h = {
		.target_pid = (uint32_t)s->target.pid,
		.flags = s->opts->mode != MODE_RUN ? EVENT_LOG_F_ATTACHED : 0,
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

static int open_loader(struct session *s)
{
	static const enum loader_filter filters[] = {
		[MODE_ATTACH] = LOADER_TRACE_PID, [MODE_RUN] = LOADER_TRACE_TREE,
		[MODE_ALL] = LOADER_TRACE_ALL,
	};
	struct loader_opts lo = {
		.filter = filters[s->opts->mode], .pid = s->target.pid,
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
	if (!s->loader && s->opts->mode == MODE_ATTACH &&
	    proc_identity__verify(&s->identity, err, sizeof(err))) {
		/* The attach failed because the process is gone: say that. */
		fprintf(stderr, "ttleak-bpf: %s\n", err);
		return EXIT_UNCERTIFIED;
	}
	if (!s->loader) {
		fprintf(stderr, "ttleak-bpf: %s\n", err);
		return failure == LOADER_FAIL_ENVIRONMENT ? EXIT_USAGE : EXIT_UNCERTIFIED;
	}
	if (s->libs)
		bpf_libraries__attach(s->libs, s->loader, &lo);
	if (s->opts->mode == MODE_RUN && loader__trace_tgid(s->loader, s->target.pid)) {
		fprintf(stderr, "ttleak-bpf: cannot add pid %d to the traced set: %s\n",
			s->target.pid, strerror(errno));
		return EXIT_UNCERTIFIED;
	}
	return 0;
}

static int start(struct session *s, int *pidfd)
{
	uint64_t probe_mask;
	char err[512];
	int status;

	if (s->opts->mode == MODE_RUN) {
		struct child_identity who;

		if (privileges__command_identity(s->opts->run_as_user, s->opts->as_root, &who, err,
						 sizeof(err)) ||
		    child__spawn_paused(s->opts->command, &who, &s->child, err, sizeof(err))) {
			fprintf(stderr, "ttleak-bpf: %s\n", err);
			return EXIT_USAGE;
		}
		s->target.pid = s->child.pid;
		forward_to = s->child.pid;
	}
	status = open_loader(s);
	if (status)
		return status;
	/* -p: the probes are in place; are they in the process that was found? */
	if (s->opts->mode == MODE_ATTACH && proc_identity__verify(&s->identity, err, sizeof(err))) {
		fprintf(stderr, "ttleak-bpf: %s\n", err);
		return EXIT_UNCERTIFIED;
	}
	s->started = now_s();
	if (exports__new(s->opts, s->plan.checks, s->started, &s->exports)) {
		fprintf(stderr, "ttleak-bpf: out of memory\n");
		return EXIT_UNCERTIFIED;
	}
	s->run.probes_attached = loader__attached(s->loader, &probe_mask);
	status = open_record(s, probe_mask);
	if (status)
		return status;
	loader__arm(s->loader);
	/* --all attaches to library files found later, so it keeps what that needs. */
	if (privileges__drop_after_attach(s->opts->mode == MODE_ALL, err, sizeof(err)) &&
	    !s->opts->quiet)
		fprintf(stderr, "ttleak-bpf: warning: %s; tracing on with them\n", err);
	if (!s->opts->quiet)
		fprintf(stderr, "ttleak-bpf: attached %zu probes (%s, era %s)%s\n",
			s->run.probes_attached, s->target.mapped_path, s->plan.generation,
			s->opts->mode == MODE_RUN ? "" : "; Ctrl-C to stop and report");
	if (!s->opts->quiet && s->stack_mode == TTLEAK_STACKS_DWARF)
		fprintf(stderr, "ttleak-bpf: stacks: dwarf (%u bytes of stack per allocation, "
			"unwound with the code's CFI)\n", s->opts->stack_bytes);
	else if (!s->opts->quiet && s->stack_mode == TTLEAK_STACKS_FP)
		fprintf(stderr, "ttleak-bpf: stacks: fp (frame-pointer walk)\n");
	if (s->opts->mode == MODE_RUN) {
		if (child__release(&s->child, s->opts->command, err, sizeof(err))) {
			fprintf(stderr, "ttleak-bpf: %s\n", err);
			return EXIT_USAGE;
		}
		*pidfd = -1;
	} else if (s->opts->mode == MODE_ATTACH) {
		*pidfd = s->identity.pidfd; /* the trace loop's now: it tells the exit */
		s->identity.pidfd = -1;
		if (s->stacks)
			stack_store__note_process(s->stacks, (uint32_t)s->target.pid);
	}
	return 0;
}

static int finish(struct session *s)
{
	struct event_log_footer f = { .event_count = 0 };
	int status;

	loader__detach(s->loader);
	loader__drops(s->loader, s->run.drops);
	loader__stack_errors(s->loader, s->run.stack_errors);
	if (s->stacks)
		stack_store__symbolize(s->stacks);
	if (s->opts->mode == MODE_RUN && s->child.reaped) {
		s->run.command_ran = true;
		s->run.command_status = s->child.status;
	}
	fill_run_info(s);
	status = output__finish(s->opts, &s->run, s->tracker);
	if (exports__finish(s->exports, s->tracker, &s->run, (uint64_t)(now_s() * 1e9)))
		status = EXIT_USAGE;
	if (s->log) {
		memcpy(f.drops, s->run.drops, sizeof(f.drops));
		if (event_log_writer__close(s->log, &f) || s->log_failed) {
			fprintf(stderr, "ttleak-bpf: the event log %s is incomplete\n",
				s->opts->record_path);
			status = status == EXIT_USAGE ? status : EXIT_UNCERTIFIED;
		}
		s->log = NULL;
	}
	return status;
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
	if (s->log)
		event_log_writer__close(s->log, NULL);
	loader__close(s->loader);
	if (s->opts->mode == MODE_RUN && s->child.pid > 0 && s->child.release_fd >= 0)
		child__abandon(&s->child); /* set up failed before the command ran */
	tracker__free(s->tracker);
	exports__free(s->exports);
	stack_store__free(s->stacks);
	free(s->labels);
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
	struct tracker_opts topts = { .attached_mid_run = opts->mode != MODE_RUN,
				      .max_live = opts->max_live };
	struct session s = { .opts = opts, .target.fd = -1, .identity.pidfd = -1 };
	int status, pidfd = -1;

	/* --all resolved each library as it found it. */
	status = locate(&s);
	if (!status && opts->mode != MODE_ALL)
		status = resolve_probes(&s);
	if (!status && opts->mode != MODE_ALL)
		status = choose_layout(&s);
	if (status)
		goto out;
	s.tracker = tracker__new(&topts);
	s.stack_mode = stack_mode__choose(opts->stacks, opts->mode == MODE_ALL ? NULL :
					  s.target.host_path, &s.plan);
	if (opts->stacks)
		s.stacks = stack_store__new();
	if (opts->stacks && !s.stacks) {
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
