"""Probe placement on a -fcf-protection build, where every probed function
starts with endbr64: probes go after it where that is safe, and the findings
still equal the ledger exactly (each call seen once, arguments intact)."""
import os
import subprocess

from harness import TIMEOUT_S, check, compare_with_ledger, traced_run


def scenario_after_endbr64(build):
    def run(tmp):
        gen_dir = os.path.join(build.root, "sim", "e5", "cf")
        lib = os.path.join(gen_dir, "libtt_metal.so")
        r = subprocess.run([build.tool, "--list-probes", "--lib", lib], capture_output=True,
                           text=True, timeout=TIMEOUT_S)
        moved = r.stdout.count("(after endbr64)")
        # Every probe but MeshDevice::close, whose second instruction is not one the
        # kernel emulates.
        check(r.returncode == 0 and moved == 10, f"expected 10 probes after endbr64:\n{r.stdout}")
        cmd = [os.path.join(gen_dir, "ttsim_workload"), "--devices", "2", "--programs", "2",
               "--iterations", "3", "--leaks", "all", "--pause-at", "2"]
        status, report, ledger, text = traced_run(build, cmd, tmp)
        compare_with_ledger(status, report, ledger, text)
    return "-fcf-protection build: probes after endbr64, findings equal the ledger", run


def scenarios(build):
    yield scenario_after_endbr64(build)
