"""Layouts that do not fit the build are never trusted. (That every era's -g, release and
stripped builds are traced right by evidence is test_eras.py's.)
- A --layout file that contradicts what the library itself proves (DWARF or its code) is
  refused before anything is traced: exit 3, each contradicted field named.
- A layout the events contradict (device_, which only the events can check) makes the
  tracer refuse to certify the run (exit 3), name the field and the layout file, and mark
  the findings untrustworthy; no garbage device ids become devices."""
import os
import signal

from harness import check, finish, process_entry, run_tracer, start_paused, traced_run


def workload(build, build_dir, leaks="all", *extra):
    return [build.sim(build_dir, "ttsim_workload"), "--devices", "2", "--programs", "2",
            "--buffers", "2", "--iterations", "3", "--leaks", leaks, *extra]


def layout_file(tmp, text):
    path = os.path.join(tmp, "wrong-layout.txt")
    with open(path, "w") as f:
        f.write(text)
    return path


def refused_at_start(build, tmp, gen, text):
    """-p on a paused workload with a contradicting layout file: (exit, stderr)."""
    work = start_paused(workload(build, gen, "all", "--pause-at", "1"), dict(os.environ))
    try:
        status, out, err = run_tracer(build, ["-p", str(work.pid), "--layout",
                                              layout_file(tmp, text)])
    finally:
        work.send_signal(signal.SIGKILL)
        finish(work, "workload")
    return status, out + err


def scenario_contradicting_file(build):
    def run(tmp):
        status, text = refused_at_start(build, tmp, "e5/rel",
                                        "address = 24\nsize = 80\ndevice_id_offset = 0\n")
        check(status == 3, f"exit {status}, expected 3\n{text}")
        for field in ("size_", "address_", "Device::id_"):
            check(field in text and "contradicts" in text,
                  f"the contradicted field {field} is not named:\n{text}")
        check("attached" not in text, f"traced although refused:\n{text}")
    return "e5/rel --layout against the library's own evidence: refused, exit 3", run


def scenario_device_contradicted_by_events(build):
    def run(tmp):
        # device_ read from the weak pointer of enable_shared_from_this: its objects carry
        # no Device or MeshDevice vtable, and every buffer event says so.
        path = layout_file(tmp, "device = 8  # wrong on purpose\n")
        status, report, _, out = traced_run(
            build, workload(build, "e2/rel", "all", "--pause-at", "2"), tmp, ("--layout", path))
        check(status == 3, f"exit {status}, expected 3\n{out}")
        check(not report["run"]["certified"], f"run certified: {report['run']}")
        check("WARNING" in out and "device_" in out and f"layout file {path}" in out,
              f"no warning naming device_ and the layout file:\n{out}")
        check("NOT TRUSTWORTHY" in out, f"findings not marked untrustworthy:\n{out}")
        proc = process_entry(report, report["processes"][0]["pid"])
        check(proc["implausible_by_field"].get("device_", 0) > 0, f"not counted: {proc}")
    return "e2/rel --layout with a wrong device_: events contradict it, exit 3", run


def scenarios(build):
    yield scenario_contradicting_file(build)
    yield scenario_device_contradicted_by_events(build)
