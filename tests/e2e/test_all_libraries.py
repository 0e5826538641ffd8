"""--all with several copies of the runtime library: every distinct file (device, inode)
is probed, including one a process maps after the tracer started; a file owned by
neither root nor the invoking user is flagged untrusted; a process over its --max-live
budget is capped and the run is not certified; a process gone before its command line
was read is named by its comm.

--all traces every process on the machine, and other tests' workloads may run beside
these: only the processes started here are checked."""
import os
import shutil
import signal
import subprocess
import threading
import time

from harness import (TIMEOUT_S, check, compare_process, finish, load_report, process_entry,
                     start_paused)

# Traces every process: never beside other scenarios of this run.
PARALLEL = False

NOBODY = 65534


def copy_runtime(build, tmp, name):
    """A copy of the e5 release build; its workload loads its own copy ($ORIGIN)."""
    d = os.path.join(tmp, name)
    shutil.copytree(build.sim("e5/rel", ""), d)
    return d


def workload(d, ledger, *extra):
    return [os.path.join(d, "ttsim_workload"), "--devices", "2", "--programs", "2",
            "--iterations", "3", "--leaks", "all", "--pause-at", "2", "--ledger", ledger, *extra]


class Tracer:
    """ttleak-bpf --all, its stderr read in the background to wait for messages."""

    def __init__(self, build, report_path, *extra):
        self.proc = subprocess.Popen([build.tool, "--all", "--json", report_path, *extra],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.lines = []
        self.lock = threading.Lock()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stderr:
            with self.lock:
                self.lines.append(line)

    def wait_for(self, text):
        deadline = time.monotonic() + TIMEOUT_S
        while time.monotonic() < deadline:
            with self.lock:
                if any(text in line for line in self.lines):
                    return
            check(self.proc.poll() is None, f"tracer exited before '{text}':\n{self.stderr()}")
            time.sleep(0.05)
        self.proc.kill()
        raise AssertionError(f"tracer never said '{text}':\n{self.stderr()}")

    def stderr(self):
        with self.lock:
            return "".join(self.lines)

    def stop(self):
        time.sleep(0.5)  # the last exit events reach the ring buffer
        self.proc.send_signal(signal.SIGINT)
        try:
            out, _ = self.proc.communicate(timeout=TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, _ = self.proc.communicate()
        self.reader.join(timeout=5)
        return self.proc.returncode, out + self.stderr()


def run_released(works):
    for w in works:
        os.kill(w.pid, signal.SIGUSR1)
    for w in works:
        status, _, err = finish(w, "workload")
        check(status == 0, f"workload failed ({status}): {err}")


def library_entry(report, path):
    for lib in report["run"]["libraries"]:
        if lib["path"] == path:
            return lib
    raise AssertionError(f"no library {path} in the report: {report['run']['libraries']}")


def scenario_two_copies(build):
    """One copy mapped before the tracer starts, one mapped only after: both traced."""
    def run(tmp):
        a, b = copy_runtime(build, tmp, "a"), copy_runtime(build, tmp, "b")
        ledgers = [os.path.join(tmp, "ledger.a"), os.path.join(tmp, "ledger.b")]
        report_path = os.path.join(tmp, "report.json")
        wa = start_paused(workload(a, ledgers[0]), dict(os.environ))
        tracer = Tracer(build, report_path)
        tracer.wait_for("attached")
        wb = start_paused(workload(b, ledgers[1]), dict(os.environ))
        # Found by a scan while tracing, not at start; released once its probes are live.
        tracer.wait_for(f"attached probes to {b}/libtt_metal.so")
        run_released([wa, wb])
        status, text = tracer.stop()
        report = load_report(report_path, status, text)
        for d in (a, b):
            lib = library_entry(report, os.path.join(d, "libtt_metal.so"))
            check(lib["traced"] and not lib["untrusted"] and lib["owner_uid"] == 0,
                  f"library {d}: {lib}")
        for w, ledger in zip((wa, wb), ledgers):
            leaks, _ = compare_process(report, w.pid, ledger, text)
            check(leaks, f"pid {w.pid}: the ledger has no leaks with --leaks all")
            check(process_entry(report, w.pid)["budget_drops"] == 0, f"pid {w.pid} dropped")
    return "--all probes two copies of the library, one mapped after the start", run


def scenario_untrusted_owner(build):
    def run(tmp):
        d = copy_runtime(build, tmp, "nobodys")
        lib = os.path.join(d, "libtt_metal.so")
        os.chown(lib, NOBODY, NOBODY)
        ledger = os.path.join(tmp, "ledger.txt")
        report_path = os.path.join(tmp, "report.json")
        env = dict(os.environ)
        env.pop("SUDO_UID", None)  # the invoking user is root itself
        w = start_paused(workload(d, ledger), env)
        tracer = Tracer(build, report_path)
        tracer.wait_for("attached")
        check(f"probing {lib}" in tracer.stderr() and "UNTRUSTED" in tracer.stderr(),
              f"no warning at start:\n{tracer.stderr()}")
        run_released([w])
        status, text = tracer.stop()
        report = load_report(report_path, status, text)
        entry = library_entry(report, lib)
        check(entry["untrusted"] and entry["owner_uid"] == NOBODY and entry["traced"],
              f"library entry: {entry}")
        check(any(lib in line and "UNTRUSTED" in line for line in text.splitlines()),
              f"text report does not flag {lib}:\n{text}")
        compare_process(report, w.pid, ledger, text)
    return "--all flags a library owned by nobody as untrusted, and traces it", run


def scenario_budget(build):
    def run(tmp):
        d = copy_runtime(build, tmp, "flood")
        ledger = os.path.join(tmp, "ledger.txt")
        report_path = os.path.join(tmp, "report.json")
        w = start_paused(workload(d, ledger, "--buffers", "8"), dict(os.environ))
        tracer = Tracer(build, report_path, "--max-live", "5")
        tracer.wait_for("attached")
        run_released([w])
        status, text = tracer.stop()
        report = load_report(report_path, status, text)
        proc = process_entry(report, w.pid)
        check(proc["budget_drops"] > 0, f"nothing dropped over a budget of 5: {proc}")
        # Records come from events only while under the budget; transitions (a
        # reset moving live buffers to findings) may pass it by a few.
        check(proc["records_held"] <= 5 * 3, f"records held {proc['records_held']}")
        check(report["run"]["max_live"] == 5, f"max_live {report['run']['max_live']}")
        check(not report["run"]["certified"] and status == 3, f"certified, exit {status}")
        check("over its budget" in text and "NOT CERTIFIED" in text,
              f"the text report does not say so:\n{text}")
    return "--all --max-live caps a process's records; the run is not certified", run


def scenario_short_lived(build):
    """A process whose command line is gone before the tracer reads it: the tracer
    is stopped while the process runs, exits and is reaped, so only the kernel's
    name that its exit event carries can name it."""
    def run(tmp):
        d = copy_runtime(build, tmp, "brief")
        ledger = os.path.join(tmp, "ledger.txt")
        report_path = os.path.join(tmp, "report.json")
        w = start_paused(workload(d, ledger), dict(os.environ))
        tracer = Tracer(build, report_path)
        tracer.wait_for("attached")
        os.kill(tracer.proc.pid, signal.SIGSTOP)
        try:
            run_released([w])  # its events wait in the ring buffer; it is reaped
            check(not os.path.exists(f"/proc/{w.pid}"), f"process {w.pid} not reaped")
        finally:
            os.kill(tracer.proc.pid, signal.SIGCONT)
        status, text = tracer.stop()
        report = load_report(report_path, status, text)
        compare_process(report, w.pid, ledger, text)
        name = "[ttsim_workload]"
        proc = process_entry(report, w.pid)
        check(proc["exited"] and proc["command"] == name, f"JSON names it {proc['command']!r}")
        for heading in (f"== process {w.pid} exited ==", f"Process {w.pid} (exited)  {name}"):
            check(heading in text, f"the text report lacks '{heading}':\n{text}")
        check(text.count(f"Process {w.pid} (exited)") == 1, f"reported twice:\n{text}")
    return "--all names a process gone before its command line was read by its comm", run


def scenarios(build):
    yield scenario_short_lived(build)
    yield scenario_two_copies(build)
    yield scenario_untrusted_owner(build)
    yield scenario_budget(build)
