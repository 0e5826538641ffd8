#!/usr/bin/env bash
# The seeds' scenario on the simulated runtime: a job already running with
# both leaks of the seed reports (CBs never reported deallocated, a 24 KiB
# kernel-binary DRAM buffer at 0x3FFFF000 reclaimed only at device close),
# three device open/close cycles. ttleak-bpf attaches to it mid-run and
# explains both leaks, with the code path that allocated each (--stacks; the
# simulated runtime is built with frame pointers for that).
set -euo pipefail
build=${1:-build}
gen=${TTLEAK_DEMO_GEN:-e5/fp}
workload=$build/sim/$gen/ttsim_workload

if [[ $(id -u) -ne 0 ]]; then
	echo "demo: ttleak-bpf loads BPF programs: run as root (sudo make demo)" >&2
	exit 2
fi

fifo_dir=$(mktemp -d)
trap 'rm -rf "$fifo_dir"; [[ -n ${pid:-} ]] && kill "$pid" 2>/dev/null || true' EXIT
mkfifo "$fifo_dir/out"

echo "demo: starting the simulated job: 2 devices, 3 close/open cycles, leaks of both seeds"
"$workload" --devices 2 --programs 2 --buffers 2 --iterations 3 \
	--leaks cb_tracking,kernel_binary --pause-at 1 >"$fifo_dir/out" &
pid=$!
read -r line <"$fifo_dir/out"  # "paused pid=N": the job is up, the runtime loaded
echo "demo: job running as pid $pid ($line); attaching: sudo ttleak-bpf --stacks -p $pid"
echo

"$build/ttleak-bpf" --stacks -p "$pid" 2> >(tee "$fifo_dir/err" >&2) &
tracer=$!
for _ in $(seq 100); do        # the job goes on once the probes are live
	grep -q attached "$fifo_dir/err" 2>/dev/null && break
	kill -0 "$tracer" 2>/dev/null || break
	sleep 0.1
done
kill -USR1 "$pid"
wait "$pid" || true
pid=
status=0
wait "$tracer" || status=$?
echo
echo "demo: ttleak-bpf exited with $status (1 = leaks found)"
