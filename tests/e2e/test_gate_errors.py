"""ttleak-gate on bad inputs and its own failures, with a fake tracer (no BPF):
input errors exit 2 with a clear message, before anything runs; a failure of
the gate itself exits 3 ("could not certify"), never 1 (1 means a leak); and
function= suppressions match allocation stacks."""
import json
import os
import subprocess
import sys

from harness import check

# Stands in for ttleak-bpf: writes the report in $FAKE_REPORT to --json, a
# text report to -o, records its arguments, runs the command, exits $FAKE_STATUS.
FAKE_TRACER = r'''#!/usr/bin/env python3
import json, os, shutil, subprocess, sys
args = sys.argv[1:]
cmd = args[args.index("--") + 1:]
opts = args[:args.index("--")]
with open(os.environ["FAKE_ARGV"], "w") as f:
    json.dump(opts, f)
subprocess.run(cmd)
if os.environ.get("FAKE_REPORT"):
    shutil.copy(os.environ["FAKE_REPORT"], opts[opts.index("--json") + 1])
with open(opts[opts.index("-o") + 1], "w") as f:
    f.write("ttleak-bpf report (fake)\n")
sys.exit(int(os.environ.get("FAKE_STATUS", "0")))
'''

CLEAN = {"run": {"certified": True, "command_exit_status": 0}, "findings": []}

# One reclaimed-at-close buffer allocated under ProgramCache::insert (frame 0 is
# the probed runtime function, never a site).
LEAK = {
    "run": {"certified": True, "command_exit_status": 0},
    "findings": [{"kind": "reclaimed_at_close", "pid": 7, "chip_id": 0, "type": "DRAM",
                  "count": 1, "bytes": 4096,
                  "sites": [{"address": 4096, "size": 4096, "count": 1, "stack_id": 3}]}],
    "stacks": [{"pid": 7, "stack_id": 3, "frames": [
        {"symbol": "tt::tt_metal::GraphTracker::track_allocate(tt::tt_metal::Buffer const*)"},
        {"symbol": "tt::tt_metal::ProgramCache::insert(unsigned long)"},
        {"symbol": "main"}]}],
}


def gate_path(build):
    return os.path.join(build.root, "ttleak-gate")


def write(tmp, name, data):
    path = os.path.join(tmp, name)
    mode = "wb" if isinstance(data, bytes) else "w"
    with open(path, mode) as f:
        f.write(data if isinstance(data, (str, bytes)) else json.dumps(data))
    return path


def fake_gate(build, tmp, args, report=CLEAN, status=0, command=("true",)):
    """Run the gate with the fake tracer: (exit status, output, tracer arguments or None)."""
    tracer = write(tmp, "fake-ttleak-bpf", FAKE_TRACER)
    os.chmod(tracer, 0o755)
    argv_file = os.path.join(tmp, "tracer-argv.json")
    if os.path.exists(argv_file):
        os.unlink(argv_file)
    env = dict(os.environ, FAKE_ARGV=argv_file, FAKE_STATUS=str(status),
               FAKE_REPORT=write(tmp, "fake-report.json", report) if report else "")
    r = subprocess.run([sys.executable, gate_path(build), "--tracer", tracer, *args, "--",
                        *command], capture_output=True, text=True, env=env, timeout=60)
    ran = None
    if os.path.exists(argv_file):
        with open(argv_file) as f:
            ran = json.load(f)
    return r.returncode, r.stdout + r.stderr, ran


def scenario_fake_tracer_sanity(build):
    def run(tmp):
        status, text, ran = fake_gate(build, tmp, [])
        check(status == 0 and "PASS" in text and ran is not None, f"clean: {status}\n{text}")
        status, text, _ = fake_gate(build, tmp, [], report=LEAK)
        check(status == 1 and "FAIL: leak" in text, f"leak: {status}\n{text}")
    return "gate errors: the fake tracer passes clean and fails a leak", run


def scenario_non_utf8_suppressions(build):
    def run(tmp):
        rules = write(tmp, "supp.txt", b"kind=never_freed  # caf\xe9 latin-1\n")
        status, text, ran = fake_gate(build, tmp, ["--suppressions", rules])
        check(status == 2 and "not UTF-8" in text and "Traceback" not in text,
              f"non-UTF-8 suppressions: exit {status}\n{text}")
        check(ran is None, "the command ran despite the bad suppressions file")
    return "gate errors: a non-UTF-8 suppressions file is an input error (2)", run


def scenario_bad_baselines(build):
    good = {"kind": "never_freed", "device": 0, "type": "DRAM", "address": 4096, "size": 4096,
            "count": 1}
    cases = (
        ({"ttleak_baseline": 1, "leaks": [dict(good, count="1")]},
         'leaks[0].count is "1", expected a whole number >= 1'),
        ({"ttleak_baseline": 1, "leaks": [dict(good, address=None)]}, "leaks[0].address is null"),
        ({"ttleak_baseline": 1, "leaks": [good, {k: v for k, v in good.items() if k != "size"}]},
         'leaks[1] lacks "size"'),
        ({"ttleak_baseline": 1, "leaks": [dict(good, kind="leaky")]}, "leaks[0].kind"),
        ({"ttleak_baseline": 1, "leaks": [dict(good, count=True)]}, "leaks[0].count is true"),
        ({"ttleak_baseline": 1, "leaks": {}}, '"leaks" must be a list'),
        ({"ttleak_baseline": 2, "leaks": [dict(good, site="")]}, "leaks[0].site is"),
        ({"ttleak_baseline": 3, "leaks": []}, "not a ttleak-gate baseline"),
        ([1, 2], "not a ttleak-gate baseline"),
        ("{not json", "not JSON"),
        (b"\xff\xfe", "not UTF-8"),
    )

    def run(tmp):
        for data, message in cases:
            path = write(tmp, "baseline.json", data)
            status, text, ran = fake_gate(build, tmp, ["--baseline", path], report=LEAK)
            check(status == 2 and message in text and "Traceback" not in text,
                  f"baseline {data!r}: exit {status}, want 2 and '{message}'\n{text}")
            check(ran is None, f"baseline {data!r}: the command ran")
        path = write(tmp, "baseline.json", {"ttleak_baseline": 1, "leaks": [
            dict(good, kind="reclaimed_at_close")]})
        status, text, _ = fake_gate(build, tmp, ["--baseline", path], report=LEAK)
        check(status == 0, f"a valid baseline covering the leak: exit {status}\n{text}")
        site = "main;tt::tt_metal::ProgramCache::insert(unsigned long)"
        for entry, want in ((dict(size=4096, site=site), 0), (dict(size=4096, site=None), 0),
                            (dict(size=4096, site="main;other()"), 1)):
            path = write(tmp, "baseline.json", {"ttleak_baseline": 2, "leaks": [dict(
                kind="reclaimed_at_close", device=0, type="DRAM", count=1, **entry)]})
            status, text, ran = fake_gate(build, tmp, ["--baseline", path], report=LEAK)
            check(status == want and ("--stacks" in ran) == (entry["site"] is not None),
                  f"baseline {entry}: exit {status}, tracer {ran}\n{text}")
    return "gate errors: baselines are schema-checked with messages (2)", run


def scenario_outputs_checked_first(build):
    def run(tmp):
        missing = os.path.join(tmp, "no", "such", "dir")
        for option in ("--junit", "--json", "--write-baseline"):
            status, text, ran = fake_gate(build, tmp, [option, os.path.join(missing, "x")])
            check(status == 2 and missing in text and "Traceback" not in text,
                  f"{option} into a missing directory: exit {status}\n{text}")
            check(ran is None, f"{option}: the command ran before the output was checked")
        status, text, ran = fake_gate(build, tmp, ["--junit", tmp])
        check(status == 2 and "is a directory" in text and ran is None,
              f"--junit DIR: exit {status}\n{text}")
    return "gate errors: output paths are checked before anything runs (2)", run


def scenario_failures_are_uncertified(build):
    def run(tmp):
        # The JUnit directory disappears during the run: PASS was printed, the
        # XML cannot be written: 3, not 0 and not 1.
        outdir = os.path.join(tmp, "out")
        os.mkdir(outdir)
        status, text, _ = fake_gate(build, tmp, ["--junit", os.path.join(outdir, "j.xml")],
                                    command=["rm", "-rf", outdir])
        check(status == 3 and "PASS" in text and "cannot write" in text,
              f"junit write failure after PASS: exit {status}\n{text}")
        # A report the gate does not understand is a gate failure: 3.
        odd = {"run": {"certified": True}, "findings": [{"kind": "never_freed"}]}
        status, text, _ = fake_gate(build, tmp, [], report=odd)
        check(status == 3 and "internal error" in text,
              f"unexpected report structure: exit {status}\n{text}")
        # An unreadable report: the run is not certified, never passed or failed as a leak.
        status, text, _ = fake_gate(build, tmp, [], report="{truncated")
        check(status == 3, f"unreadable report: exit {status}\n{text}")
    return "gate errors: the gate's own failures exit 3, never 1", run


def scenario_function_suppressions(build):
    def run(tmp):
        rules = write(tmp, "supp.txt", "function=*ProgramCache::insert*  # cached on purpose\n")
        status, text, ran = fake_gate(build, tmp, ["--suppressions", rules], report=LEAK)
        check(status == 0, f"function rule matching a caller: exit {status}\n{text}")
        check(ran is not None and "--stacks" in ran, f"no --stacks for a function rule: {ran}")
        rules = write(tmp, "supp.txt", "function=*track_allocate*  # frame 0 is not a site\n")
        status, text, _ = fake_gate(build, tmp, ["--suppressions", rules], report=LEAK)
        check(status == 1 and "unused suppression" in text,
              f"frame 0 must not match: exit {status}\n{text}")
        for rule, want in (("leak:ProgramCache  # LSan: a substring", 0),
                           ("leak:^tt::tt_metal::ProgramCache::insert  # anchored", 0),
                           ("leak:^ProgramCache  # anchored: the name is qualified", 1),
                           ("leak:main$  # anchored at the end", 0)):
            rules = write(tmp, "supp.txt", rule + "\n")
            status, text, ran = fake_gate(build, tmp, ["--suppressions", rules], report=LEAK)
            check(status == want and "--stacks" in ran, f"{rule}: exit {status}\n{text}")
        for rule, message in (("interceptor_via_fun:f  # ASan's", "only leak:PATTERN"),
                              ("leak:main", "comment")):
            rules = write(tmp, "supp.txt", rule + "\n")
            status, text, ran = fake_gate(build, tmp, ["--suppressions", rules], report=LEAK)
            check(status == 2 and message in text and ran is None, f"{rule}: {status}\n{text}")
        status, text, ran = fake_gate(build, tmp, [], report=CLEAN)
        check(ran is not None and "--stacks" not in ran, f"--stacks without need: {ran}")
        r = subprocess.run([sys.executable, gate_path(build), "--help"], capture_output=True,
                           text=True, timeout=60)
        check("not captured yet" not in r.stdout and "function" in r.stdout,
              f"help still says sites are not captured:\n{r.stdout}")
    return "gate errors: function= and leak: suppressions match allocation stacks", run


def scenarios(build):
    yield scenario_fake_tracer_sanity(build)
    yield scenario_non_utf8_suppressions(build)
    yield scenario_bad_baselines(build)
    yield scenario_outputs_checked_first(build)
    yield scenario_failures_are_uncertified(build)
    yield scenario_function_suppressions(build)
