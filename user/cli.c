// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <argp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/types.h>
#include "cli.h"
#include "report/metrics.h"
#include "ttleak_event.h"
#include "model/tracker.h"

const char *argp_program_version = "ttleak-bpf 0.1";
const char *argp_program_bug_address = "the ttleak-bpf issue tracker";

static const char doc[] =
	"Find device-memory leaks in a running tt-metal program, without rebuilding or "
	"restarting it.\n\n"
	"Attaches BPF uprobes to the program's libtt_metal.so, follows buffer, circular-buffer "
	"(CB), program and device events, and when the run ends (Ctrl-C, --duration, or the "
	"process exits) prints live memory per device and each leak it found.\n\n"
	"Examples:\n"
	"  sudo ttleak-bpf -p 4242                 trace until Ctrl-C or exit\n"
	"  sudo ttleak-bpf -- python test.py       run it, traced from the start\n"
	"  sudo ttleak-bpf --all                   every process using the runtime\n"
	"  sudo ttleak-bpf -p 4242 -d 60 -j r.json one minute, JSON report too\n"
	"  sudo ttleak-bpf -p 4242 --stacks        group leaks by allocation site\n"
	"  sudo ttleak-bpf -p 4242 -r ev.bin       keep the raw events\n"
	"  ttleak-bpf --replay ev.bin              analyse them later (no root)\n"
	"  sudo ttleak-bpf -p 4242 -i 2            live table every 2 s\n"
	"  sudo ttleak-bpf -p 4242 --trace t.json  timeline for ui.perfetto.dev\n"
	"  sudo ttleak-bpf --all --metrics /var/lib/prometheus/node-exporter/t.prom\n"
	"  ttleak-bpf --list-probes --lib build_Release/lib/libtt_metal.so\n\n"
	"Exit status: 0 no finding, 1 leak or imbalance found, 2 usage or input error, "
	"3 the run could not be certified (attach failed, events dropped, unreadable or "
	"implausible, the struct layout unproven or contradicted, the pid reused, or the "
	"traced command failed).\v"
	"Run mode follows the command's children (fork) and reports each process apart. The "
	"library is taken from --lib, else $TT_METAL_HOME/build*/lib, else --import-probe.\n\n"
	"Findings: cb_tracking (programs died, track_deallocate_cb never reported their CBs), "
	"reclaimed_at_close (buffers still live when their device closed), never_freed "
	"(buffers live when the process exited), growth (a GraphTracker listener's active "
	"count rising at every device close), anomalies (unknown or double frees, allocation "
	"over a live buffer). Buffers allocated before the tracer attached are invisible to it; "
	"their frees are counted apart.";

enum {
	OPT_LIST_PROBES = 0x100,
	OPT_REPLAY,
	OPT_LAYOUT,
	OPT_ALLOW_DROPS,
	OPT_RINGBUF,
	OPT_ALL,
	OPT_IMPORT_PROBE,
	OPT_STACKS,
	OPT_STACK_BYTES,
	OPT_TRACE,
	OPT_FOLDED,
	OPT_METRICS,
	OPT_METRICS_LABELS,
	OPT_METRICS_LISTEN,
	OPT_USER,
	OPT_AS_ROOT,
	OPT_MAX_LIVE,
};

static const struct argp_option options[] = {
	{ "pid", 'p', "PID", 0, "Trace the running process PID", 1 },
	{ "lib", 'l', "PATH", 0,
	  "Runtime library to probe (default: the libtt_metal.so that PID maps)", 1 },
	{ "all", OPT_ALL, NULL, 0, "Trace every process that maps the runtime library, including "
	  "those started later; a report as each exits, a summary at the end", 1 },
	{ "import-probe", OPT_IMPORT_PROBE, "MODULE", 0, "Run mode: find the library by "
	  "importing MODULE (e.g. ttnn) in python3 first", 1 },
	{ "duration", 'd', "SEC", 0, "Stop after SEC seconds (default: until Ctrl-C or exit)", 1 },
	{ "user", OPT_USER, "NAME", 0, "Run mode: run the command as NAME (default: the user who "
	  "ran sudo, from SUDO_UID)", 1 },
	{ "as-root", OPT_AS_ROOT, NULL, 0, "Run mode: run the command as root (by default a "
	  "command started through sudo runs as the user who ran sudo)", 1 },
	{ "output", 'o', "FILE", 0, "Write the text report to FILE instead of stdout (in run "
	  "mode stdout is the command's)", 2 },
	{ "json", 'j', "FILE", 0, "Also write the report as JSON to FILE ('-' for stdout)", 2 },
	{ "record", 'r', "FILE", 0, "Write the raw event log to FILE (for --replay)", 2 },
	{ "replay", OPT_REPLAY, "FILE", 0, "Analyse a recorded event log; needs no root", 2 },
	{ "list-probes", OPT_LIST_PROBES, NULL, 0,
	  "List the runtime functions each probe resolves to in --lib or PID's library, "
	  "and what a missing one disables; needs no root", 2 },
	{ "stacks", OPT_STACKS, "MODE", OPTION_ARG_OPTIONAL, "Capture the user stack of every "
	  "buffer and CB allocation and group findings by allocation site. MODE: fp (walk frame "
	  "pointers in the kernel), dwarf (copy registers and the top of the stack, unwind them "
	  "with the code's CFI: builds without frame pointers), auto (the default: fp when the "
	  "probed functions keep frame pointers, else dwarf); see docs/usage.md", 2 },
	{ "stack-bytes", OPT_STACK_BYTES, "N", 0, "--stacks=dwarf: bytes of user stack copied "
	  "per allocation, 512 to 65536 (default 8192); deeper callers are cut off", 2 },
	{ "interval", 'i', "SEC", 0, "Live view: every SEC seconds print live memory per process "
	  "and device, its change, alloc/free rates and findings so far; redrawn in place on a "
	  "terminal, timestamped blocks when piped (e.g. -i 2)", 2 },
	{ "trace", OPT_TRACE, "FILE", 0, "Write a Perfetto / Chrome trace-event JSON timeline to "
	  "FILE: live bytes per device and type, program lifetimes, findings (e.g. --trace "
	  "t.json, then open it in ui.perfetto.dev); also with --replay", 2 },
	{ "folded", OPT_FOLDED, "FILE", 0, "Write the bytes still allocated at process exit and "
	  "leaked, per allocation stack, to FILE in the folded format (frame;frame BYTES, "
	  "outermost first) that flamegraph.pl, speedscope and Perfetto import; implies "
	  "--stacks", 2 },
	{ "metrics", OPT_METRICS, "FILE", 0, "Keep FILE a Prometheus text-format (0.0.4) snapshot "
	  "for node_exporter's textfile collector, replaced atomically every -i SEC (default 10) "
	  "and at the end; series by device and type, processes summed (e.g. --metrics "
	  "/var/lib/prometheus/node-exporter/ttleak.prom, Debian's textfile directory)", 2 },
	{ "metrics-listen", OPT_METRICS_LISTEN, "ADDR:PORT", 0, "Serve the same Prometheus text "
	  "over HTTP at GET /metrics, with the values of the moment of each scrape, so a long "
	  "run is an exporter (e.g. --all --metrics-listen :9464; 127.0.0.1:9464, [::1]:9464; "
	  "bound at start: a bad or busy address exits 2)", 2 },
	{ "metrics-labels", OPT_METRICS_LABELS, "LIST", 0, "Per-process labels of the --metrics "
	  "and --metrics-listen series: pid, command (the command line), pid,command, or none (default: none; each "
	  "pid or command line makes new series, so keep them off for a long --all)", 2 },
	{ "layout", OPT_LAYOUT, "FILE", 0,
	  "Struct offsets for what the build itself does not prove (key = value lines; "
	  "see docs/layout-files.md); values that contradict it are refused", 3 },
	{ "allow-drops", OPT_ALLOW_DROPS, NULL, 0,
	  "Do not exit 3 when events were dropped (the report still says so)", 3 },
	{ "max-live", OPT_MAX_LIVE, "N", 0, "Keep at most N records (live buffers and CBs, "
	  "programs, devices, findings) per traced process, and as many freed addresses; "
	  "events past that are dropped and counted as drops, so the run is not certified "
	  "unless --allow-drops (default 1000000): a process flooding the probed functions "
	  "cannot grow the "
	  "tracer without bound", 3 },
	{ "ringbuf", OPT_RINGBUF, "KIB", 0, "BPF ring buffer size in KiB, a power of two "
	  "(default 4096)", 3 },
	{ "quiet", 'q', NULL, 0, "No progress messages on stderr", 4 },
	{ "verbose", 'v', NULL, 0, "Show libbpf's messages, including the verifier log", 4 },
	{ 0 },
};

/* --stacks's optional value; none means auto. */
static int parse_stacks(const char *arg, enum cli_stacks *out)
{
	static const char *const names[] = { [STACKS_FP] = "fp", [STACKS_DWARF] = "dwarf",
					      [STACKS_AUTO] = "auto" };
	size_t i;

	for (i = STACKS_FP; arg && i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(arg, names[i]) == 0) {
			*out = (enum cli_stacks)i;
			return 0;
		}
	if (arg)
		return -1;
	*out = STACKS_AUTO;
	return 0;
}

static int parse_long(const char *text, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(text, &end, 10);
	if (errno || end == text || *end != '\0' || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_seconds(const char *text, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(text, &end);
	if (errno || end == text || *end != '\0' || !(v > 0) || v > 31 * 24 * 3600.0)
		return -EINVAL;
	*out = v;
	return 0;
}

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct cli_opts *o = state->input;
	long v;

	switch (key) {
	case 'p':
		if (parse_long(arg, 1, 4194304, &v))
			argp_error(state, "invalid PID '%s': expected a process id such as 4242", arg);
		o->pid = (int)v;
		break;
	case 'l': o->lib = arg; break;
	case 'd':
		if (parse_seconds(arg, &o->duration_s))
			argp_error(state, "invalid duration '%s': expected seconds > 0, e.g. 30 or 0.5",
				   arg);
		break;
	case 'i':
		if (parse_seconds(arg, &o->interval_s) || o->interval_s < 0.1)
			argp_error(state, "invalid interval '%s': expected seconds >= 0.1, e.g. 2",
				   arg);
		break;
	case OPT_TRACE: o->trace_path = arg; break;
	case OPT_FOLDED: o->folded_path = arg; break;
	case OPT_METRICS: o->metrics_path = arg; break;
	case OPT_METRICS_LISTEN: o->metrics_listen = arg; break;
	case OPT_METRICS_LABELS:
		if (metrics__parse_labels(arg, &o->metrics_labels))
			argp_error(state, "invalid --metrics-labels '%s': expected pid, command, "
				   "pid,command or none", arg);
		o->metrics_labels_given = true;
		break;
	case 'j': o->json_path = arg; break;
	case 'o': o->output_path = arg; break;
	case 'r': o->record_path = arg; break;
	case OPT_REPLAY: o->replay_path = arg; o->mode = MODE_REPLAY; break;
	case OPT_LIST_PROBES: o->mode = MODE_LIST_PROBES; break;
	case OPT_LAYOUT: o->layout_file = arg; break;
	case OPT_ALLOW_DROPS: o->allow_drops = true; break;
	case OPT_RINGBUF:
		if (parse_long(arg, 4, 1 << 20, &v) || (v & (v - 1)))
			argp_error(state, "invalid ring buffer size '%s' KiB: a power of two "
				   "from 4 to 1048576", arg);
		o->ringbuf_bytes = (size_t)v * 1024;
		break;
	case OPT_ALL: o->mode = MODE_ALL; break;
	case OPT_MAX_LIVE:
		if (parse_long(arg, 1, 1L << 32, &v))
			argp_error(state, "invalid --max-live '%s': expected a count from 1 to "
				   "4294967296, e.g. 1000000", arg);
		o->max_live = (uint64_t)v;
		break;
	case OPT_STACKS:
		if (parse_stacks(arg, &o->stacks))
			argp_error(state, "invalid --stacks '%s': expected fp, dwarf or auto", arg);
		break;
	case OPT_STACK_BYTES:
		if (parse_long(arg, 512, TTLEAK_STACK_BYTES_MAX, &v))
			argp_error(state, "invalid --stack-bytes '%s': expected 512 to %d",
				   arg, TTLEAK_STACK_BYTES_MAX);
		o->stack_bytes = (uint32_t)v;
		break;
	case OPT_IMPORT_PROBE: o->import_module = arg; break;
	case OPT_USER: o->run_as_user = arg; break;
	case OPT_AS_ROOT: o->as_root = true; break;
	case 'q': o->quiet = true; break;
	case 'v': o->verbose = true; break;
	case ARGP_KEY_ARG:
		/* The command and all its arguments are the rest of argv. */
		o->command = &state->argv[state->next - 1];
		state->next = state->argc;
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const char *check_combination(const struct cli_opts *o)
{
	if (o->command && o->mode != MODE_ATTACH)
		return "a command to run goes with no --all, --replay or --list-probes";
	if (o->command && o->pid)
		return "give either -p PID or a command to run, not both";
	if (o->import_module && !o->command && o->mode != MODE_ALL)
		return "--import-probe is for run mode (-- CMD) and --all";
	if ((o->run_as_user || o->as_root) && !o->command)
		return "--user and --as-root are for run mode (-- CMD)";
	if (o->run_as_user && o->as_root)
		return "give either --user NAME or --as-root, not both";
	switch (o->mode) {
	case MODE_ATTACH:
		if (!o->pid && !o->command)
			return "nothing to trace: give -p PID, -- CMD, or --all "
			       "(or --replay FILE, --list-probes)";
		break;
	case MODE_RUN:
		break;
	case MODE_ALL:
		if (o->pid)
			return "--all traces every process: it takes no -p";
		break;
	case MODE_LIST_PROBES:
		if (!o->pid && !o->lib)
			return "--list-probes needs --lib PATH or -p PID";
		break;
	case MODE_REPLAY:
		if (o->pid || o->lib || o->record_path || o->duration_s)
			return "--replay analyses a file: it takes no -p, --lib, --record or --duration";
		if (o->interval_s)
			return "--replay has no live view: it takes no -i (--trace and --metrics work)";
		if (o->metrics_listen)
			return "--metrics-listen serves a live run: --replay takes --metrics FILE";
		if (o->folded_path)
			return "--folded needs allocation stacks, which an event log does not keep";
		break;
	}
	if (o->mode == MODE_LIST_PROBES &&
	    (o->interval_s || o->trace_path || o->metrics_path || o->metrics_listen ||
	     o->folded_path))
		return "--list-probes traces nothing: it takes no -i, --trace, --metrics, "
		       "--metrics-listen or --folded";
	if (o->metrics_labels_given && !o->metrics_path && !o->metrics_listen)
		return "--metrics-labels goes with --metrics FILE or --metrics-listen ADDR:PORT";
	return NULL;
}

int cli__parse(int argc, char **argv, struct cli_opts *o)
{
	static const struct argp argp = { options, parse_opt, "-p PID\n-- CMD [ARGS...]\n--all",
					   doc, NULL, NULL, NULL };
	const char *problem;

	memset(o, 0, sizeof(*o));
	o->ringbuf_bytes = TTLEAK_RINGBUF_DEFAULT;
	o->stack_bytes = TTLEAK_STACK_BYTES_DEFAULT;
	o->max_live = TRACKER_MAX_LIVE_DEFAULT;
	/* argp exits 64 on usage errors and 0 on --help; we want 2 and 0. */
	argp_err_exit_status = EXIT_USAGE;
	/* In order: the first non-option starts the command, whose own options
	 * are not ours (ttleak-bpf python -c ...). */
	if (argp_parse(&argp, argc, argv, ARGP_IN_ORDER, NULL, o))
		return EXIT_USAGE;
	problem = check_combination(o);
	if (!problem && o->command)
		o->mode = MODE_RUN;
	if (o->folded_path && o->stacks == STACKS_OFF)
		o->stacks = STACKS_AUTO; /* a flame graph is made of stacks */
	if (problem) {
		fprintf(stderr, "ttleak-bpf: %s\nTry 'ttleak-bpf --help' for more information.\n",
			problem);
		return EXIT_USAGE;
	}
	return 0;
}

bool cli__json_on_stdout(const struct cli_opts *opts)
{
	return opts->json_path && strcmp(opts->json_path, "-") == 0;
}
