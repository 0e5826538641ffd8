"""Time spent inside BPF programs, from the kernel's own statistics.

kernel.bpf_stats_enabled makes the kernel time every BPF program run
(run_time_ns, run_cnt in `bpftool prog show`). It costs two clock reads per
run, so it is on only for the runs that measure it, never for the overhead
runs. A tool's programs are found through the BPF file descriptors it holds
(/proc/PID/fdinfo: prog_id), which works whatever else is loaded.
"""
import glob
import json
import subprocess
import time

SYSCTL = "/proc/sys/kernel/bpf_stats_enabled"


class Enabled:
    def __enter__(self):
        with open(SYSCTL) as f:
            self.old = f.read().strip()
        with open(SYSCTL, "w") as f:
            f.write("1")
        return self

    def __exit__(self, *exc):
        with open(SYSCTL, "w") as f:
            f.write(self.old)


def prog_ids(pid):
    ids = set()
    for path in glob.glob(f"/proc/{pid}/fdinfo/*"):
        try:
            with open(path) as f:
                for line in f:
                    if line.startswith("prog_id:"):
                        ids.add(int(line.split()[1]))
        except OSError:
            pass
    return ids


def read(ids):
    out = subprocess.run(["bpftool", "prog", "show", "-j"], capture_output=True, text=True,
                         check=True).stdout
    return {p["id"]: (p.get("name", "?"), p.get("run_time_ns", 0), p.get("run_cnt", 0))
            for p in json.loads(out) if p["id"] in ids}


def sampler(tool, proc, period=0.2):
    """Poll the tool's programs until the traced program exits; the last sample.

    The tool detaches when the program exits, so the last 0.2 s may be missed:
    only ratios (time per run) are used."""
    ids = set()
    for pid in tool.prog_pids():
        ids |= prog_ids(pid)
    last = {}
    while proc.poll() is None:
        sample = read(ids)
        if sample:
            last = sample
        time.sleep(period)
    return last


def per_run_ns(sample):
    """{program name: ns per run} and the tool's overall ns per run."""
    by_name = {}
    total_ns = total_cnt = 0
    for name, ns, cnt in sample.values():
        if cnt:
            n, c = by_name.get(name, (0, 0))
            by_name[name] = (n + ns, c + cnt)
            total_ns += ns
            total_cnt += cnt
    return ({k: ns / cnt for k, (ns, cnt) in by_name.items()},
            total_ns / total_cnt if total_cnt else None)
