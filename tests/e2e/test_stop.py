"""Stopping a trace never invents findings: attach to a busy, clean workload
and stop by --duration or SIGINT while it allocates and frees as fast as it
can. Probes are detached one by one, so without disarming first the tracer
would see frees whose allocations it no longer sees ("double free")."""
import os
import signal
import time

from harness import check, finish, load_report, start_paused, start_tracer

PARALLEL = True
RUNS = 10  # per way of stopping


def busy_workload(build):
    # Chips, not meshes: a mesh's program cache outlives its close (its kernel
    # binaries are reclaimed then, a finding of its own), so no mesh run is clean.
    return [build.sim(os.path.join("e5", "rel"), "ttsim_workload"), "--topology", "chip",
            "--devices", "2", "--programs", "2", "--buffers", "4", "--iterations", "0",
            "--leaks", "none", "--pause-at", "1"]


def scenario_stop(build, how, i):
    def run(tmp):
        report_path = os.path.join(tmp, "report.json")
        work = start_paused(busy_workload(build), dict(os.environ))
        try:
            extra = ["-d", "1"] if how == "duration" else []
            tracer = start_tracer(build, work.pid, report_path, extra)
            os.kill(work.pid, signal.SIGUSR1)
            if how == "sigint":
                time.sleep(1.0)
                tracer.send_signal(signal.SIGINT)
            status, out, err = finish(tracer, "tracer")
        finally:
            work.terminate()
            finish(work, "workload")
        report = load_report(report_path, status, out + err)
        found = [(f["kind"], f["anomaly"], f["device"], f["count"]) for f in report["findings"]]
        check(not found, f"stop #{i} by {how} reported {found[:5]} ({len(found)} in all)\n{err}")
        check(status == 0, f"stop #{i} by {how}: exit {status}\n{err}")
    return f"stop by {how} #{i} on a busy clean workload: no findings, exit 0", run


def scenarios(build):
    for how in ("duration", "sigint"):
        for i in range(RUNS):
            yield scenario_stop(build, how, i)
