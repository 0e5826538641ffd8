#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Run ttleak-bpf's benchmarks (bench/README.md), print the table, write JSON.

Usage: run_bench.py --build DIR [--json PATH] [--rounds N] [--only SECTIONS]

Needs root (BPF), the programs `make bench-build` makes, bpftrace and bpftool.
Every figure is measured in this run: ratios are taken between tools measured
in the same round, and each measurement is repeated (--rounds, default 5) and
reported as median [min..max].
"""
import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
import time

# No __pycache__ in the source tree.
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import attach, event_rate, per_event, placement, stacks, table, tracker, workload  # noqa: E402
from harness.paths import REPO, Build  # noqa: E402
from harness.procs import BenchError  # noqa: E402

SECTIONS = ("placement", "per_event", "workload", "event_rate", "tracker", "attach", "stacks")


def environment():
    def cmd(*c):
        try:
            return subprocess.run(c, capture_output=True, text=True, cwd=REPO).stdout.strip()
        except OSError:
            return None
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                if line.startswith("model name")), "?")
    with open("/proc/loadavg") as f:
        load = " ".join(f.read().split()[:3])
    return {"date": datetime.datetime.now().isoformat(timespec="seconds"), "loadavg": load,
            "kernel": platform.release(), "cpus": os.cpu_count(), "cpu": cpu,
            "bpftrace": cmd("bpftrace", "--version"), "commit": cmd("git", "describe",
                                                                   "--always", "--dirty")}


def bpftrace_script(build, tmpdir):
    with open(os.path.join(REPO, "bench", "ttleak.bt.in")) as f:
        text = f.read().replace("@LIB@", build.sim_lib)
    path = os.path.join(tmpdir, "ttleak.bt")
    with open(path, "w") as f:
        f.write(text)
    return path


def log(msg):
    print("  " + msg, file=sys.stderr, flush=True)


def run_sections(args, build, script):
    r = {}
    timings = {}

    def section(name, fn, *a):
        t0 = time.monotonic()
        log(f"[{name}]")
        r[name] = fn(*a)
        timings[name] = round(time.monotonic() - t0, 1)

    want = set(args.only.split(",")) if args.only else set(SECTIONS)
    rounds = args.rounds
    if "placement" in want:
        section("placement_cost", placement.cost, build, min(rounds, 3), log)
        section("placement_survey", placement.survey, build, r["placement_cost"], log)
    if "per_event" in want:
        section("per_event", per_event.run, build, script, rounds, args.scale, log)
        section("bpf_time", per_event.bpf_time, build, script, args.scale, log)
    if "workload" in want:
        section("workload", workload.run, build, script, rounds, args.ops, r.get("per_event"),
                log)
        section("workload_work", workload.run_with_work, build, min(rounds, 3), args.ops // 4,
                50, log)
        section("workload_release", workload.run_release, build, min(rounds, 3), args.ops, log)
    if "event_rate" in want:
        section("event_rate", event_rate.run, build, min(rounds, 3), 2.0, log)
    if "tracker" in want:
        section("tracker", tracker.run, build, min(rounds, 3), log)
    if "attach" in want:
        section("attach", attach.run, build, rounds, log)
    if "placement" in want:
        section("placement_live", placement.live, build, r["placement_survey"],
                min(rounds, 3), args.scale / 2, log)
    if "stacks" in want:
        section("stacks", stacks.run, build, rounds, args.scale, log)
    r["section_seconds"] = timings
    return r


def render(r):
    lines = []
    if "per_event" in r:
        lines += table.per_event(r["per_event"], r.get("bpf_time")) + [""]
    if "workload" in r:
        lines += table.workload(r["workload"], r.get("workload_work"),
                                r.get("workload_release")) + [""]
    if "event_rate" in r:
        lines += table.event_rate(r["event_rate"]) + [""]
    if "tracker" in r:
        lines += table.tracker(r["tracker"]) + [""]
    if "attach" in r:
        lines += table.attach(r["attach"]) + [""]
    if "placement_cost" in r:
        lines += table.placement(r.get("placement_cost"), r.get("placement_survey"),
                                 r.get("placement_live")) + [""]
    if "stacks" in r:
        lines += table.stacks(r["stacks"]) + [""]
    lines += table.goals(r)
    return "\n".join(lines)


def heading(r):
    env = r["environment"]
    return (f"ttleak-bpf benchmarks ({env['date']}, kernel {env['kernel']}, {env['cpus']} CPUs, "
            f"load average {env['loadavg']} before, {env['loadavg_after']} after; "
            f"{r['total_seconds']:.0f} s)")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default="build", help="build directory (OUTPUT)")
    ap.add_argument("--json", help="write the results here")
    ap.add_argument("--rounds", type=int, default=5, help="repetitions of each measurement")
    ap.add_argument("--only", help="comma-separated: " + ",".join(SECTIONS))
    ap.add_argument("--scale", type=float, default=1.0, help="loop length of section 1")
    ap.add_argument("--ops", type=int, default=20000, help="ops per pass of section 2")
    args = ap.parse_args()
    if args.rounds < 1 or (args.only and not set(args.only.split(",")) <= set(SECTIONS)):
        ap.error(f"--rounds >= 1; --only from {','.join(SECTIONS)}")
    if os.geteuid() != 0:
        sys.exit("run_bench.py: BPF needs root: sudo make bench")
    build = Build(args.build)
    missing = build.missing(set(args.only.split(",")) if args.only else None)
    if missing:
        sys.exit("run_bench.py: not built (make bench-build): " + ", ".join(missing))
    t0 = time.monotonic()
    env = environment()
    print(f"ttleak-bpf benchmarks: kernel {env['kernel']}, {env['cpus']} CPUs ({env['cpu']}), "
          f"{env['bpftrace']}, commit {env['commit']}", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="ttleak-bench-") as tmp:
        try:
            results = run_sections(args, build, bpftrace_script(build, tmp))
        except BenchError as e:
            sys.exit(f"run_bench.py: {e}")
    with open("/proc/loadavg") as f:
        env["loadavg_after"] = " ".join(f.read().split()[:3])
    results["environment"] = env
    results["total_seconds"] = round(time.monotonic() - t0, 1)
    text = heading(results) + "\n\n" + render(results)
    print("\n" + text)
    if args.json:
        results["table"] = text
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1, sort_keys=True)
            f.write("\n")
        print(f"\nwrote {args.json}")


if __name__ == "__main__":
    main()
