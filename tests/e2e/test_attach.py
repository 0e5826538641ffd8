"""Attach mode (-p PID) on the simulated runtime: every leak switch of both
API generations, attached mid-run, findings equal to the ledger; record and
replay; bad input; --list-probes."""
import json
import os
import subprocess
import sys

from harness import (ERA_OF, GENERATIONS, LEAK_SWITCHES, REPO, TIMEOUT_S, check, compare_with_ledger,
                     reported_growth, traced_run)


def workload(build, gen, leaks, *extra):
    return [build.sim(gen, "ttsim_workload"), "--devices", "2", "--programs", "2",
            "--buffers", "2", "--iterations", "3", "--leaks", leaks, *extra]


def scenario_leak_switch(build, gen, leaks):
    def run(tmp):
        status, report, ledger, text = traced_run(
            build, workload(build, gen, leaks, "--pause-at", "2"), tmp)
        expected = compare_with_ledger(status, report, ledger, text)
        if leaks == "none":
            # Before 2026-04 (E5) track_deallocate_cb is never called: a listener's CB
            # count imbalance (and its growth) is there on every run, switch or not.
            kinds = {f["kind"] for f in report["findings"]}
            check(kinds <= {"cb_tracking", "growth"}, f"clean run reported {kinds}:\n{text}")
        else:
            check(expected, f"leak switch {leaks} leaked nothing per the ledger")
        check(report["run"]["generation"] == ERA_OF[gen], f"era {report['run']['generation']}")
    return f"{gen} leaks={leaks} attach mid-run", run


def scenario_growth(build, gen):
    def run(tmp):
        status, report, ledger, text = traced_run(
            build, workload(build, gen, "cb_tracking", "--pause-at", "1"), tmp)
        compare_with_ledger(status, report, ledger, text)
        check(reported_growth(report), f"no growth finding across 3 closes:\n{text}")
    return f"{gen} growth across three device closes", run


def scenario_never_freed(build, gen):
    def run(tmp):
        status, report, ledger, text = traced_run(
            build, workload(build, gen, "cache_callback", "--pause-at", "2", "--skip-close"),
            tmp)
        compare_with_ledger(status, report, ledger, text)
        kinds = {f["kind"] for f in report["findings"]}
        check("never_freed" in kinds, f"no never_freed finding:\n{text}")
    return f"{gen} exit without closing devices: never freed", run


def scenario_mesh(build):
    def run(tmp):
        status, report, ledger, text = traced_run(
            build, workload(build, "e5/rel", "all", "--pause-at", "2", "--mesh"), tmp)
        compare_with_ledger(status, report, ledger, text)
    return "e5/rel 2-chip mesh device, every leak", run


def scenario_python(build):
    def run(tmp):
        cmd = [sys.executable, os.path.join(REPO, "tests", "sim", "workload.py"),
               "--lib", build.sim("e5/rel", "libttnn_sim.so"), "--leaks", "all",
               "--pause-at", "2"]
        status, report, ledger, text = traced_run(build, cmd, tmp)
        compare_with_ledger(status, report, ledger, text)
        check(status == 1, f"python workload with leaks: exit {status}")
    return "python workload (library loaded by ctypes after start)", run


def scenario_record_replay(build):
    def run(tmp):
        events = os.path.join(tmp, "events.bin")
        status, report, ledger, text = traced_run(
            build, workload(build, "e5/rel", "all", "--pause-at", "2"), tmp,
            ("--record", events))
        compare_with_ledger(status, report, ledger, text)
        replay_json = os.path.join(tmp, "replay.json")
        r = subprocess.run([build.tool, "--replay", events, "--json", replay_json],
                           capture_output=True, text=True, timeout=TIMEOUT_S)
        check(r.returncode == status, f"replay exit {r.returncode} != live {status}: {r.stderr}")
        with open(replay_json) as f:
            replayed = json.load(f)
        check(replayed["findings"] == report["findings"], "replay findings differ from live")
        check(replayed["processes"][0]["devices"] == report["processes"][0]["devices"],
              "replay device statistics differ from live")
        # A truncated log is refused, never half-analysed.
        with open(events, "rb") as f:
            data = f.read()
        cut = os.path.join(tmp, "cut.bin")
        with open(cut, "wb") as f:
            f.write(data[: len(data) // 2])
        r = subprocess.run([build.tool, "--replay", cut], capture_output=True, text=True,
                           timeout=TIMEOUT_S)
        check(r.returncode == 2 and "truncated" in r.stderr, f"truncated log: {r.returncode} "
              f"{r.stderr}")
    return "record, replay, truncated log", run


def expect_usage_error(build, args, needle):
    r = subprocess.run([build.tool, *args], capture_output=True, text=True, timeout=TIMEOUT_S)
    check(r.returncode == 2, f"{args}: exit {r.returncode}, expected 2: {r.stderr}")
    check(needle in r.stderr, f"{args}: message lacks '{needle}': {r.stderr}")


def scenario_bad_input(build):
    def run(tmp):
        expect_usage_error(build, ["-p", "999999999"], "invalid PID")
        expect_usage_error(build, ["-p", "4000000"], "no process")
        expect_usage_error(build, [], "nothing to trace")
        expect_usage_error(build, ["-p", "1", "-d", "-3"], "invalid duration")
        sleeper = subprocess.Popen(["sleep", "30"])
        try:
            expect_usage_error(build, ["-p", str(sleeper.pid)], "does not map libtt_metal")
        finally:
            sleeper.kill()
            sleeper.wait()
        notelf = os.path.join(tmp, "libtt_metal.so")
        with open(notelf, "w") as f:
            f.write("not a library\n")
        expect_usage_error(build, ["--list-probes", "--lib", notelf], "not an x86-64 ELF")
        expect_usage_error(build, ["--list-probes", "--lib", "/bin/true"], "required functions")
        expect_usage_error(build, ["--replay", notelf], notelf)
        expect_usage_error(build, ["--replay", os.path.join(tmp, "nope.bin")], "nope.bin")
    return "bad input: clear message, exit 2", run


def scenario_list_probes(build):
    def run(tmp):
        for gen, dtor in (("e5/rel", "ProgramImpl::~ProgramImpl"),
                          ("e1/rel", "ProgramImpl::~ProgramImpl")):
            lib = build.sim(gen, "libtt_metal.so")
            r = subprocess.run([build.tool, "--list-probes", "--lib", lib], capture_output=True,
                               text=True, timeout=TIMEOUT_S)
            check(r.returncode == 0, f"--list-probes {gen}: {r.returncode} {r.stderr}")
            era = "E3-E5" if gen.startswith("e5") else "E1-E2"
            check(f"era (from the exported names): {era}" in r.stdout and dtor in r.stdout
                  and "MISSING" not in r.stdout, f"--list-probes {gen}:\n{r.stdout}")
    return "--list-probes on a 2026 and an early 2025 build", run


def scenarios(build):
    for gen in GENERATIONS:
        for leaks in LEAK_SWITCHES:
            yield scenario_leak_switch(build, gen, leaks)
        yield scenario_growth(build, gen)
        yield scenario_never_freed(build, gen)
    yield scenario_mesh(build)
    yield scenario_python(build)
    yield scenario_record_replay(build)
    yield scenario_bad_input(build)
    yield scenario_list_probes(build)


