"""Every era of the real runtime the simulation reproduces (E1-E5, a pimpl
Buffer, and E5 with a Buffer layout no era has), each as a -g, release (-O3,
no DWARF, no frame pointers) and stripped build, on a chip, a unit mesh (what
ttnn.open_device gives) and a 2-chip mesh: findings equal the ledger exactly,
with the right chip and mesh ids, attached mid-run and in run mode. Layouts
come from evidence: --list-probes must show each era's real offsets (refusals of layouts
that do not fit are test_builds.py's)."""
import os

from harness import check, compare_with_ledger, load_report, run_tracer, traced_run

# Scenarios here trace one process each (-p or run mode), never --all, so
# the runner may run them side by side.
PARALLEL = True

VARIANTS = ("e1", "e2", "e3", "e4", "e5", "pimpl", "e5x")
BUILDS = ("g", "rel", "strip")
TOPOLOGIES = ("chip", "unit-mesh", "mesh2")
SWITCHES = ("none", "cb_tracking", "kernel_binary", "cache_callback")

# Offsets the real sources give (x86-64), written here independently of the
# simulation and of the tracer: (impl_, size_, buffer_type_, allocator_,
# address_, page_size_, Device::id_).
E2_BUFFER = (None, 24, 32, 64, 80, 88)
EXPECTED_OFFSETS = {
    "e1": ((None, 8, 16, 48, 64, 72), 8),
    "e2": (E2_BUFFER, 8),
    "e3": (E2_BUFFER, 8),
    "e4": (E2_BUFFER, 24),
    "e5": (E2_BUFFER, 24),
    "pimpl": ((16, 8, 16, 48, 64, 72), 24),
    "e5x": ((None, 24, 32, 72, 88, 96), 24),
}


def sim(build, variant, kind, name):
    return build.sim(os.path.join(variant, kind), name)


def workload(build, variant, kind, topology, leaks, *extra):
    return [sim(build, variant, kind, "ttsim_workload"), "--topology", topology,
            "--devices", "2", "--programs", "2", "--buffers", "2", "--iterations", "3",
            "--no-dispatch", "2", "--leaks", leaks, *extra]


def check_clean_evidence(report, text):
    for p in report["processes"]:
        check(not p["implausible_events"] and not p["unreadable_events"],
              f"events contradict the layout: {p['implausible_by_field']}\n{text}")
        check(not p["unattributed_cbs"], f"{p['unattributed_cbs']} CBs not attributed\n{text}")
    # Chips 1.. have their id_ where a mesh has its pimpl: reading a mesh id
    # through it would fault on every event of theirs.
    check(report["run"]["mesh_id_read_faults"] == 0,
          f"{report['run']['mesh_id_read_faults']} mesh id reads faulted\n{text}")


def scenario_attach(build, variant, kind, topology, leaks):
    def run(tmp):
        status, report, ledger, text = traced_run(
            build, workload(build, variant, kind, topology, leaks, "--pause-at", "2"), tmp)
        check_clean_evidence(report, text)
        compare_with_ledger(status, report, ledger, text)
        if topology != "chip":
            check(any(d["device_kind"] == "mesh" for p in report["processes"]
                      for d in p["devices"]), f"no mesh device reported\n{text}")
    return f"{variant}/{kind} {topology} leaks={leaks} attach mid-run", run


def scenario_run_mode(build, variant, kind, topology):
    def run(tmp):
        ledger = os.path.join(tmp, "ledger.txt")
        report_path = os.path.join(tmp, "report.json")
        env = dict(os.environ, TTSIM_LEDGER=ledger)
        lib = sim(build, variant, kind, "libtt_metal.so")
        status, out, err = run_tracer(build, ["--lib", lib, "-q", "--json", report_path, "--",
                                              *workload(build, variant, kind, topology, "all")],
                                      env=env)
        report = load_report(report_path, status, out + err)
        check_clean_evidence(report, out + err)
        compare_with_ledger(status, report, ledger, out + err)
    return f"{variant}/{kind} {topology} leaks=all run mode", run


def listed_offset(out, field):
    """The offset column of --list-probes' layout table for a field."""
    for line in out.splitlines():
        words = line.split()
        if len(words) > 1 and words[0] == field:
            return words[1]
    return "?"


def scenario_list_probes(build, variant, kind):
    """--list-probes proves each offset, and the numbers are the era's."""
    def run(tmp):
        lib = sim(build, variant, kind, "libtt_metal.so")
        status, out, err = run_tracer(build, ["--list-probes", "--lib", lib])
        check(status == 0, f"--list-probes exit {status}: {err}")
        check("NOT PROVEN" not in out, f"layout not proven:\n{out}")
        buffer, device_id = EXPECTED_OFFSETS[variant]
        names = ("impl_", "size_", "buffer_type_", "allocator_", "address_", "page_size_")
        want = dict(zip(names, ("-1" if o is None else str(o) for o in buffer)))
        want["Device::id_"] = str(device_id)
        got = {name: listed_offset(out, name) for name in want}
        check(got == want, f"{variant}/{kind}: offsets {got} != the era's {want}\n{out}")
    return f"{variant}/{kind} --list-probes shows the era's offsets by evidence", run


def scenario_no_era_stripped(build):
    """The layout no era has, in a library with nothing but its exports, is still
    proven from code (the unproven case is in tests/unit/test_layout_select.c)."""
    def run(tmp):
        lib = sim(build, "e5x", "strip", "libtt_metal.so")
        status, out, err = run_tracer(build, ["--list-probes", "--lib", lib])
        check(status == 0 and "NOT PROVEN" not in out, f"e5x stripped not proven:\n{out}")
    return "e5x/strip (a layout no era has, exports only): every offset proven", run


def scenarios(build):
    for variant in VARIANTS:
        for kind in BUILDS:
            yield scenario_list_probes(build, variant, kind)
            for topology in TOPOLOGIES:
                yield scenario_attach(build, variant, kind, topology, "all")
            yield scenario_run_mode(build, variant, kind, "unit-mesh")
        for leaks in SWITCHES:
            yield scenario_attach(build, variant, "rel", "unit-mesh", leaks)
    yield scenario_no_era_stripped(build)
