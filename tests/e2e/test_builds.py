"""Build variants of the simulated runtime (tests/sim/sim.mk): release, -g (DWARF) and
stripped (.dynsym only) of each API generation. On each: --list-probes resolves every
probe and names the layout source (DWARF for -g, the built-in profile otherwise), and the
findings of a traced run equal the ledger. A wrong --layout file makes the tracer refuse
to certify the run (exit 3) and say the layout is the likely cause."""
import os
import subprocess

from harness import (GENERATIONS, TIMEOUT_S, check, compare_with_ledger, process_entry,
                     traced_run)

VARIANTS = ("", "-g", "-stripped")


def workload(build, build_dir, leaks="all", *extra):
    return [build.sim(build_dir, "ttsim_workload"), "--devices", "2", "--programs", "2",
            "--buffers", "2", "--iterations", "3", "--leaks", leaks, *extra]


def expected_layout(gen, variant, lib):
    if variant == "-g":
        return f"layout: DWARF in {lib} "
    return {"gen2026": "layout: built-in profile for 2026 main ",
            "gen2025": "layout: built-in profile for mid 2025 "}[gen]


def scenario_list_probes(build, gen, variant):
    def run(tmp):
        lib = build.sim(gen + variant, "libtt_metal.so")
        r = subprocess.run([build.tool, "--list-probes", "--lib", lib], capture_output=True,
                           text=True, timeout=TIMEOUT_S)
        out = r.stdout
        check(r.returncode == 0, f"--list-probes {lib}: exit {r.returncode}\n{out}{r.stderr}")
        check("MISSING" not in out, f"{lib}: probes missing:\n{out}")
        check(f"API generation: {gen[3:]}\n" in out, f"{lib}: generation not {gen[3:]}:\n{out}")
        check(expected_layout(gen, variant, lib) in out,
              f"{lib}: expected '{expected_layout(gen, variant, lib)}':\n{out}")
        check(("stripped (exports only)" in out) == (variant == "-stripped"),
              f"{lib}: symbol table line wrong:\n{out}")
        check(("DWARF present" in out) == (variant == "-g"), f"{lib}: DWARF line wrong:\n{out}")
    return f"{gen}{variant or ' release'} --list-probes: every probe, generation, layout", run


def scenario_leaks(build, gen, variant):
    def run(tmp):
        status, report, ledger, text = traced_run(
            build, workload(build, gen + variant, "all", "--pause-at", "2"), tmp)
        leaks = compare_with_ledger(status, report, ledger, text)
        check(leaks, f"{gen}{variant}: the ledger has no leaks with --leaks all")
        source = report["run"]["layout_source"]
        check(source.startswith("DWARF in ") == (variant == "-g"), f"layout source: {source}")
        check(report["run"]["generation"] == gen[3:], f"generation {report['run']['generation']}")
    return f"{gen}{variant or ' release'} leaks=all findings equal the ledger", run


def layout_file(tmp, text):
    path = os.path.join(tmp, "wrong-layout.txt")
    with open(path, "w") as f:
        f.write(text)
    return path


def expect_layout_refused(build, tmp, gen, text, what):
    path = layout_file(tmp, text)
    status, report, _, out = traced_run(
        build, workload(build, gen, "all", "--pause-at", "2"), tmp, ("--layout", path))
    check(status == 3, f"{what}: exit {status}, expected 3\n{out}")
    check(not report["run"]["certified"], f"{what}: run certified: {report['run']}")
    check("WARNING" in out and f"layout file {path}" in out and "--layout file" in out,
          f"{what}: no warning naming the layout file:\n{out}")
    check("NOT TRUSTWORTHY" in out, f"{what}: findings not marked untrustworthy:\n{out}")
    return report


def scenario_wrong_layout(build):
    def run(tmp):
        # BufferImpl's address_ (64) and size_ (8) swapped: the first DRAM buffer of each
        # device sits at address 0, read as size 0.
        expect_layout_refused(build, tmp, "gen2026", "address = 8\nsize = 64\n",
                              "address/size swapped")
        # Device::id_ read from allocator_ (a pointer): chip ids far out of range are
        # counted, and the devices are named by pointer instead of one per garbage value.
        report = expect_layout_refused(build, tmp, "gen2025", "device_id_offset = 8\n",
                                       "Device::id_ at the wrong offset")
        proc = process_entry(report, report["processes"][0]["pid"])
        check(proc["implausible_events"] > 0, f"no implausible events: {proc}")
        chips = [d["chip_id"] for d in proc["devices"]]
        check(all(c is None for c in chips), f"garbage chip ids became devices: {chips}")
    return "wrong --layout file: exit 3 and a warning naming it", run


def scenarios(build):
    for gen in GENERATIONS:
        for variant in VARIANTS:
            yield scenario_list_probes(build, gen, variant)
    for gen in GENERATIONS:
        for variant in VARIANTS:
            yield scenario_leaks(build, gen, variant)
    yield scenario_wrong_layout(build)
