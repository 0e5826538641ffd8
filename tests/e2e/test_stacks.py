"""--stacks: every leak attributed to the code path that allocated it: by frame
pointers on a frame-pointer build of the simulated runtime (--stacks=fp), by the CFI
(--stacks=dwarf, what auto chooses there) on the release and stripped builds,
which have neither frame pointers nor DWARF; a frame-pointer walk without frame
pointers is reported cut short, never invented."""
import collections
import os
import re
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


SITE_ROW = re.compile(r"^      0x[0-9a-f]+ +\((\d+)\)  (\d+) bytes  x(\d+)$", re.M)


def text_findings(text):
    """The text report's findings: [(title line, [(address, size, count)])]."""
    blocks = re.split(r"\n\[\d+\] ", text.split("\nFindings", 1)[-1])[1:]
    return [(b.splitlines()[0], [tuple(map(int, m)) for m in SITE_ROW.findall(b)])
            for b in blocks]


def check_rows(report, text):
    """One row per (address, size) and one per call path, each with its count,
    summing to the finding's count, in the text and the JSON alike."""
    stacks = {(s["pid"], s["stack_id"]): tuple(fr["symbol"] or fr.get("module") or hex(fr["ip"])
                                              for fr in s["frames"]) for s in report["stacks"]}
    leaks = [f for f in report["findings"] if f["kind"] != "growth"]
    shown = text_findings(text)
    check(len(shown) == len(report["findings"]), f"{len(shown)} findings in the text:\n{text}")
    for f, (title, rows) in zip(report["findings"], shown):
        places = [(a, s) for a, s, _ in rows]
        check(len(places) == len(set(places)), f"repeated rows in [{title}]: {rows}")
    for f in leaks:
        by_address = [(a["address"], a["size"]) for a in f["by_address"]]
        check(len(by_address) == len(set(by_address)), f"repeated by_address rows: {f}")
        check(sum(a["count"] for a in f["by_address"]) == f["count"], f"by_address: {f}")
        paths = [stacks[(f["pid"], s["stack_id"])] for s in f["by_stack"]]
        check(len(paths) == len(set(paths)), f"one call path in two rows: {f['by_stack']}")
        check(sum(s["count"] for s in f["by_stack"]) == f["count"], f"by_stack: {f}")
        check(sum(s["bytes"] for s in f["by_stack"]) == f["bytes"], f"by_stack bytes: {f}")
        sites = collections.Counter((s["address"], s["size"], paths and
                                     stacks[(f["pid"], s["stack_id"])]) for s in f["sites"])
        check(max(sites.values()) == 1, f"a site listed twice: {f['sites']}")
    return leaks


def scenario_rows(build):
    """ttnn's unit meshes on a 2026-04-01 release build: the same CB addresses
    laid out from two ops (add, multiply) on every mesh. Before rows were made
    per (address, size), each address was listed once per captured stack."""
    def run(tmp):
        gen_dir = os.path.join(build.root, "sim", "e4", "rel")
        status, report, text = traced(build, tmp, gen_dir, "all", python=True)
        check(status == 1, f"exit {status}:\n{text}")
        leaks = check_rows(report, text)
        cb = [f for f in leaks if f["kind"] == "cb_tracking"]
        check(cb and all(len(f["by_stack"]) == 2 and
                         all(a["count"] == 2 for a in f["by_address"]) for f in cb),
              f"each CB address twice (add and multiply) in one row: {cb}")
        check(" 0 " not in text.split("\n  stacks ", 1)[1].split("\n", 1)[0],
              f"a zero counter on the stacks line:\n{text}")
    return "--stacks rows: one per (address, size) and per call path, with counts", run


# How flamegraph.pl reads a line (stack, then the count after the last blank), and
# speedscope's stricter "STACK COUNT"; each frame a non-empty name without ';'.
FLAMEGRAPH_LINE = re.compile(r"^(.*)\s+?(\d+(?:\.\d*)?)$")
SPEEDSCOPE_LINE = re.compile(r"^(.*) (\d+)$")


def parse_folded(path):
    """{stack tuple: bytes}, refusing anything flamegraph.pl would skip or misread."""
    stacks = {}
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f.read().split("\n")[:-1], 1):
            m, strict = FLAMEGRAPH_LINE.match(line), SPEEDSCOPE_LINE.match(line)
            check(m and strict and m.groups() == strict.groups(),
                  f"{path}:{number}: not 'frame;frame COUNT': {line!r}")
            frames = tuple(m.group(1).split(";"))
            check(all(fr and fr == fr.strip() for fr in frames) and len(frames) >= 2,
                  f"{path}:{number}: an empty or padded frame: {line!r}")
            check(frames not in stacks and int(m.group(2)) > 0, f"{path}:{number}: {line!r}")
            stacks[frames] = int(m.group(2))
    return stacks


def scenario_folded(build, gen):
    """--folded (which implies --stacks) on the C workload: a flame graph of the
    bytes left, per stack from the thread entry to the probed function."""
    def run(tmp):
        gen_dir = os.path.join(build.root, "sim", "e4", gen)
        folded = os.path.join(tmp, "leaks.folded")
        status, report, text = traced(build, tmp, gen_dir, "all",
                                      stacks=f"--folded={folded}")
        check(status == 1, f"exit {status}:\n{text}")
        stacks = parse_folded(folded)
        want = collections.Counter()
        for f in report["findings"]:
            if f["kind"] != "growth":
                want[f"{f['kind']} {f['type']}"] += f["bytes"]
        got = collections.Counter()
        for frames, value in stacks.items():
            got[frames[0]] += value
            check(frames[1] == "_start", f"not outermost first: {frames}")
            check("GraphTracker::track_allocate" in frames[-1], f"leaf not probed: {frames}")
        check(got == want, f"folded bytes {dict(got)} != the report's {dict(want)}")
        check(any("allocate_kernel_bin_buf_on_device" in fr for st in stacks for fr in st),
              f"no kernel binary frame: {list(stacks)}")
    return f"--folded on the e4 {gen} build: every line parses, bytes equal the findings", run


def scenarios(build):
    yield scenario_rows(build)
    for gen in ("rel", "g"):
        yield scenario_folded(build, gen)
    for leaks in ATTRIBUTION:
        yield scenario_attribution(build, leaks)
    for gen in ("rel", "strip"):
        for leaks in ATTRIBUTION:
            yield scenario_dwarf(build, leaks, gen)
    yield scenario_auto_on_frame_pointer_build(build)
    yield scenario_python_dwarf(build)
    yield scenario_without_frame_pointers(build)
