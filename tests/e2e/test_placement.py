"""Probe placement: probes moved off single-stepped first instructions still see each call
once and read the right arguments, so the findings equal the ledger exactly.
- -fcf-protection build: every function starts with endbr64; probes go past it.
- g++ -O3 (rel) and clang++ -O3 builds without -fcf-protection (the PyPI wheel's shape):
  MeshDevice::close moves its `this` to rsi before a tail jmp, so its probe sits on the
  jmp and reads rsi; in the g++ build GraphTracker::track_* start with a load and a
  compare of the listener list, so their probes sit on the jcc."""
import os
import re
import subprocess

from harness import TIMEOUT_S, check, compare_with_ledger, traced_run

SITE = re.compile(r"^\s+site: (entry\+(\d+) \((.*)\), moved|entry \((.*)\)); reads (.*)$")


def list_sites(build, lib):
    """{function: (bytes moved, instruction, reads)} from --list-probes."""
    r = subprocess.run([build.tool, "--list-probes", "--lib", lib], capture_output=True,
                       text=True, timeout=TIMEOUT_S)
    check(r.returncode == 0, f"--list-probes failed ({r.returncode}):\n{r.stdout}{r.stderr}")
    sites, function = {}, None
    for line in r.stdout.splitlines():
        m = SITE.match(line)
        if m and function:
            moved = int(m.group(2)) if m.group(2) else 0
            sites[function] = (moved, m.group(3) or m.group(4), m.group(5))
        elif "tt::tt_metal::" in line:
            function = line[line.index("tt::tt_metal::"):].split("(")[0]
    return sites, r.stdout


def workload(gen_dir, topology):
    return [os.path.join(gen_dir, "ttsim_workload"), "--devices", "2", "--programs", "2",
            "--iterations", "3", "--leaks", "all", "--topology", topology, "--pause-at", "2"]


def scenario_after_endbr64(build):
    def run(tmp):
        gen_dir = os.path.join(build.root, "sim", "e5", "cf")
        sites, text = list_sites(build, os.path.join(gen_dir, "libtt_metal.so"))
        moved = [f for f, (n, _, _) in sites.items() if n]
        check(len(moved) >= 10, f"expected at least 10 probes past endbr64:\n{text}")
        status, report, ledger, out = traced_run(build, workload(gen_dir, "chip"), tmp)
        compare_with_ledger(status, report, ledger, out)
    return "-fcf-protection build: probes after endbr64, findings equal the ledger", run


def scenario_relocated(build, gen, topology):
    def run(tmp):
        gen_dir = os.path.join(build.root, "sim", "e5", gen)
        sites, text = list_sites(build, os.path.join(gen_dir, "libtt_metal.so"))
        alloc = sites.get("tt::tt_metal::GraphTracker::track_allocate")
        # g++ -O3 starts it with the load and compare; clang 14 pushes first (emulated).
        if gen == "rel":
            check(alloc and alloc[0] > 0 and alloc[1].startswith("j") and alloc[2] == "rsi=%rsi",
                  f"track_allocate not moved onto its jcc:\n{text}")
        close = sites.get("tt::tt_metal::distributed::MeshDevice::close")
        check(close and close[0] > 0 and close[2] == "rdi=%rsi",
              f"MeshDevice::close not moved with `this` read from rsi:\n{text}")
        status, report, ledger, out = traced_run(build, workload(gen_dir, topology), tmp)
        compare_with_ledger(status, report, ledger, out)
        if topology == "mesh2":
            check(any(d["device_kind"] == "mesh" for p in report["processes"]
                      for d in p["devices"]), f"no mesh device reported\n{out}")
    return (f"e5/{gen} build, {topology}: probes moved to emulated instructions, arguments "
            "read where they moved, findings equal the ledger", run)


def scenarios(build):
    yield scenario_after_endbr64(build)
    yield scenario_relocated(build, "rel", "mesh2")
    yield scenario_relocated(build, "clang", "chip")
    yield scenario_relocated(build, "clang", "mesh2")
