// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * What -p PID, run mode (-- CMD) and --all do differently, as one table of
 * operations (session.h). Everything else in a live session is the same.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include "attach/lib_locate.h"
#include "attach/lib_prepare.h"
#include "attach/privileges.h"
#include "attach/session.h"

/* ---- what every mode but --all shares ----------------------------------- */

/* The probes and the struct layout of the one library file. */
static int prepare_library(struct session *s)
{
	return lib_prepare__probes(s->target.host_path, s->target.mapped_path, &s->plan) ?:
	       lib_prepare__layout(s->target.host_path, s->target.mapped_path,
				   s->opts->layout_file, &s->layout, &s->vtables);
}

/* ---- -p PID ------------------------------------------------------------ */

static int attach_locate(struct session *s)
{
	char err[512];

	/* The pidfd first, so what is read next is known to be this process's. */
	if (proc_identity__open(s->opts->pid, &s->identity, err, sizeof(err)) ||
	    target__resolve(s->opts->pid, s->opts->lib, &s->target, err, sizeof(err))) {
		fprintf(stderr, "ttleak-bpf: %s\n", err);
		return EXIT_USAGE;
	}
	return prepare_library(s);
}

static int attach_verify(struct session *s, char *err, size_t errlen)
{
	return proc_identity__verify(&s->identity, err, errlen);
}

static int attach_go(struct session *s, int *pidfd)
{
	*pidfd = s->identity.pidfd; /* the trace loop's now: it tells the exit */
	s->identity.pidfd = -1;
	if (s->stacks)
		stack_store__note_process(s->stacks, (uint32_t)s->target.pid);
	return 0;
}

static bool pid_gone(int pidfd)
{
	struct pollfd p = { .fd = pidfd, .events = POLLIN };

	return pidfd >= 0 && poll(&p, 1, 0) == 1;
}

static const char *attach_ended(struct session *s, int pidfd)
{
	return s->root_exited || pid_gone(pidfd) ? "process exited" : NULL;
}

/* ---- run mode: -- CMD ARGS ---------------------------------------------- */

static void join_command(char *const argv[], char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (; *argv && len + 1 < size; argv++)
		len += (size_t)snprintf(buf + len, size - len, "%s%s", len ? " " : "", *argv);
}

static int run_locate(struct session *s)
{
	const struct cli_opts *o = s->opts;
	struct lib_choice lib;
	char err[512];

	if (lib_locate__for_command(o->lib, o->import_module, &lib, err, sizeof(err))) {
		fprintf(stderr, "ttleak-bpf: %s\n", err);
		return EXIT_USAGE;
	}
	snprintf(s->target.host_path, sizeof(s->target.host_path), "%s", lib.path);
	snprintf(s->target.mapped_path, sizeof(s->target.mapped_path), "%s", lib.path);
	if (!o->quiet)
		fprintf(stderr, "ttleak-bpf: probing %s (from %s)\n", lib.path, lib.how);
	join_command(o->command, s->target.command, sizeof(s->target.command));
	return prepare_library(s);
}

/* The command starts paused, as the invoking user, so nothing of it runs
 * before the probes are in. */
static int run_prepare(struct session *s)
{
	struct child_identity who;
	char err[512];

	if (privileges__command_identity(s->opts->run_as_user, s->opts->as_root, &who, err,
					 sizeof(err)) ||
	    child__spawn_paused(s->opts->command, &who, &s->child, err, sizeof(err))) {
		fprintf(stderr, "ttleak-bpf: %s\n", err);
		return EXIT_USAGE;
	}
	s->target.pid = s->child.pid;
	session__forward_signals_to(s->child.pid);
	return 0;
}

static int run_after_attach(struct session *s)
{
	if (!loader__trace_tgid(s->loader, s->target.pid))
		return 0;
	fprintf(stderr, "ttleak-bpf: cannot add pid %d to the traced set: %s\n", s->target.pid,
		strerror(errno));
	return EXIT_UNCERTIFIED;
}

static int run_go(struct session *s, int *pidfd)
{
	char err[512];

	*pidfd = -1;
	if (!child__release(&s->child, s->opts->command, err, sizeof(err)))
		return 0;
	fprintf(stderr, "ttleak-bpf: %s\n", err);
	return EXIT_USAGE;
}

static const char *run_ended(struct session *s, int pidfd)
{
	(void)pidfd;
	return child__exited(&s->child) ? "command ended" : NULL;
}

static void run_collect(struct session *s)
{
	if (!s->child.reaped)
		return;
	s->run.command_ran = true;
	s->run.command_status = s->child.status;
}

static void run_abandon(struct session *s)
{
	if (s->child.pid > 0 && s->child.release_fd >= 0)
		child__abandon(&s->child);
}

/* ---- --all --------------------------------------------------------------- */

/* Every library file, each resolved; the primary's facts stand for the run
 * where one library is named (the report's "runtime" line). */
static int all_locate(struct session *s)
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

static int all_go(struct session *s, int *pidfd)
{
	(void)s;
	*pidfd = -1;
	return 0;
}

/* ---- the table ------------------------------------------------------------ */

static const struct session_mode modes[] = {
	[MODE_ATTACH] = {
		.filter = LOADER_TRACE_PID, .attached_mid_run = true, .signals_stop = true,
		.attached_hint = "; Ctrl-C to stop and report",
		.locate = attach_locate, .verify_target = attach_verify, .go = attach_go,
		.target_ended = attach_ended,
	},
	[MODE_RUN] = {
		.filter = LOADER_TRACE_TREE, .attached_hint = "",
		.locate = run_locate, .prepare = run_prepare, .after_attach = run_after_attach,
		.go = run_go, .target_ended = run_ended, .collect = run_collect,
		.abandon = run_abandon,
	},
	[MODE_ALL] = {
		.filter = LOADER_TRACE_ALL, .attached_mid_run = true, .signals_stop = true,
		.report_each_exit = true, .keeps_attach_rights = true, .many_libraries = true,
		.attached_hint = "; Ctrl-C to stop and report",
		.locate = all_locate, .go = all_go,
	},
};

const struct session_mode *session_mode__of(enum cli_mode mode)
{
	return mode < sizeof(modes) / sizeof(modes[0]) && modes[mode].locate ? &modes[mode] : NULL;
}
