"""-p PID reads the process's own files and nothing else: a library in a directory whose
name holds a newline (escaped as \\012 in /proc/PID/maps) is opened through its mapping,
never as the file the escaped name would mean; and a process that is gone between
discovery and attach is an error (exit 3), never traced under its old name."""
import os
import shutil
import signal
import subprocess
import time

from harness import (TIMEOUT_S, check, compare_with_ledger, finish, start_paused, traced_run)

# -p only: each scenario traces its own process.
PARALLEL = True


def scenario_newline_directory(build):
    def run(tmp):
        real = os.path.join(tmp, "run\ntime")
        shutil.copytree(build.sim("e5/rel", ""), real)
        # What the escaped name in /proc/PID/maps would open: a decoy.
        decoy = os.path.join(tmp, "run\\012time")
        os.makedirs(decoy)
        with open(os.path.join(decoy, "libtt_metal.so"), "w") as f:
            f.write("not a library: the tracer must never open this\n")
        cmd = [os.path.join(real, "ttsim_workload"), "--devices", "2", "--programs", "2",
               "--iterations", "3", "--leaks", "all", "--pause-at", "2"]
        status, report, ledger, text = traced_run(build, cmd, tmp)
        compare_with_ledger(status, report, ledger, text)
        check("\\012" in report["run"]["library"],
              f"library shown as {report['run']['library']!r}, not as the maps show it")
    return "-p: a library under a directory with a newline in its name", run


def scenario_gone_before_attach(build):
    """The tracer is stopped once it has found the process (libbpf, with -v, starts
    talking only after discovery, before the probes are attached); the process is
    killed and reaped meanwhile; then the tracer goes on."""
    def run(tmp):
        work = start_paused([build.sim("e5/rel", "ttsim_workload"), "--pause-at", "1"],
                            dict(os.environ, TTSIM_LEDGER=os.path.join(tmp, "ledger.txt")))
        tracer = subprocess.Popen([build.tool, "-v", "-p", str(work.pid)],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + TIMEOUT_S
        seen = []
        while time.monotonic() < deadline:
            line = tracer.stderr.readline()
            seen.append(line)
            if not line or line.startswith("libbpf:"):
                break
        check(seen and seen[-1].startswith("libbpf:"), f"no libbpf output: {''.join(seen)}")
        tracer.send_signal(signal.SIGSTOP)
        work.kill()
        finish(work, "workload")
        tracer.send_signal(signal.SIGCONT)
        status, _, err = finish(tracer, "tracer")
        check(status == 3, f"exit {status}, expected 3\n{err[-2000:]}")
        check(f"process {work.pid} exited between discovery and attach" in err or
              f"process {work.pid} is not the one found" in err,
              f"no clear message:\n{err[-2000:]}")
        check("ttleak-bpf: attached" not in err, f"it says it attached:\n{err[-2000:]}")
    return "-p: a process gone between discovery and attach is an error (exit 3)", run


def scenarios(build):
    yield scenario_newline_directory(build)
    yield scenario_gone_before_attach(build)
