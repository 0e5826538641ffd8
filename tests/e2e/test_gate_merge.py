"""ttleak-gate --merge: one verdict from the JSON reports of the ranks of a
multi-host job. Real reports of the tracer on the simulated runtime, one per
"rank", each with its own ledger: the merged verdict names each rank's leaks
with the ledger's bytes, totals them, and takes the worst status; suppressions
and JUnit apply across ranks; bad inputs exit 2 before any verdict."""
import collections
import json
import os
import re
import subprocess

from harness import check, compare_process, read_ledger, run_tracer
from test_gate import junit_failures

PARALLEL = True  # run mode: each tracer follows its own command only

# rank name -> the leak switch of its workload
RANKS = (("host-a/rank0", "kernel_binary"), ("host-a/rank1", "none"),
         ("host-b/rank2", "cache_callback"))


def gate_path(build):
    return os.path.join(build.root, "ttleak-gate")


def merge(build, tmp, args):
    r = subprocess.run([gate_path(build), *args], capture_output=True, text=True, timeout=60,
                       cwd=tmp)
    return r.returncode, r.stdout + r.stderr


def trace_rank(build, tmp, name, leaks):
    """rank NAME's workload traced to NAME.json: (report, ledger)."""
    os.makedirs(os.path.join(tmp, os.path.dirname(name)), exist_ok=True)
    ledger = os.path.join(tmp, name + ".ledger")
    path = os.path.join(tmp, name + ".json")
    env = dict(os.environ, TTSIM_LEDGER=ledger)
    status, out, err = run_tracer(build, ["-q", "--lib", build.sim("e5/rel", "libtt_metal.so"),
                                          "--json", path, "--", build.sim("e5/rel",
                                                                          "ttsim_workload"),
                                          "--iterations", "2", "--leaks", leaks], env=env)
    check(os.path.exists(path), f"{name}: no report (exit {status})\n{out}{err}")
    with open(path) as f:
        report = json.load(f)
    check(status == report["run"]["exit_status"], f"{name}: exit {status} != report's")
    return report, ledger


def ledger_bytes(ledger):
    leaks, _, _ = read_ledger(ledger)
    return sum(size * count for (_, _, _, _, size), count in leaks.items())


def human(n):
    for unit, size in (("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n} B"


def scenario_merge_ranks(build):
    def run(tmp):
        want = {}
        for name, leaks in RANKS:
            report, ledger = trace_rank(build, tmp, name, leaks)
            compare_process(report, report["processes"][0]["pid"], ledger, name)
            want[name] = (report["run"]["exit_status"], ledger_bytes(ledger))
        check(want["host-a/rank1"] == (0, 0) and want["host-a/rank0"][1] > 0 and
              want["host-b/rank2"][1] > 0, f"ranks' own verdicts: {want}")
        junit = os.path.join(tmp, "junit.xml")
        status, text = merge(build, tmp, ["--json", "merged.json", "--junit", junit, "--merge",
                                          *[n + ".json" for n, _ in RANKS]])
        check(status == 1 and "FAIL: leak (exit 1): 3 report(s) merged" in text,
              f"merge: exit {status}\n{text}")
        with open(os.path.join(tmp, "merged.json")) as f:
            merged = json.load(f)
        check(merged["merged"] and merged["exit_status"] == 1, f"{merged.keys()}")
        got = {r["name"]: (r["status"], sum(i["bytes"] for i in r["new"])) for r in merged["runs"]}
        check(got == want, f"per rank (status, new bytes) {got} != ledgers {want}")
        for name, (_, nbytes) in want.items():
            check(re.search(rf"^  {re.escape(name)}: command exit 0, \d+ new leak\(s\) "
                            rf"{re.escape(human(nbytes))},", text, re.M),
                  f"no line for {name} with {human(nbytes)}:\n{text}")
        total = sum(b for _, b in want.values())
        check(f"  total: " in text and f" {human(total)} in 3 report(s) of 3 process(es)" in text
              and "to look at: host-a/rank0, host-b/rank2" in text, f"totals:\n{text}")
        failed = junit_failures(junit)
        check({"host-a/rank0", "host-b/rank2"} <= failed and "host-a/rank1" not in failed,
              f"JUnit failures {failed}")
        # Allowed across every rank by one suppressions file: clean.
        rules = os.path.join(tmp, "supp.txt")
        kinds = collections.Counter(i["kind"] for r in merged["runs"] for i in r["new"])
        with open(rules, "w") as f:
            f.writelines(f"kind={k}   # accepted for this test\n" for k in kinds)
        status, text = merge(build, tmp, ["--suppressions", rules, "--merge",
                                          *[f"{n.replace('/', '-')}={n}.json"
                                            for n, _ in RANKS]])
        check(status == 0 and "PASS (exit 0)" in text and "host-b-rank2:" in text,
              f"suppressed: exit {status}\n{text}")
    return "gate --merge: three ranks' real reports, one verdict with the ledgers' bytes", run


CLEAN = {"run": {"certified": True, "exit_status": 0}, "findings": [], "processes": []}


def write(tmp, name, data):
    with open(os.path.join(tmp, name), "w") as f:
        f.write(data if isinstance(data, str) else json.dumps(data))
    return name


def scenario_merge_inputs(build):
    def run(tmp):
        clean = write(tmp, "clean.json", CLEAN)
        status, text = merge(build, tmp, ["--merge", clean])
        check(status == 0 and "PASS (exit 0): 1 report(s) merged" in text, f"{status}\n{text}")
        # An untrusted rank makes the whole job untrusted, a leak elsewhere or not.
        bad = write(tmp, "uncertified.json",
                    {"run": {"certified": False, "exit_status": 3}, "findings": []})
        status, text = merge(build, tmp, ["--merge", clean, bad])
        check(status == 3 and "NOT CERTIFIED" in text, f"uncertified: {status}\n{text}")
        cases = {
            "missing": (["--merge", clean, "nothere.json"], "No such file"),
            "not json": (["--merge", write(tmp, "x.json", "{")], "not JSON"),
            "no run": (["--merge", write(tmp, "y.json", {"findings": []})],
                       "not a ttleak-bpf --json report"),
            "gate verdict": (["--merge", write(tmp, "g.json", {"exit_status": 0, "runs": []})],
                             "is a ttleak-gate verdict"),
            "same name": (["--merge", f"a={clean}", f"a={clean}"], "two reports are named a"),
            "runs": (["--runs", "2", "--merge", clean], "--runs is for running a command"),
            "command": (["--merge", clean, "--", "true"], "it takes no command"),
        }
        for what, (args, message) in cases.items():
            status, text = merge(build, tmp, args)
            check(status == 2 and message in text, f"{what}: exit {status}\n{text}")
    return "gate --merge: worst status wins; bad reports and options exit 2", run


def scenarios(build):
    yield scenario_merge_inputs(build)
    yield scenario_merge_ranks(build)
