"""--stacks: every leak attributed to the code path that allocated it: by frame
pointers on a frame-pointer build of the simulated runtime (--stacks=fp), by the CFI
(--stacks=dwarf, what auto chooses there) on the release and stripped builds,
which have neither frame pointers nor DWARF; a frame-pointer walk without frame
pointers is reported cut short, never invented."""
import os
import sys

from harness import REPO, check, compare_with_ledger, run_tracer, load_report

# Leak switch -> (finding kind, a function its allocation stack must contain, the
# frame-pointer build that shows it: the CB tracking imbalance is gone in 2026-04's E5).
ATTRIBUTION = {
    "kernel_binary": ("reclaimed_at_close", "allocate_kernel_bin_buf_on_device", "e5"),
    "cache_callback": ("reclaimed_at_close", "register_leaky_cache_callback", "e5"),
    "cb_tracking": ("cb_tracking", "circular_buffers", "e4"),
}


def traced(build, tmp, gen_dir, leaks, stacks="--stacks", python=False):
    report_path = os.path.join(tmp, "report.json")
    env = dict(os.environ, TTSIM_LEDGER=os.path.join(tmp, "ledger.txt"))
    if python:
        cmd = [sys.executable, os.path.join(REPO, "tests", "sim", "workload.py"), "--lib",
               os.path.join(gen_dir, "libttnn_sim.so"), "--runs", "1", "--leaks", leaks]
    else:
        cmd = [os.path.join(gen_dir, "ttsim_workload"), "--iterations", "2", "--rate", "20",
               "--leaks", leaks]
    status, out, err = run_tracer(
        build, [stacks, "-q", "--json", report_path, "--lib",
                os.path.join(gen_dir, "libtt_metal.so"), "--"] + cmd,
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
        status, report, text = traced(build, tmp, gen_dir, leaks, stacks="--stacks=fp")
        compare_with_ledger(status, report, os.path.join(tmp, "ledger.txt"), text)
        # The walk is complete: it reaches libc's call of main (and _start
        # beyond it where the probe sits after the frame is set up).
        check_attributed(report, kind, leaks, function, text, outer="__libc_start_call_main")
        stats = report["stack_stats"]
        check(stats["mode"] == "fp", f"--stacks=fp ran as {stats['mode']}")
        check(stats["truncated"] == 0 and stats["map_full"] == 0, f"stack stats {stats}")
        check(function in text, f"text report lacks {function}")
    return f"--stacks=fp attributes leaks={leaks} to {function}", run


def scenario_auto_on_frame_pointer_build(build):
    """GraphTracker::track_allocate checks its listeners before it sets up a
    frame (upstream a8c5af0f5a), so even a frame-pointer build's walk from its
    probe would miss its caller: auto unwinds with the CFI there, and the
    stack is whole."""
    def run(tmp):
        gen_dir = os.path.join(build.root, "sim", "e5", "fp")
        status, report, text = traced(build, tmp, gen_dir, "kernel_binary")
        compare_with_ledger(status, report, os.path.join(tmp, "ledger.txt"), text)
        stats = report["stack_stats"]
        check(stats["mode"] == "dwarf", f"auto chose {stats['mode']}")
        sites = check_attributed(report, "reclaimed_at_close", "kernel_binary",
                                 "allocate_kernel_bin_buf_on_device", text)
        for f, s in sites:
            frames = stack_functions(report, f["pid"], s["stack_id"])
            check(any("Buffer::create" in fr for fr in frames),
                  f"the probed function's caller is missing: {frames}")
    return "--stacks (auto) on a frame-pointer build whose probe sits before the frame", run


def check_attributed(report, kind, leaks, function, text, outer="main"):
    """Each site of the switch's finding names `function` and its callers up to `outer`."""
    sites = [(f, s) for f in report["findings"] if f["kind"] == kind for s in f["sites"]]
    check(sites, f"no {kind} finding:\n{text}")
    for f, s in sites:
        check("stack_id" in s, f"site without stack: {s}")
        frames = stack_functions(report, f["pid"], s["stack_id"])
        if leaks == "cache_callback" and s["size"] == 24576:
            continue  # the kernel binary of the same program, not this switch's leak
        check(any(function in fr for fr in frames),
              f"{leaks}: {s} attributed to {frames}, expected {function}")
        check(outer in frames, f"{leaks}: stack does not reach {outer}: {frames}")
    return sites


def scenario_dwarf(build, leaks, gen):
    kind, function, era = ATTRIBUTION[leaks]

    def run(tmp):
        gen_dir = os.path.join(build.root, "sim", era, gen)
        status, report, text = traced(build, tmp, gen_dir, leaks)
        compare_with_ledger(status, report, os.path.join(tmp, "ledger.txt"), text)
        stats = report["stack_stats"]
        check(stats["mode"] == "dwarf", f"auto chose {stats['mode']} on a build without "
              "frame pointers")
        check_attributed(report, kind, leaks, function, text)
        check(stats["truncated"] == 0 and stats["unwind_needed_more_stack"] == 0 and
              stats["unwind_no_cfi"] == 0 and stats["copy_dropped"] == 0,
              f"stack stats {stats}")
        check(function in text, f"text report lacks {function}")
    return f"--stacks on the {era} {gen} build (dwarf) attributes leaks={leaks} to {function}", run


def scenario_python_dwarf(build):
    """The Python workload: the runtime's frames, then its native callers through
    libttnn_sim, ctypes and the interpreter, to main."""
    def run(tmp):
        gen_dir = os.path.join(build.root, "sim", "e5", "strip")
        status, report, text = traced(build, tmp, gen_dir, "kernel_binary", python=True)
        check(status == 1, f"exit {status}:\n{text}")
        # The interpreter's main tail-calls Py_BytesMain: no frame of its own.
        sites = check_attributed(report, "reclaimed_at_close", "kernel_binary",
                                 "allocate_kernel_bin", text, outer="__libc_start_call_main")
        for f, s in sites:
            frames = stack_functions(report, f["pid"], s["stack_id"])
            for native in ("ttnn_sim_", "_ctypes_callproc", "_PyEval_EvalFrameDefault",
                           "Py_BytesMain"):
                check(any(native in fr for fr in frames),
                      f"python workload: no {native} frame in {frames}")
    return "--stacks on the Python workload (e5 strip): native callers up to main", run


def scenario_without_frame_pointers(build):
    def run(tmp):
        gen_dir = os.path.join(build.root, "sim", "e5", "rel")
        status, report, text = traced(build, tmp, gen_dir, "kernel_binary",
                                      stacks="--stacks=fp")
        compare_with_ledger(status, report, os.path.join(tmp, "ledger.txt"), text)
        stats = report["stack_stats"]
        check(stats["captured"] > 0 and stats["truncated"] == stats["captured"],
              f"release build without frame pointers: {stats}")
        check("cut short" in text, f"report does not say stacks were cut short:\n{text}")
    return "--stacks=fp without frame pointers: counted as cut short, findings unchanged", run


def scenarios(build):
    for leaks in ATTRIBUTION:
        yield scenario_attribution(build, leaks)
    for gen in ("rel", "strip"):
        for leaks in ATTRIBUTION:
            yield scenario_dwarf(build, leaks, gen)
    yield scenario_auto_on_frame_pointer_build(build)
    yield scenario_python_dwarf(build)
    yield scenario_without_frame_pointers(build)
