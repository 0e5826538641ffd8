"""ttleak-gate, the CI leak gate, on the simulated runtime: passing on clean,
failing on each leak switch, suppressions, baselines, the allowance, growth
across runs, failing commands, and JUnit XML a JUnit parser accepts."""
import json
import os
import subprocess
import xml.etree.ElementTree as ET

from harness import TIMEOUT_S, check, compare_process


def gate_path(build):
    return os.path.join(build.root, "ttleak-gate")


# A 2026-04 build is clean unless a leak switch says otherwise; the seeds' CB
# tracking imbalance needs an earlier one, where it happens on every run.
CLEAN_ERA, CB_ERA = "e5/rel", "e4/rel"


def workload(build, leaks, iterations="1", gen=CLEAN_ERA):
    return [build.sim(gen, "ttsim_workload"), "--iterations", iterations, "--leaks", leaks]


def gate(build, tmp, args, command, gen=CLEAN_ERA):
    env = dict(os.environ, TTSIM_LEDGER=os.path.join(tmp, "ledger.txt"))
    r = subprocess.run([gate_path(build), "--lib", build.sim(gen, "libtt_metal.so"),
                        "--json", os.path.join(tmp, "gate.json"), *args, "--", *command],
                       capture_output=True, text=True, env=env, timeout=TIMEOUT_S * 3)
    return r.returncode, r.stdout + r.stderr


def gate_json(tmp):
    with open(os.path.join(tmp, "gate.json")) as f:
        return json.load(f)


def junit_failures(path):
    """Parse as a JUnit consumer would; the counts must agree with the cases."""
    suite = ET.parse(path).getroot()
    check(suite.tag == "testsuite", f"root is {suite.tag}")
    cases = suite.findall("testcase")
    failed = {c.get("name") for c in cases if c.find("failure") is not None}
    check(int(suite.get("tests")) == len(cases) and int(suite.get("failures")) == len(failed),
          f"testsuite counts {suite.attrib} disagree with {len(cases)} cases, {failed}")
    check(all(c.get("classname") and c.get("name") for c in cases), "a case lacks a name")
    return failed


def write(tmp, name, text):
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def scenario_clean(build):
    def run(tmp):
        junit = os.path.join(tmp, "junit.xml")
        status, text = gate(build, tmp, ["--runs", "2", "--junit", junit], workload(build, "none"))
        check(status == 0 and "PASS" in text, f"clean: exit {status}\n{text}")
        check(junit_failures(junit) == set(), "clean run has JUnit failures")
    return "gate: a clean command passes, JUnit has no failure", run


def scenario_leak_switch(build, leaks):
    def run(tmp):
        junit = os.path.join(tmp, "junit.xml")
        gen = CB_ERA if leaks == "cb_tracking" else CLEAN_ERA
        status, text = gate(build, tmp, ["--junit", junit], workload(build, leaks, gen=gen), gen)
        check(status == 1 and "FAIL: leak" in text, f"{leaks}: exit {status}\n{text}")
        report = gate_json(tmp)["runs"][0]["report"]
        leaked, _ = compare_process(report, report["processes"][0]["pid"],
                                    os.path.join(tmp, "ledger.txt"), text)
        kinds = {k for k, *_ in leaked}
        check(junit_failures(junit) == {"run 1", *kinds}, f"JUnit failures for {kinds}")
    return f"gate: fails on leaks={leaks}, findings equal the ledger", run


def scenario_suppressions(build):
    def run(tmp):
        rules = write(tmp, "supp.txt", "kind=reclaimed_at_close type=DRAM size=24576  "
                      "# kernel binaries, reclaimed at close\n"
                      "kind=never_freed type=L1  # unused on purpose\n")
        status, text = gate(build, tmp, ["--suppressions", rules],
                            workload(build, "kernel_binary"))
        check(status == 0, f"suppressed leak: exit {status}\n{text}")
        check("unused suppression" in text and "supp.txt:2" in text, f"unused rule:\n{text}")
        status, text = gate(build, tmp, ["--suppressions", rules],
                            workload(build, "kernel_binary,cb_tracking", gen=CB_ERA), CB_ERA)
        check(status == 1, f"unsuppressed cb_tracking must fail: exit {status}\n{text}")
        bad = write(tmp, "bad.txt", "kind=never_freed\n")
        status, text = gate(build, tmp, ["--suppressions", bad], workload(build, "none"))
        check(status == 2 and "comment" in text, f"rule without comment: {status}\n{text}")
    return "gate: suppressions allow known leaks, list unused rules, need comments", run


def scenario_allowance(build):
    def run(tmp):
        cmd = workload(build, "kernel_binary")  # 4 x 24 KiB per run
        status, text = gate(build, tmp, ["--max-leak-bytes", "98304"], cmd)
        check(status == 0, f"within allowance: exit {status}\n{text}")
        status, text = gate(build, tmp, ["--max-leak-bytes", "98303"], cmd)
        check(status == 1, f"over allowance: exit {status}\n{text}")
    return "gate: --max-leak-bytes is an exact allowance", run


def scenario_baseline(build):
    def run(tmp):
        base = os.path.join(tmp, "baseline.json")
        status, text = gate(build, tmp, ["--write-baseline", base],
                            workload(build, "kernel_binary"))
        check(status == 0 and os.path.exists(base), f"write baseline: {status}\n{text}")
        status, text = gate(build, tmp, ["--baseline", base], workload(build, "kernel_binary"))
        check(status == 0, f"known leaks only: exit {status}\n{text}")
        status, text = gate(build, tmp, ["--baseline", base],
                            workload(build, "kernel_binary,cache_callback"))
        new = gate_json(tmp)["runs"][0]["new"]
        check(status == 1 and new and all(i["kind"] == "reclaimed_at_close" and
                                          i["size"] != 24576 for i in new),
              f"only the cache-callback buffers are new: {new}")
    return "gate: a baseline fails only on new leaks", run


def scenario_function_rules(build):
    """Suppressions on the allocation stack, on a release build (no frame pointers, no
    DWARF): function= by a function's bare name, LeakSanitizer's leak: lines."""
    def run(tmp):
        cmd = workload(build, "kernel_binary,cache_callback")
        rules = write(tmp, "supp.txt",
                      "function=allocate_kernel_bin_buf_on_device  # kernel binaries\n"
                      "leak:no_such_function_anywhere  # unused on purpose\n")
        status, text = gate(build, tmp, ["--suppressions", rules], cmd)
        out = gate_json(tmp)["runs"][0]
        check(status == 1 and out["suppressed"] and out["new"], f"exit {status}\n{text}")
        check(all(i["size"] == 24576 for i in out["suppressed"]) and
              all(i["size"] != 24576 for i in out["new"]),
              f"only the kernel binaries are suppressed: {out['new']}")
        check(out["report"]["stack_stats"]["mode"] == "dwarf", "a function rule traces stacks")
        check("unused suppression" in text and "leak:no_such_function_anywhere" in text,
              f"the leak: rule matching nothing is listed unused:\n{text}")
        rules = write(tmp, "supp.txt",
                      "function=allocate_kernel_bin_buf_on_device  # kernel binaries\n"
                      "leak:register_leaky_cache_*  # cache callback buffers\n")
        status, text = gate(build, tmp, ["--suppressions", rules], cmd)
        check(status == 0 and "unused" not in text, f"both leaks suppressed: {status}\n{text}")
        rules = write(tmp, "supp.txt", "leak:^register_leaky_cache_callback$  # anchored\n")
        status, text = gate(build, tmp, ["--suppressions", rules], cmd)
        check(status == 1 and "unused suppression" in text,
              f"an anchored pattern matches whole names only (they are qualified):\n{text}")
    return "gate: function= and leak: suppressions match the allocation stack (dwarf)", run


def scenario_baseline_over(build):
    """A baseline by (kind, device, type, size, site): one more iteration of the same
    test is '+N over baseline' on the known sites, not new leaks."""
    def run(tmp):
        base = os.path.join(tmp, "baseline.json")
        status, text = gate(build, tmp, ["--stacks", "--write-baseline", base],
                            workload(build, "kernel_binary"))
        with open(base) as f:
            leaks = json.load(f)["leaks"]
        check(status == 0 and leaks and all("allocate_kernel_bin_buf_on_device" in e["site"]
                                            and "address" not in e for e in leaks),
              f"baseline by site: {leaks}\n{text}")
        status, text = gate(build, tmp, ["--baseline", base], workload(build, "kernel_binary"))
        check(status == 0, f"the same leaks: exit {status}\n{text}")
        status, text = gate(build, tmp, ["--baseline", base],
                            workload(build, "kernel_binary", iterations="2"))
        out = gate_json(tmp)["runs"][0]
        over = {(e["device"], e["size"]): (e["count"], e["baseline"]) for e in out["over_baseline"]}
        want = {(e["device"], e["size"]): (e["count"], e["count"]) for e in leaks}
        check(status == 1 and not out["new"] and over == want,
              f"2 iterations: over {over}, want {want}, new {out['new']}\n{text}")
        check("0 new leak(s)" in text and f"+{sum(c for c, _ in want.values())} over baseline"
              in text, f"summary:\n{text}")
    return "gate: a known leak that grows is '+N over baseline', not new", run


def scenario_growth_across_runs(build):
    def run(tmp):
        # Each run does one more close cycle than the last, so it leaves more behind.
        counter = os.path.join(tmp, "n")
        cmd = ["sh", "-c", f'n=$(($(cat {counter} 2>/dev/null || echo 0) + 1)); '
               f'echo $n > {counter}; exec "$0" --iterations $n --leaks kernel_binary',
               build.sim(CLEAN_ERA, "ttsim_workload")]
        # Allow the leak and its growth within a run: only growth across runs is left.
        rules = write(tmp, "supp.txt", "kind=reclaimed_at_close  # known, but must not grow\n"
                      "kind=growth  # within one run: tested elsewhere\n")
        junit = os.path.join(tmp, "junit.xml")
        status, text = gate(build, tmp, ["--runs", "3", "--suppressions", rules, "--junit", junit],
                            cmd)
        check(status == 1 and "growth across runs" in text, f"growth: {status}\n{text}")
        check(gate_json(tmp)["growth_across_runs"] == [98304, 196608, 294912],
              f"series {gate_json(tmp)['growth_across_runs']}")
        failed = junit_failures(junit)
        check(failed == {"growth_across_runs"}, f"JUnit failures {failed}")
        status, text = gate(build, tmp, ["--runs", "3", "--suppressions", rules],
                            workload(build, "kernel_binary"))
        check(status == 0, f"steady known leak: exit {status}\n{text}")
    return "gate: fails when each run leaves more behind (3 runs)", run


def scenario_failing_command(build):
    def run(tmp):
        status, text = gate(build, tmp, [], ["sh", "-c", "exit 5"])
        check(status == 3 and "certify" in text, f"failing command: exit {status}\n{text}")
        status, text = gate(build, tmp, ["--runs", "0"], ["true"])
        check(status == 2, f"usage: exit {status}")
    return "gate: a failing command is never a pass (exit 3); usage errors exit 2", run


def scenarios(build):
    yield scenario_clean(build)
    for leaks in ("cb_tracking", "kernel_binary", "cache_callback"):
        yield scenario_leak_switch(build, leaks)
    yield scenario_suppressions(build)
    yield scenario_allowance(build)
    yield scenario_baseline(build)
    yield scenario_function_rules(build)
    yield scenario_baseline_over(build)
    yield scenario_growth_across_runs(build)
    yield scenario_failing_command(build)
