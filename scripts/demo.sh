#!/usr/bin/env bash
# The two leaks this project was started for, on the simulated runtime, each in
# a job already running that ttleak-bpf attaches to mid-run:
#  1. 2026 form: a ttnn-style job on a 2026-04 release build (no DWARF, no
#     frame pointers, like the PyPI wheel), one unit mesh per chip as
#     ttnn.open_device opens them; the kernel binaries (24 KiB DRAM buffers,
#     the first at 0x3FFFF000) stay in the mesh's program cache and are only
#     reclaimed when the mesh closes.
#  2. A 2026-03 build, where GraphTracker::track_deallocate_cb is never called:
#     every destroyed program's circular buffers stay counted by a listener,
#     and the count grows at each device close (3 -> 11 -> 27 in the original
#     reports). Traced with --stacks (unwound with the CFI: its probes sit before
#     the frame is set up), so each finding names the code path that allocated it.
set -euo pipefail
build=${1:-build}

if [[ $(id -u) -ne 0 ]]; then
	echo "demo: ttleak-bpf loads BPF programs: run as root (sudo make demo)" >&2
	exit 2
fi

work_dir=$(mktemp -d)
pid=
trap 'rm -rf "$work_dir"; [[ -n $pid ]] && kill "$pid" 2>/dev/null || true' EXIT

# $1: build directory of the simulated runtime; $2: tracer options; the rest:
# workload options. Starts the job paused, attaches, lets it run to the end.
attach_demo() {
	local sim=$1 opts=$2 line tracer status=0
	shift 2
	rm -f "$work_dir/out" "$work_dir/err"
	mkfifo "$work_dir/out"
	"$build/sim/$sim/ttsim_workload" --devices 2 --programs 2 --buffers 2 --iterations 3 \
		--pause-at 1 "$@" >"$work_dir/out" &
	pid=$!
	read -r line <"$work_dir/out"  # "paused pid=N": the job is up, the runtime loaded
	echo "demo: job running as pid $pid; attaching: sudo ttleak-bpf $opts -p $pid"
	echo
	# shellcheck disable=SC2086 # $opts is a list of options
	"$build/ttleak-bpf" $opts -p "$pid" 2> >(tee "$work_dir/err" >&2) &
	tracer=$!
	for _ in $(seq 100); do        # the job goes on once the probes are live
		grep -q attached "$work_dir/err" 2>/dev/null && break
		kill -0 "$tracer" 2>/dev/null || break
		sleep 0.1
	done
	kill -USR1 "$pid"
	wait "$pid" || true
	pid=
	wait "$tracer" || status=$?
	echo
	echo "demo: ttleak-bpf exited with $status (1 = leaks found)"
}

echo "demo 1/2: a ttnn-style job (unit meshes) on a 2026-04 release build"
attach_demo e5/rel "" --topology unit-mesh --leaks kernel_binary
echo
echo "demo 2/2: the same kind of job on a 2026-03 build, whose listeners never hear CBs freed"
attach_demo e4/fp "--stacks" --topology chip --leaks cb_tracking
