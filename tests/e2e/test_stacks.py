"""--stacks: every leak attributed to the code path that allocated it, on a
frame-pointer build of the simulated runtime; without frame pointers the
stacks are reported cut short, never invented."""
import os

from harness import check, compare_with_ledger, run_tracer, load_report

# Leak switch -> (finding kind, a function its allocation stack must contain, the
# frame-pointer build that shows it: the CB tracking imbalance is gone in 2026-04's E5).
ATTRIBUTION = {
    "kernel_binary": ("reclaimed_at_close", "allocate_kernel_bin_buf_on_device", "e5"),
    "cache_callback": ("reclaimed_at_close", "register_leaky_cache_callback", "e5"),
    "cb_tracking": ("cb_tracking", "circular_buffers", "e4"),
}


def traced(build, tmp, gen_dir, leaks):
    report_path = os.path.join(tmp, "report.json")
    env = dict(os.environ, TTSIM_LEDGER=os.path.join(tmp, "ledger.txt"))
    status, out, err = run_tracer(
        build, ["--stacks", "-q", "--json", report_path, "--lib",
                os.path.join(gen_dir, "libtt_metal.so"), "--",
                os.path.join(gen_dir, "ttsim_workload"), "--iterations", "2", "--rate", "20",
                "--leaks", leaks],
        env=env)
    return status, load_report(report_path, status, out + err), out + err


def stack_functions(report, pid, stack_id):
    for s in report["stacks"]:
        if s["pid"] == pid and s["stack_id"] == stack_id:
            return [f["symbol"] or "" for f in s["frames"]]
    return []


def scenario_attribution(build, leaks):
    kind, function, era = ATTRIBUTION[leaks]

    def run(tmp):
        gen_dir = os.path.join(build.root, "sim", era, "fp")
        status, report, text = traced(build, tmp, gen_dir, leaks)
        compare_with_ledger(status, report, os.path.join(tmp, "ledger.txt"), text)
        sites = [(f, s) for f in report["findings"] if f["kind"] == kind for s in f["sites"]]
        check(sites, f"no {kind} finding:\n{text}")
        for f, s in sites:
            check("stack_id" in s, f"site without stack: {s}")
            frames = stack_functions(report, f["pid"], s["stack_id"])
            if leaks == "cache_callback" and s["size"] == 24576:
                continue  # the kernel binary of the same program, not this switch's leak
            check(any(function in fr for fr in frames),
                  f"{leaks}: {s} attributed to {frames}, expected {function}")
            check(frames[-1] == "__libc_start_call_main", f"stack cut short: {frames}")
        stats = report["stack_stats"]
        check(stats["truncated"] == 0 and stats["map_full"] == 0, f"stack stats {stats}")
        check(function in text, f"text report lacks {function}")
    return f"--stacks attributes leaks={leaks} to {function}", run


def scenario_without_frame_pointers(build):
    def run(tmp):
        gen_dir = os.path.join(build.root, "sim", "e5", "rel")
        status, report, text = traced(build, tmp, gen_dir, "kernel_binary")
        compare_with_ledger(status, report, os.path.join(tmp, "ledger.txt"), text)
        stats = report["stack_stats"]
        check(stats["captured"] > 0 and stats["truncated"] == stats["captured"],
              f"release build without frame pointers: {stats}")
        check("cut short" in text, f"report does not say stacks were cut short:\n{text}")
    return "--stacks without frame pointers: counted as cut short, findings unchanged", run


def scenarios(build):
    for leaks in ATTRIBUTION:
        yield scenario_attribution(build, leaks)
    yield scenario_without_frame_pointers(build)
