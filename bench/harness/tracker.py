"""4. The tracker in user space: events per second and memory per live buffer.

A generated 10-million-event log (bench/gen_events.c) is replayed twice over:
through tracker__consume() alone (bench/tracker_bench.c, timing only the
tracker) and through `ttleak-bpf --replay` as a user runs it (reading the file,
tracking, the report). Memory: 1,000,000 buffers live at once, heap bytes
(mallinfo2) and resident bytes per live buffer.
"""
import os
import subprocess
import time

from .procs import BenchError, last_json
from .stats import summary

EVENTS = 10_000_000
LIVE = 1_000_000
GOAL_RATE = 5e6
GOAL_BYTES = 128


def call(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        raise BenchError(f"{' '.join(cmd)} exited {p.returncode}: {p.stderr[-1000:]}")
    return last_json(p.stdout, cmd[0])


def run(build, rounds, log):
    log_path = os.path.join(build.out, "events-10M.bin")
    gen = call([build.bench("gen_events"), log_path, str(EVENTS)])
    consume, tool = [], []
    for _ in range(rounds):
        consume.append(call([build.bench("tracker_bench"), "replay", log_path]))
        t0 = time.monotonic()
        p = subprocess.run([build.tool, "--replay", log_path], stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, text=True)
        wall = time.monotonic() - t0
        if p.returncode not in (0, 1):  # 1: the log's leaks were found, as they should be
            raise BenchError(f"ttleak-bpf --replay exited {p.returncode}: {p.stderr[-1000:]}")
        tool.append(gen["events"] / wall)
    mem = [call([build.bench("tracker_bench"), "memory", str(LIVE)]) for _ in range(rounds)]
    os.unlink(log_path)  # 800 MB: made again next time in well under a second
    out = {"events": gen["events"],
           "consume_events_per_s": summary(c["events_per_s"] for c in consume),
           "replay_events_per_s": summary(tool),
           "results_s": summary(c["results_s"] for c in consume),
           "live": LIVE,
           "heap_bytes_per_live": summary(m["heap_bytes_per_live"] for m in mem),
           "rss_bytes_per_live": summary(m["rss_bytes_per_live"] for m in mem),
           "goal_rate": GOAL_RATE, "goal_bytes": GOAL_BYTES}
    out["goal_met_rate"] = out["replay_events_per_s"]["median"] >= GOAL_RATE
    out["goal_met_bytes"] = max(out["heap_bytes_per_live"]["median"],
                                out["rss_bytes_per_live"]["median"]) <= GOAL_BYTES
    log(f"tracker: {out['consume_events_per_s']['median'] / 1e6:.1f} M ev/s consume, "
        f"{out['replay_events_per_s']['median'] / 1e6:.1f} M ev/s --replay, "
        f"{out['heap_bytes_per_live']['median']:.0f} B/live")
    return out
