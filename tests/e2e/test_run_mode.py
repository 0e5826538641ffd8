"""Run mode (ttleak-bpf -- CMD) and system-wide mode (--all): traced from the
first instruction, children followed through fork, each process's findings
equal to its own ledger; failing commands, signals and streams."""
import glob
import os
import shutil
import signal
import subprocess
import sys
import time

from harness import (REPO, TIMEOUT_S, Failure, check, compare_process, compare_with_ledger,
                     finish, load_report, process_entry, run_tracer)


def sim_lib(build, gen="e5/rel"):
    return build.sim(gen, "libtt_metal.so")


def workload(build, gen, leaks, *extra):
    return [build.sim(gen, "ttsim_workload"), "--devices", "2", "--programs", "2",
            "--iterations", "3", "--leaks", leaks, *extra]


def run_mode(build, tmp, command, lib_args, env_extra=None):
    """ttleak-bpf [lib_args] --json R -- command; returns (exit, report, text)."""
    report_path = os.path.join(tmp, "report.json")
    env = dict(os.environ, TTSIM_LEDGER=os.path.join(tmp, "ledger.txt"), **(env_extra or {}))
    status, out, err = run_tracer(build, [*lib_args, "-q", "--json", report_path, "--", *command],
                                  env=env)
    return status, load_report(report_path, status, out + err), out + err


def scenario_cpp(build, gen, leaks):
    def run(tmp):
        status, report, text = run_mode(build, tmp, workload(build, gen, leaks),
                                        ["--lib", sim_lib(build, gen)])
        compare_with_ledger(status, report, os.path.join(tmp, "ledger.txt"), text)
        check(report["run"]["command_exit_status"] == 0, f"command status: {report['run']}")
        check(not report["run"]["attached_mid_run"], "run mode must trace from the start")
    return f"run mode {gen} leaks={leaks}", run


def scenario_python_late_load(build):
    """The library is mapped only when the script loads it, after start."""
    def run(tmp):
        cmd = [sys.executable, os.path.join(REPO, "tests", "sim", "workload.py"), "--lib",
               build.sim("e5/rel", "libttnn_sim.so"), "--leaks", "all"]
        home = os.path.join(tmp, "tt-metal")
        os.makedirs(os.path.join(home, "build", "lib"))
        os.symlink(sim_lib(build), os.path.join(home, "build", "lib", "libtt_metal.so"))
        status, report, text = run_mode(build, tmp, cmd, [], {"TT_METAL_HOME": home})
        compare_with_ledger(status, report, os.path.join(tmp, "ledger.txt"), text)
        check(status == 1, f"exit {status}")
    return "run mode: python loads the runtime late; library from TT_METAL_HOME", run


def scenario_import_probe(build):
    def run(tmp):
        with open(os.path.join(tmp, "fake_ttnn.py"), "w") as f:
            f.write(f"import ctypes\nctypes.CDLL({build.sim('e5/rel', 'libttnn_sim.so')!r})\n")
        cmd = [sys.executable, os.path.join(REPO, "tests", "sim", "workload.py"), "--lib",
               build.sim("e5/rel", "libttnn_sim.so"), "--leaks", "kernel_binary"]
        env = {"PYTHONPATH": tmp, "TT_METAL_HOME": ""}
        status, report, text = run_mode(build, tmp, cmd, ["--import-probe", "fake_ttnn"], env)
        compare_with_ledger(status, report, os.path.join(tmp, "ledger.txt"), text)
        check(report["run"]["library"] == os.path.realpath(sim_lib(build)),
              f"library {report['run']['library']}")
    return "run mode: library found by --import-probe", run


def scenario_fork(build):
    def run(tmp):
        cmd = [sys.executable, os.path.join(REPO, "tests", "e2e", "fork_workload.py"), tmp,
               build.sim("e5/rel", "libttnn_sim.so"), "3"]
        status, report, text = run_mode(build, tmp, cmd, ["--lib", sim_lib(build)])
        ledgers = sorted(glob.glob(os.path.join(tmp, "ledger.*")))
        ledgers = [p for p in ledgers if p.rsplit(".", 1)[1].isdigit()]
        check(len(ledgers) == 3, f"expected 3 worker ledgers: {ledgers}")
        for path in ledgers:
            pid = int(path.rsplit(".", 1)[1])
            leaks, _ = compare_process(report, pid, path, text)
            check(leaks, f"worker {pid} leaked nothing per its ledger")
            check(process_entry(report, pid)["command"], f"worker {pid} has no command line")
        check(status == 1 and report["run"]["command_exit_status"] == 0, f"exit {status}")
    return "run mode follows forked workers, each with its own findings", run


def scenario_failing_command(build):
    def run(tmp):
        status, report, text = run_mode(build, tmp, ["sh", "-c", "exit 3"],
                                        ["--lib", sim_lib(build)])
        check(status == 3 and report["run"]["command_failed"], f"failed command: exit {status}")
        check("FAILED" in text, f"report does not say the command failed:\n{text}")
        status, out, err = run_tracer(build, ["--lib", sim_lib(build), "--", "/nonexistent/cmd"])
        check(status == 2 and "cannot run" in err, f"missing command: {status} {err}")
    return "run mode: a failing command is never hidden (exit 3); a missing one exits 2", run


def scenario_streams(build):
    def run(tmp):
        status, out, err = run_tracer(build, ["-q", "--lib", sim_lib(build), "--", "sh", "-c",
                                              "read x; echo got-$x; echo to-stderr >&2"],
                                      stdin="hello\n")
        check(status == 0, f"exit {status}: {err}")
        check("got-hello" in out and "to-stderr" in err, f"streams: {out!r} {err!r}")
    return "run mode passes stdin, stdout and stderr through", run


def scenario_signal(build):
    def run(tmp):
        report_path = os.path.join(tmp, "report.json")
        env = dict(os.environ, TTSIM_LEDGER=os.path.join(tmp, "ledger.txt"))
        tracer = subprocess.Popen(
            [build.tool, "--lib", sim_lib(build), "--json", report_path, "--",
             *workload(build, "e5/rel", "cache_callback", "--rate", "20")[:-4],
             "--iterations", "0", "--leaks", "cache_callback", "--rate", "20"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        time.sleep(1.5)
        tracer.send_signal(signal.SIGTERM)  # sent with kill(): passed on to the command
        status, out, err = finish(tracer, "tracer")
        report = load_report(report_path, status, out + err)
        check(report["run"]["command_exit_status"] == 0, f"command: {report['run']}")
        compare_with_ledger(status, report, os.path.join(tmp, "ledger.txt"), out + err)
    return "run mode: SIGTERM reaches the command, the report still comes", run


def scenario_all(build):
    def run(tmp):
        report_path = os.path.join(tmp, "report.json")
        tracer = subprocess.Popen([build.tool, "--all", "--lib", sim_lib(build, "e4/rel"), "--json",
                                   report_path], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + TIMEOUT_S
        while "attached" not in tracer.stderr.readline():
            check(time.monotonic() < deadline and tracer.poll() is None, "--all did not attach")
        workers = []
        for i, leaks in enumerate(("kernel_binary", "cb_tracking")):
            env = dict(os.environ, TTSIM_LEDGER=os.path.join(tmp, f"ledger.{i}"))
            workers.append(subprocess.Popen(workload(build, "e4/rel", leaks), env=env,
                                            stdout=subprocess.DEVNULL))
        for w in workers:
            check(w.wait(timeout=TIMEOUT_S) == 0, "workload failed")
        time.sleep(0.5)
        tracer.send_signal(signal.SIGINT)
        status, out, err = finish(tracer, "tracer")
        report = load_report(report_path, status, out + err)
        for i, w in enumerate(workers):
            leaks, _ = compare_process(report, w.pid, os.path.join(tmp, f"ledger.{i}"), out)
            check(leaks and f"== process {w.pid} exited ==" in out,
                  f"no per-process report for {w.pid}:\n{out}")
        check(status == 1, f"exit {status}")
    return "--all: two workloads started after the tracer, a report as each exits", run


def scenarios(build):
    for gen in ("e4/rel", "e2/rel"):
        yield scenario_cpp(build, gen, "all")
    yield scenario_cpp(build, "e5/rel", "none")
    yield scenario_python_late_load(build)
    yield scenario_import_probe(build)
    yield scenario_fork(build)
    yield scenario_failing_command(build)
    yield scenario_streams(build)
    yield scenario_signal(build)
    yield scenario_all(build)
